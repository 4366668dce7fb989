import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { RelspecError, errorMessage } from '../errors.js';
import { stateFaultError } from './faults.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export const STATE_DB = 'relspec.sqlite';

/**
 * Opens `state/relspec.sqlite` in WAL mode (readers — why, status, history — never block the
 * writer) and applies pending migrations in one transaction each.
 */
export function openStateDb(stateDir: string, opts: { readonly?: boolean } = {}): Db {
  const file = path.join(stateDir, STATE_DB);
  let db: Db;
  try {
    if (!opts.readonly) mkdirSync(stateDir, { recursive: true });
    checkNotTruncated(file);
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (e) {
    throw (
      stateFaultError(e, stateDir) ??
      (e instanceof RelspecError
        ? e
        : new RelspecError('E_STATE', `cannot open state database: ${errorMessage(e)}`, {
            file,
            fix: opts.readonly ? 'run `relspec run` first to create it' : 'check the state directory is writable',
          }))
    );
  }
  try {
    db.pragma('busy_timeout = 5000');
    // The first read of the schema: a file that is not a database, or a damaged one, fails here.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    if (opts.readonly) return db;
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // A size cap, for testing full-disk handling where no small filesystem can be mounted (SQLite
    // then fails with SQLITE_FULL exactly as on a full disk). Unset: no cap.
    const maxPages = Number(process.env.RELSPEC_STATE_MAX_PAGES);
    if (Number.isInteger(maxPages) && maxPages > 0) db.pragma(`max_page_count = ${maxPages}`);
    migrate(db, file);
    return db;
  } catch (e) {
    db.close();
    throw stateFaultError(e, stateDir) ?? e;
  }
}

/**
 * SQLite reads past the end of a truncated file as zeros, so a cut file can look merely smaller
 * (rows gone) rather than corrupt. The header's page count is trusted only when its change counter
 * matches "version-valid-for" (file format §1.3.7) and no WAL holds newer pages: then a file shorter
 * than that count is truncated. A 0-byte file is a new database (a kill before the first write).
 */
function checkNotTruncated(file: string): void {
  let head: Buffer;
  let size: number;
  try {
    size = statSync(file).size;
    if (size < 100) return;
    const wal = statSync(`${file}-wal`, { throwIfNoEntry: false });
    if (wal && wal.size > 0) return;
    head = Buffer.alloc(100);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, head, 0, 100, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return; // missing or unreadable: opening says why
  }
  if (head.toString('latin1', 0, 16) !== 'SQLite format 3\0') return; // SQLITE_NOTADB on open
  const pageSize = head.readUInt16BE(16) === 1 ? 65536 : head.readUInt16BE(16);
  const pages = head.readUInt32BE(28);
  if (pages === 0 || head.readUInt32BE(24) !== head.readUInt32BE(92)) return;
  if (size < pages * pageSize) {
    throw new RelspecError('E_STATE', `the state database is corrupt (truncated: ${size} of ${pages * pageSize} bytes)`, {
      file,
      fix: `move it aside (mv ${STATE_DB} ${STATE_DB}.bad) and run again: relspec rebuilds its state from the sources`,
    });
  }
}

function migrate(db: Db, file: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new RelspecError('E_STATE', `state database is at schema version ${current}, newer than this relspec (${MIGRATIONS.length})`, {
      file,
      fix: 'upgrade relspec, or delete the state directory to rebuild from scratch',
    });
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
