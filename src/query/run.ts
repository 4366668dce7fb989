import type { DuckDBConnection, Json } from '@duckdb/node-api';
import { RelspecError, errorMessage } from '../errors.js';
import { prepareReadOnly } from './check.js';

export interface QueryColumn {
  name: string;
  /** DuckDB's type, as `DESCRIBE` prints it (`BIGINT`, `VARCHAR[]`, `STRUCT(a INTEGER)`). */
  type: string;
}

/** Rows of one read-only query, JSON-ready (BIGINT beyond 2^53 and DECIMAL as strings, as DuckDB's JSON does). */
export interface QueryRows {
  columns: QueryColumn[];
  rows: Json[][];
  /** More rows existed than `limit`. */
  truncated: boolean;
}

export const DEFAULT_QUERY_LIMIT = 1000;

/** Runs one checked, read-only query (src/query/check.ts) and reads at most `limit` rows of it. */
export async function runQuery(
  conn: DuckDBConnection,
  sql: string,
  { limit = DEFAULT_QUERY_LIMIT }: { limit?: number } = {},
): Promise<QueryRows> {
  const prepared = await prepareReadOnly(conn, sql);
  try {
    // Streaming: a large result is read only as far as the limit (+1 to know it was cut).
    const reader = await prepared.streamAndReadUntil(limit + 1);
    const columns = reader.columnNames().map((name, i) => ({ name, type: reader.columnType(i).toString() }));
    const all = reader.getRowsJson();
    return { columns, rows: all.slice(0, limit), truncated: all.length > limit };
  } catch (e) {
    throw new RelspecError('E_QUERY', `the query failed: ${errorMessage(e).split('\n')[0]}`, {
      fix: 'check the SQL against the tables relspec shows (`relspec status`, `relspec show NAME`)',
    });
  } finally {
    prepared.destroySync();
  }
}
