import { existsSync } from 'node:fs';
import path from 'node:path';
import { RelspecError } from '../errors.js';
import { openStateDb, STATE_DB } from './db.js';
import { guardStateFaults, stateFaultError } from './faults.js';
import { writerAlive } from './lock.js';
import { Store } from './store.js';

export interface StateReader {
  store: Store;
  /** A live daemon or run holds the state lock: a run recorded as running really is. */
  writerAlive: boolean;
  close(): void;
}

/**
 * Opens the state database read-only: `why`, `status` and `history` read it while a daemon or a
 * `relspec run` writes (WAL). No database, or one without a run, is a one-line E_STATE error.
 */
export function openStateReader(stateDir: string): StateReader {
  const file = path.join(stateDir, STATE_DB);
  const noRuns = () => new RelspecError('E_STATE', 'no runs yet', { file, fix: 'run `relspec run` first' });
  if (!existsSync(file)) throw noRuns();
  const db = openStateDb(stateDir, { readonly: true });
  try {
    const hasRuns = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'").get() !== undefined;
    // A damaged page shows when a read reaches it: every read then fails as one E_STATE line.
    const store = guardStateFaults(new Store(db), stateDir);
    if (!hasRuns || store.lastRunId() === undefined) throw noRuns();
    return { store, writerAlive: writerAlive(stateDir), close: () => db.close() };
  } catch (e) {
    db.close();
    throw stateFaultError(e, stateDir) ?? e;
  }
}
