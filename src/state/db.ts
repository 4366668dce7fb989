import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { RelspecError, errorMessage } from '../errors.js';
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
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (e) {
    throw new RelspecError('E_STATE', `cannot open state database: ${errorMessage(e)}`, {
      file,
      fix: opts.readonly ? 'run `relspec run` first to create it' : 'check the state directory is writable',
    });
  }
  db.pragma('busy_timeout = 5000');
  if (opts.readonly) return db;
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db, file);
  return db;
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
