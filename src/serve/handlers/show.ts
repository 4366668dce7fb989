import { readShow } from '../../query/show.js';
import type { DaemonAccess } from '../daemonAccess.js';
import type { Request, ShowResult } from '../protocol.js';
import { withReadConnection } from './session.js';

/** `relspec show NAME` through the daemon, on a connection of its own. */
export function handleShow(req: Extract<Request, { type: 'show' }>, d: DaemonAccess): Promise<ShowResult> {
  return withReadConnection(d, (conn) => readShow(conn, req.name, { limit: req.limit, order: req.order }));
}
