import { readAsOf } from '../../query/asOf.js';
import { runQuery } from '../../query/run.js';
import { Store } from '../../state/store.js';
import type { DaemonAccess } from '../daemonAccess.js';
import type { QueryResult, Request } from '../protocol.js';
import { withReadConnection } from './session.js';

/** `relspec query` through the daemon: the same checked read-only query, on a connection of its own. */
export function handleQuery(req: Extract<Request, { type: 'query' }>, d: DaemonAccess): Promise<QueryResult> {
  return withReadConnection(d, async (conn, session) => {
    const rows = await runQuery(conn, req.sql, { limit: req.limit });
    // The daemon is the writer and alive: a run recorded as running is in progress now.
    return { ...rows, ...readAsOf(new Store(session.db), true) };
  });
}
