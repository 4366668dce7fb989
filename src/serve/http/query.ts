import { Hono } from 'hono';
import { RelspecError } from '../../errors.js';
import { readAsOf } from '../../query/asOf.js';
import { runQuery } from '../../query/run.js';
import { withReader, type UiBackend } from './backend.js';
import { rowsToArrowStream } from './arrow.js';

export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';

/**
 * `POST /api/query {"sql", "limit"?}`: the answer of `relspec query --json`, or an Arrow IPC stream
 * when asked for one. The SQL is checked by src/query/check.ts (one read-only statement); a refused
 * one is E_QUERY → 400, and it never ran.
 */
export function queryApi(backend: UiBackend): Hono {
  const api = new Hono();
  api.post('/query', async (c) => {
    const body: unknown = await c.req.json().catch(() => undefined);
    const { sql, limit } = (body ?? {}) as { sql?: unknown; limit?: unknown };
    if (typeof sql !== 'string')
      throw new RelspecError('E_QUERY', 'the body must be JSON {"sql": "..."}', { fix: 'send {"sql": "select 1"}' });
    if (limit !== undefined && !(Number.isInteger(limit) && (limit as number) >= 0)) {
      throw new RelspecError('E_USAGE', 'limit must be a non-negative integer');
    }
    const { conn, close } = await backend.connect();
    let result;
    try {
      result = await runQuery(conn, sql, { limit: limit as number | undefined });
    } finally {
      close();
    }
    const asOf = asOfState(backend);
    if ((c.req.header('accept') ?? '').includes(ARROW_STREAM)) {
      return c.body(rowsToArrowStream(result), 200, {
        'content-type': ARROW_STREAM,
        'x-relspec-as-of-run': String(asOf.asOfRun ?? ''),
        'x-relspec-running': String(asOf.running),
      });
    }
    return c.json({ columns: result.columns, rows: result.rows, truncated: result.truncated, ...asOf });
  });
  return api;
}

/** As `relspec query`: without a state database the answer reflects no known run. */
function asOfState(backend: UiBackend): ReturnType<typeof readAsOf> {
  try {
    return withReader(backend, (r) => readAsOf(r.store, r.writerAlive));
  } catch {
    return { asOfRun: null, running: false };
  }
}
