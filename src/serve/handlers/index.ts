import type { Out } from '../../cli/out.js';
import type { DaemonAccess } from '../daemonAccess.js';
import type { Request, RequestType, Response } from '../protocol.js';
import { handleGraph, handleLineage, handleValidate } from './project.js';
import { handleQuery } from './query.js';
import { handleRun } from './run.js';
import { handleShow } from './show.js';

const TYPES: readonly RequestType[] = ['query', 'show', 'plan', 'run', 'graph', 'lineage', 'validate'];

export const isRequestType = (t: unknown): t is RequestType => TYPES.includes(t as RequestType);

/**
 * One handler per request type, each calling the functions its CLI command calls: data for the
 * CLI to format (query, show), or console lines already sent to `out` and the exit code.
 */
export async function handle(req: Request, d: DaemonAccess, out: Out): Promise<Response> {
  const exit = (code: number): Response => ({ type: 'exit', code });
  switch (req.type) {
    case 'query':
      return { type: 'result', result: await handleQuery(req, d) };
    case 'show':
      return { type: 'result', result: await handleShow(req, d) };
    case 'plan':
    case 'run':
      return exit(await handleRun(req, d, out));
    case 'graph':
      return exit(await handleGraph(req, out));
    case 'lineage':
      return exit(await handleLineage(req, out));
    case 'validate':
      return exit(await handleValidate(req, out));
  }
}
