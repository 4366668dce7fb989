import { loadConfig } from '../../config/load.js';
import { openWarehouseReadOnly } from '../../engine/readOnly.js';
import { readAsOf } from '../../query/asOf.js';
import { runQuery } from '../../query/run.js';
import { formatCsv } from '../../format/csv.js';
import { openStateReader } from '../../state/reader.js';
import { print, printJson, type GlobalOptions } from '../context.js';
import { formatTable } from './show.js';

export interface QueryCliOptions extends GlobalOptions {
  limit?: number;
  json?: boolean;
  csv?: boolean;
}

/** `relspec query "SQL"`: one read-only query over the warehouse, as the last completed builds left it. */
export async function queryCommand(sql: string, opts: QueryCliOptions): Promise<number> {
  const { config } = await loadConfig(opts.config);
  const { conn, close } = await openWarehouseReadOnly(config.stateDir);
  try {
    const result = await runQuery(conn, sql, { limit: opts.limit });
    const asOf = asOfState(config.stateDir);
    if (opts.json) {
      printJson({ columns: result.columns, rows: result.rows, truncated: result.truncated, ...asOf });
    } else if (opts.csv) {
      process.stdout.write(
        formatCsv(
          result.columns.map((c) => c.name),
          result.rows,
        ),
      );
    } else {
      for (const line of formatTable(
        result.columns.map((c) => c.name),
        result.rows,
      ))
        print(line);
      const n = result.rows.length;
      print(
        `(${n} row${n === 1 ? '' : 's'}${result.truncated ? `, more not shown; --limit N for more` : ''}${asOf.asOfRun !== null ? `; as of run ${asOf.asOfRun}` : ''})`,
      );
    }
    return 0;
  } finally {
    close();
  }
}

/** Without a state database (a warehouse copied alone) the answer reflects no known run. */
function asOfState(stateDir: string): ReturnType<typeof readAsOf> {
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
