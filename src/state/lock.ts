import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { RelspecError, errorMessage } from '../errors.js';
import { stateFaultError } from './faults.js';

/**
 * One writer per state directory: `STATE/relspec.lock` holds `<pid> <holder>`. It is created with
 * `open(…, 'wx')` (O_EXCL), so of two processes racing for a free lock exactly one wins. A lock
 * whose pid is dead (kill -9, power loss) is stale and taken over. A lock naming this process's pid
 * is this process's own (a second acquire in-process fails rather than "taking over" itself) unless
 * the file predates this process: then the pid was recycled after a crash.
 */
export const LOCK_FILE = 'relspec.lock';

export type LockHolder = 'daemon' | 'run';

export function lockMessage(holder: LockHolder, pid: number, stateDir: string): string {
  return holder === 'daemon'
    ? `relspec daemon (pid ${pid}) is running on ${stateDir}; stop it or use 'relspec status'`
    : `relspec run (pid ${pid}) is running on ${stateDir}; wait for it to finish or use 'relspec status'`;
}

/** The state directory is held by another live process. `message` is the exact line to print. */
export class LockedError extends RelspecError {
  constructor(
    readonly holder: LockHolder,
    readonly pid: number,
    readonly stateDir: string,
  ) {
    super('E_LOCKED', lockMessage(holder, pid, stateDir), { file: path.join(stateDir, LOCK_FILE) });
  }
}

export interface StateLock {
  readonly file: string;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

export function acquireLock(stateDir: string, holder: LockHolder): StateLock {
  mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, LOCK_FILE);
  const content = `${process.pid} ${holder}\n`;
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, content);
      } catch (e) {
        // A full disk after the create: leave no empty lock behind for the next process to wait on.
        closeSync(fd);
        unlinkSync(file);
        throw e;
      }
      closeSync(fd);
      return hold(file, content);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw (
          stateFaultError(e, stateDir) ??
          new RelspecError('E_STATE', `cannot create lock file: ${errorMessage(e)}`, { file, fix: 'check the state directory is writable' })
        );
      }
    }
    const raw = readOrUndefined(file);
    if (raw === undefined) continue; // released between our open and our read: try again
    const owner = parseLock(raw);
    if (!owner) {
      // Empty or garbage: either a writer is between open() and write() (wait), or it crashed there.
      if (ageMs(file) < 1000) {
        sleepSync(25);
        continue;
      }
    } else if (owner.pid === process.pid ? writtenByThisProcess(file) : isAlive(owner.pid)) {
      throw new LockedError(owner.holder, owner.pid, stateDir);
    }
    // Stale (dead pid, or our own pid recycled after a crash — e.g. PID 1 in a container). Re-read
    // just before unlinking so we do not delete a lock another process took over meanwhile; the
    // remaining window (two processes taking over the same stale lock at the same instant) is tiny.
    if (readOrUndefined(file) === raw) {
      try {
        unlinkSync(file);
      } catch {
        /* someone else removed it: retry the exclusive create */
      }
    }
  }
  throw new RelspecError('E_STATE', 'cannot acquire the state lock (it keeps changing hands)', {
    file,
    fix: 'retry; check no other relspec is starting',
  });
}

function hold(file: string, content: string): StateLock {
  let released = false;
  // A crash that still runs 'exit' handlers (uncaught exception, process.exit) releases the lock too;
  // after kill -9 the next process finds a dead pid and takes over.
  const onExit = () => release();
  process.on('exit', onExit);
  function release(): void {
    if (released) return;
    released = true;
    process.off('exit', onExit);
    try {
      if (readOrUndefined(file) === content) unlinkSync(file);
    } catch {
      /* already gone */
    }
  }
  return { file, release };
}

/** Runs `fn` holding the state lock; a LockedError when another live process holds it. */
export async function withStateLock<T>(stateDir: string, holder: LockHolder, fn: () => Promise<T>): Promise<T> {
  const lock = acquireLock(stateDir, holder);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

/** A live process holds the state lock (a daemon or a run is writing). */
export function writerAlive(stateDir: string): boolean {
  const owner = readLockOwner(stateDir);
  return owner !== undefined && isAlive(owner.pid);
}

export function readLockOwner(stateDir: string): { pid: number; holder: LockHolder } | undefined {
  const raw = readOrUndefined(path.join(stateDir, LOCK_FILE));
  return raw === undefined ? undefined : parseLock(raw);
}

function parseLock(raw: string): { pid: number; holder: LockHolder } | undefined {
  const m = /^(\d+)(?:\s+(daemon|run))?\s*$/.exec(raw);
  if (!m) return undefined;
  return { pid: Number(m[1]), holder: (m[2] as LockHolder | undefined) ?? 'daemon' };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user — still a live holder.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A lock naming our pid was written by this process if it is not older than the process (by the
 * process clock, shared by all its threads). The slack covers file systems whose mtimes are coarse.
 */
function writtenByThisProcess(file: string): boolean {
  const started = Date.now() - process.uptime() * 1000;
  try {
    return statSync(file).mtimeMs >= started - 2000;
  } catch {
    return false;
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return Infinity;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
