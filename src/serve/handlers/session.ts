import type { DuckDBConnection } from '@duckdb/node-api';
import { RelspecError } from '../../errors.js';
import type { Session } from '../../daemon/session.js';
import type { DaemonAccess } from '../daemonAccess.js';

/**
 * A read connection of its own on the daemon's DuckDB instance, for one request: it sees committed
 * builds only and never waits on the run loop's connection. Closed after `fn`.
 */
export async function withReadConnection<T>(d: DaemonAccess, fn: (conn: DuckDBConnection, session: Session) => Promise<T>): Promise<T> {
  const session = d.session();
  if (!session) {
    throw new RelspecError('E_STATE', 'the daemon is reopening the state after a fault', {
      fix: 'try again in a few seconds; the `relspec watch` log says why',
    });
  }
  const conn = await session.warehouse.instance.connect();
  try {
    return await fn(conn, session);
  } finally {
    conn.closeSync();
  }
}
