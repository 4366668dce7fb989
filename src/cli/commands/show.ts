import type { Json } from '@duckdb/node-api';
import { loadConfig } from '../../config/load.js';
import type { ShowResult } from '../../serve/protocol.js';
import { tryDaemon } from '../../serve/client.js';
import type { GlobalOptions } from '../context.js';
import { stdio, type Out } from '../out.js';

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
 * `relspec show NAME`: the rows of a source or output as the last run left them — answered by a
 * running daemon (which owns the warehouse), else read from the warehouse opened read-only.
 */
export async function showCommand(name: string, opts: ShowCliOptions): Promise<number> {
  const { config } = await loadConfig(opts.config);
  const limit = opts.limit ?? 50;
  const served = await tryDaemon(config.stateDir, { type: 'show', name, limit, order: opts.order });
  if (served) return printShow(served, opts, stdio);
  const { openWarehouseReadOnly } = await import('../../engine/readOnly.js');
  const { readShow } = await import('../../query/show.js');
  const { conn, close } = await openWarehouseReadOnly(config.stateDir);
  try {
    return printShow(await readShow(conn, name, { limit, order: opts.order }), opts, stdio);
  } finally {
    close();
  }
}

function printShow(r: ShowResult, opts: ShowCliOptions, out: Out): number {
  if (opts.json) {
    // The shape DuckDB's getRowObjectsJson gives: one object per row, keyed by column.
    const rows = r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]!])));
    out.printJson({ name: r.name, total: r.total, columns: r.columns, rows });
    return 0;
  }
  for (const line of formatTable(r.columns, r.rows)) out.print(line);
  if (r.total > r.rows.length) out.print(`(${r.rows.length} of ${r.total} rows; --limit N for more)`);
  return 0;
}
