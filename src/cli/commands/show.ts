import type { Json } from '@duckdb/node-api';
import { openWarehouseReadOnly } from '../../engine/readOnly.js';
import { sqlName } from '../../catalog/names.js';
import { loadConfig } from '../../config/load.js';
import { RelspecError, errorMessage } from '../../errors.js';
import { print, printJson, type GlobalOptions } from '../context.js';

export interface ShowCliOptions extends GlobalOptions {
  /** Checked by the option table (cli/main.ts): a whole number. */
  limit?: number;
  /** An ORDER BY list (DuckDB SQL), e.g. `fan_in desc`; default: every column. */
  order?: string;
  json?: boolean;
}

const cell = (v: Json): string => (v === null ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Columns padded to their widest cell; numbers right-aligned. */
export function formatTable(columns: readonly string[], rows: readonly Json[][]): string[] {
  const text = rows.map((r) => r.map(cell));
  const width = columns.map((c, i) => Math.max(c.length, ...text.map((r) => r[i]!.length)));
  const numeric = columns.map(
    (_, i) => rows.length > 0 && rows.every((r) => r[i] === null || typeof r[i] === 'number' || /^-?\d+(\.\d+)?$/.test(String(r[i]))),
  );
  const fmt = (r: string[]) =>
    r
      .map((v, i) => (numeric[i] ? v.padStart(width[i]!) : v.padEnd(width[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt([...columns]), width.map((w) => '-'.repeat(w)).join('  '), ...text.map(fmt)];
}

/**
 * `relspec show NAME`: the rows of a source or output as the last run left them, read from the
 * warehouse opened read-only (sorted by every column unless `--order` says otherwise, so the output
 * is stable).
 */
export async function showCommand(name: string, opts: ShowCliOptions): Promise<number> {
  const { config } = await loadConfig(opts.config);
  const limit = opts.limit ?? 50;
  const { conn, close } = await openWarehouseReadOnly(config.stateDir);
  try {
    let r;
    try {
      const total = await conn.runAndReadAll(`SELECT count(*) FROM ${sqlName(name)}`);
      const order = opts.order?.trim() ? opts.order : 'ALL';
      r = {
        total: Number(total.getRows()[0]![0]),
        rows: await conn.runAndReadAll(`SELECT * FROM ${sqlName(name)} ORDER BY ${order} LIMIT ${limit}`),
      };
    } catch (e) {
      throw new RelspecError('E_SELECT', `cannot show '${name}': ${errorMessage(e).split('\n')[0]}`, {
        fix: 'name a source or an output that a run has built (see `relspec status`)',
      });
    }
    const columns = r.rows.columnNames();
    const rows = r.rows.getRowsJson();
    if (opts.json) {
      printJson({ name, total: r.total, columns, rows: r.rows.getRowObjectsJson() });
      return 0;
    }
    for (const line of formatTable(columns, rows)) print(line);
    if (r.total > rows.length) print(`(${rows.length} of ${r.total} rows; --limit N for more)`);
    return 0;
  } finally {
    close();
  }
}
