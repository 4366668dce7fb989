import path from 'node:path';
import { RelspecError, errorMessage } from '../errors.js';

/**
 * State faults: the state database or the warehouse cannot be used — it is corrupt, the disk is
 * full, the device fails or refuses writes, another process locks it. Each becomes one E_STATE line
 * naming the file and the fix (never a stack), for every command; the daemon logs it and retries.
 * Recognised from better-sqlite3's error codes, Node's errno codes and DuckDB's messages (DuckDB
 * errors carry no code, only `IO Error: …` text).
 */
export type StateFaultKind = 'corrupt' | 'full' | 'io' | 'unwritable' | 'locked';

export interface StateFault {
  kind: StateFaultKind;
  /** Which store: relspec.sqlite, the DuckDB warehouse, or a file relspec writes (lock, Delta output). */
  store: 'state' | 'warehouse' | 'file';
  /** The file named in the error, when the error says. */
  file?: string;
  /** The underlying message, first line. */
  detail: string;
}

const STATE_DB = 'relspec.sqlite';
const WAREHOUSE = 'warehouse.duckdb';

const SQLITE: [RegExp, StateFaultKind][] = [
  [/^SQLITE_(CORRUPT|NOTADB)/, 'corrupt'],
  [/^SQLITE_FULL/, 'full'],
  [/^SQLITE_(READONLY|CANTOPEN|PERM|AUTH)/, 'unwritable'],
  [/^SQLITE_(BUSY|LOCKED)/, 'locked'],
  [/^SQLITE_IOERR/, 'io'],
];
const ERRNO: Record<string, StateFaultKind> = { ENOSPC: 'full', EDQUOT: 'full', EFBIG: 'full', EIO: 'io', EROFS: 'unwritable', EACCES: 'unwritable', EPERM: 'unwritable' };
const DUCK: [RegExp, StateFaultKind][] = [
  [/No space left on device|disk is full|not enough space/i, 'full'],
  [/Could not set lock on file|Conflicting lock is held/i, 'locked'],
  [/not a valid DuckDB database file|Corrupt database file|database file .*is corrupt|invalid database file|Could not read enough bytes from file "[^"]*warehouse\.duckdb/i, 'corrupt'],
  // After an IO failure DuckDB refuses every further statement on that instance.
  [/database has been invalidated because of a previous fatal error/i, 'io'],
  [/Read-only file system/i, 'unwritable'],
];

export function classifyStateFault(e: unknown): StateFault | undefined {
  if (e instanceof RelspecError) return undefined;
  const err = e as { name?: string; code?: unknown; path?: unknown } | null;
  const detail = errorMessage(e).split('\n')[0]!;
  if (err && err.name === 'SqliteError' && typeof err.code === 'string') {
    const hit = SQLITE.find(([re]) => re.test(err.code as string));
    return hit ? { kind: hit[1], store: 'state', detail: `${err.code}: ${detail}` } : undefined;
  }
  if (err && typeof err.code === 'string' && err.code in ERRNO) {
    return { kind: ERRNO[err.code]!, store: 'file', file: typeof err.path === 'string' ? err.path : undefined, detail };
  }
  const hit = DUCK.find(([re]) => re.test(detail));
  if (!hit) return undefined;
  const quoted = /file "([^"]+)"/.exec(detail)?.[1];
  return { kind: hit[1], store: quoted && !path.basename(quoted).startsWith(WAREHOUSE) ? 'file' : 'warehouse', file: quoted, detail };
}

/** The one-line E_STATE error for a state fault, or undefined when `e` is not one. */
export function stateFaultError(e: unknown, stateDir: string): RelspecError | undefined {
  const f = classifyStateFault(e);
  if (!f) return undefined;
  // A file outside the state (a source someone made unreadable) is the source's problem, not the
  // state's; a full disk is a full disk wherever relspec was writing.
  if (f.store === 'file' && f.kind !== 'full' && !(f.file && isInside(stateDir, f.file))) return undefined;
  return describeFault(f, stateDir, e);
}

const isInside = (dir: string, file: string): boolean => {
  const r = path.relative(dir, file);
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
};

export function describeFault(f: StateFault, stateDir: string, cause?: unknown): RelspecError {
  const file = f.file ?? path.join(stateDir, f.store === 'warehouse' ? WAREHOUSE : STATE_DB);
  const base = path.basename(file);
  const what = f.store === 'warehouse' ? 'the warehouse' : f.store === 'state' ? 'the state database' : 'a state file';
  const again = 'then run again (a running `relspec watch` retries by itself)';
  const [message, fix] = {
    corrupt: [
      `${what} is corrupt (${f.detail})`,
      `move it aside (mv ${base} ${base}.bad${f.store === 'warehouse' ? `; also ${base}.wal if present` : f.store === 'state' ? `; also ${base}-wal if present` : ''}) and run again: relspec rebuilds ${f.store === 'warehouse' ? 'every output' : 'its state'} from the sources`,
    ],
    full: [`the disk is full (${f.detail})`, `free space on the device holding ${path.dirname(file)}, ${again}`],
    io: [`cannot read or write ${what} (${f.detail})`, `check the device holding ${path.dirname(file)} (free space, errors), ${again}`],
    unwritable: [`${what} cannot be written (${f.detail})`, `make ${path.dirname(file)} writable, ${again}`],
    locked: [`${what} is locked by another process (${f.detail})`, 'another process holds it (a running `relspec watch`?): stop it, or wait for it'],
  }[f.kind];
  return new RelspecError('E_STATE', message, { file, fix, cause });
}

/** Runs `fn`; a state fault it throws becomes its E_STATE error. */
export async function withStateFaults<T>(stateDir: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw stateFaultError(e, stateDir) ?? e;
  }
}

/**
 * `obj` (a Store) whose methods throw their state faults as E_STATE errors: the readers (`status`,
 * `why`, `history`) meet a damaged page only when a query reaches it, anywhere in their reads.
 */
export function guardStateFaults<T extends object>(obj: T, stateDir: string): T {
  return new Proxy(obj, {
    get(target, key) {
      const v: unknown = Reflect.get(target, key, target);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        try {
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        } catch (e) {
          throw stateFaultError(e, stateDir) ?? e;
        }
      };
    },
  });
}

/** `e` is a state fault, raw or already described (E_STATE): it stops a run instead of failing a task. */
export const isStateFault = (e: unknown, stateDir: string): boolean =>
  (e instanceof RelspecError && e.code === 'E_STATE') || stateFaultError(e, stateDir) !== undefined;
