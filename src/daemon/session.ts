import type { ResolvedConfig } from '../config/types.js';
import { DeltaReadCache } from '../delta/index.js';
import { Warehouse } from '../engine/warehouse.js';
import { LineageSink } from '../openlineage/index.js';
import { openStateDb, type Db } from '../state/db.js';

/**
 * The daemon's open handles, reused by every run (`run({ session })`). DuckDB allows one writer
 * process per file, so while the daemon lives it owns the warehouse; SQLite (WAL) stays readable by
 * `status`, `why` and `history`, and run() keeps its write transactions short.
 */
export interface Session {
  db: Db;
  warehouse: Warehouse;
  /** Footers and deletion vectors of the Delta files runs read (immutable files: safe across runs). */
  deltaCache: DeltaReadCache;
  /** OpenLineage delivery kept across runs, so a run does not wait for the endpoint at its end. */
  lineage?: LineageSink;
}

export async function openSession(c: ResolvedConfig): Promise<Session> {
  const db = openStateDb(c.stateDir);
  try {
    return { db, warehouse: await Warehouse.open(c.stateDir, c.engine), deltaCache: new DeltaReadCache(), lineage: new LineageSink() };
  } catch (e) {
    db.close();
    throw e;
  }
}

export function closeSession(s: Session | undefined): void {
  if (!s) return;
  try {
    s.warehouse.close();
  } catch {
    /* already closed */
  }
  try {
    s.db.close();
  } catch {
    /* already closed */
  }
}
