import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlName } from '../catalog/names.js';
import { RelspecError, errorMessage } from '../errors.js';
import type { ShowResult } from '../serve/protocol.js';

/**
 * `relspec show NAME`: the rows of a source or output, sorted by every column unless `order` says
 * otherwise (so the output is stable), at most `limit`, with the total count. Read by the CLI on its
 * read-only warehouse, or by the daemon on a connection of its own.
 */
export async function readShow(
  conn: DuckDBConnection,
  name: string,
  { limit = 50, order }: { limit?: number; order?: string },
): Promise<ShowResult> {
  try {
    const total = await conn.runAndReadAll(`SELECT count(*) FROM ${sqlName(name)}`);
    const rows = await conn.runAndReadAll(`SELECT * FROM ${sqlName(name)} ORDER BY ${order?.trim() ? order : 'ALL'} LIMIT ${limit}`);
    return { name, total: Number(total.getRows()[0]![0]), columns: rows.columnNames(), rows: rows.getRowsJson() };
  } catch (e) {
    throw new RelspecError('E_SELECT', `cannot show '${name}': ${errorMessage(e).split('\n')[0]}`, {
      fix: 'name a source or an output that a run has built (see `relspec status`)',
    });
  }
}
