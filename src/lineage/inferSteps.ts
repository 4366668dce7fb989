import type { LineageStats, TaskParse } from './infer.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { physicalName, sqlName } from '../catalog/names.js';
import { quoteIdent } from '../util/sql.js';
import { errorMessage } from '../errors.js';
import { describeQuery } from './columns.js';
import { describeMany } from './plan.js';
import { sha } from './parse.js';
import { statFile } from '../util/fileStat.js';
import type { Column } from './types.js';

/** The DuckDB steps of lineage inference: stub tables, DESCRIBE, and a small worker pool. */
export async function createStubs(conn: DuckDBConnection, stubs: [string, readonly Column[]][]): Promise<void> {
  if (stubs.length === 0) return;
  const schemas = new Set(stubs.map(([ds]) => physicalName(ds)[0]).filter((s) => s !== 'main'));
  // One transaction: thousands of auto-committed CREATEs cost a commit each.
  const ddl = [
    'BEGIN;',
    ...[...schemas].map((s) => `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(s)};`),
    ...stubs.map(
      ([ds, cols]) => `CREATE OR REPLACE TABLE ${sqlName(ds)} (${cols.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ')});`,
    ),
    'COMMIT;',
  ];
  await conn.run(ddl.join('\n'));
}

/** All producers' slices are unioned BY NAME: DuckDB decides the combined column types. */
export async function unionSchema(conn: DuckDBConnection, slices: Column[][]): Promise<Column[]> {
  if (slices.length === 1) return slices[0]!;
  const selects = slices.map((cols) => `SELECT ${cols.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`).join(', ')}`);
  return describeQuery(conn, `(${selects.join(' UNION ALL BY NAME ')})`);
}

/** Views cannot hold a dynamic PIVOT, so opaque tasks are described one by one. */
export async function describeAll(
  conn: DuckDBConnection,
  ps: readonly TaskParse[],
  sqlOf: (p: TaskParse) => string,
): Promise<(Column[] | Error)[]> {
  const batch = ps.filter((p) => !p.opaque);
  const described = await describeMany(conn, batch.map(sqlOf));
  const byTask = new Map(batch.map((p, i) => [p.task, described[i]!]));
  const out: (Column[] | Error)[] = [];
  for (const p of ps) {
    if (!p.opaque) out.push(byTask.get(p.task)!);
    else out.push(await describeQuery(conn, sqlOf(p)).catch((e: unknown) => new Error(errorMessage(e))));
  }
  return out;
}

/**
 * A task reading files: their schemas are part of its column lineage, so the cache key holds the
 * rewritten SQL (the file list) and each file's stat signature (a rewrite may add a column).
 */
export async function filesKey(p: TaskParse): Promise<string[]> {
  if (p.files.length === 0) return [];
  const sigs = await Promise.all(
    p.files
      .flatMap((f) => f.paths)
      .map((f) =>
        statFile(f).then(
          (s) => s.signature,
          () => 'missing',
        ),
      ),
  );
  return [sha(p.execSql ?? ''), ...sigs];
}

export async function timed<T>(stats: LineageStats, phase: keyof LineageStats['ms'], fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    stats.ms[phase] += performance.now() - t;
  }
}

export async function pool<T>(items: readonly T[], n: number, fn: (item: T, worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async (_, w) => {
      while (next < items.length) await fn(items[next++]!, w);
    }),
  );
}
