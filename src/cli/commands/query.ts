import { loadConfig } from '../../config/load.js';
import { formatCsv } from '../../format/csv.js';
import { tryDaemon } from '../../serve/client.js';
import type { QueryResult } from '../../serve/protocol.js';
import type { GlobalOptions } from '../context.js';
import { stdio, type Out } from '../out.js';
import { formatTable } from './show.js';

export interface QueryCliOptions extends GlobalOptions {
  limit?: number;
  json?: boolean;
  csv?: boolean;
}

/**
 * `relspec query "SQL"`: one read-only query over the warehouse, as the last completed builds left
 * it — answered by a running daemon (which owns the warehouse), else on the warehouse opened read-only.
 */
export async function queryCommand(sql: string, opts: QueryCliOptions): Promise<number> {
  const { config } = await loadConfig(opts.config);
  const served = await tryDaemon(config.stateDir, { type: 'query', sql, limit: opts.limit });
  if (served) return printQuery(served, opts, stdio);
  // Loaded only without a daemon: an answer through the socket needs no DuckDB in this process.
  const { openWarehouseReadOnly } = await import('../../engine/readOnly.js');
  const { runQuery } = await import('../../query/run.js');
  const { conn, close } = await openWarehouseReadOnly(config.stateDir);
  try {
    const result = await runQuery(conn, sql, { limit: opts.limit });
    return printQuery({ ...result, ...(await asOfState(config.stateDir)) }, opts, stdio);
  } finally {
    close();
  }
}

function printQuery(result: QueryResult, opts: QueryCliOptions, out: Out): number {
  const names = result.columns.map((c) => c.name);
  if (opts.json) {
    out.printJson({
      columns: result.columns,
      rows: result.rows,
      truncated: result.truncated,
      asOfRun: result.asOfRun,
      running: result.running,
    });
  } else if (opts.csv) {
    out.write(formatCsv(names, result.rows));
  } else {
    for (const line of formatTable(names, result.rows)) out.print(line);
    const n = result.rows.length;
    out.print(
      `(${n} row${n === 1 ? '' : 's'}${result.truncated ? `, more not shown; --limit N for more` : ''}${result.asOfRun !== null ? `; as of run ${result.asOfRun}` : ''})`,
    );
  }
  return 0;
}

/** Without a state database (a warehouse copied alone) the answer reflects no known run. */
async function asOfState(stateDir: string): Promise<Pick<QueryResult, 'asOfRun' | 'running'>> {
  const { openStateReader } = await import('../../state/reader.js');
  const { readAsOf } = await import('../../query/asOf.js');
  try {
    const reader = openStateReader(stateDir);
    try {
      return readAsOf(reader.store, reader.writerAlive);
    } finally {
      reader.close();
    }
  } catch {
    return { asOfRun: null, running: false };
  }
}
