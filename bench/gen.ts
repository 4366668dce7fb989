import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

/** Deterministic PRNG (mulberry32): the same seed gives the same project on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticOptions {
  dir: string;
  tasks: number;
  seed?: number;
  /** Rows per source parquet file. */
  rows?: number;
}

const SOURCES = {
  events: 'id BIGINT, user_id BIGINT, kind VARCHAR, amount DOUBLE, ts TIMESTAMP, payload VARCHAR',
  users: 'user_id BIGINT, name VARCHAR, country VARCHAR, signup TIMESTAMP, tier INTEGER',
  products: 'product_id BIGINT, category VARCHAR, price DOUBLE, active BOOLEAN',
  orders: 'order_id BIGINT, user_id BIGINT, product_id BIGINT, qty INTEGER, amount DOUBLE, ts TIMESTAMP',
} as const;

/**
 * Every task keeps the columns `k BIGINT, v DOUBLE, g VARCHAR` (plus extras), so any task can read
 * any earlier one; the shapes cycle through joins, aggregates, CTEs, window functions and unions.
 */
function taskSql(i: number, r: () => number, names: string[]): string {
  const pick = () => names[Math.floor(r() * names.length)]!;
  const up = pick();
  const other = pick();
  const src = ['events', 'orders'][i % 2]!;
  switch (i % 7) {
    case 0:
      return `-- @tags base\nselect ${src === 'events' ? 'user_id' : 'order_id'} as k, amount as v, ${src === 'events' ? 'kind' : "'o'"} as g, ts from ${src} where amount > ${i % 50}`;
    case 1:
      return `select a.k, a.v + coalesce(b.v, 0) as v, a.g from ${up} a left join ${other} b on a.k = b.k and a.g = b.g`;
    case 2:
      return `select k, sum(v) as v, g, count(*) as n from ${up} group by all`;
    case 3:
      return `with ranked as (\n  select k, v, g, row_number() over (partition by g order by v desc) as rn from ${up}\n)\nselect k, v, g from ranked where rn <= ${1 + (i % 10)}`;
    case 4:
      return `select u.user_id as k, t.v * u.tier as v, u.country as g from ${up} t join users u on u.user_id = t.k where u.tier > ${i % 3}`;
    case 5:
      return `select k, v, g from ${up} union all select k, v, g from ${other} where v > ${i % 100}`;
    default:
      return `select k, avg(v) over (partition by g order by k rows between 3 preceding and current row) as v, g from ${up} qualify v is not null`;
  }
}

/** Writes `watch.config.ts`, four parquet sources and N tasks into `dir`. */
export async function generateProject(opts: SyntheticOptions): Promise<void> {
  const { dir, tasks } = opts;
  const r = rng(opts.seed ?? 1);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  mkdirSync(path.join(dir, 'tasks'), { recursive: true });
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  const rows = opts.rows ?? 1000;
  for (const [name, cols] of Object.entries(SOURCES)) {
    const exprs = cols.split(', ').map((def) => {
      const [col, type] = def.split(' ') as [string, string];
      const e =
        type === 'VARCHAR'
          ? `'${col}_' || (range % 17)`
          : type === 'TIMESTAMP'
            ? `TIMESTAMP '2024-01-01' + to_seconds(range)`
            : type === 'BOOLEAN'
              ? 'range % 2 = 0'
              : `(range % 97)::${type}`;
      return `${e} AS ${col}`;
    });
    const file = path.join(dir, 'data', `${name}.parquet`);
    await c.run(`COPY (SELECT ${exprs.join(', ')} FROM range(${rows})) TO '${file}' (FORMAT parquet)`);
  }
  c.closeSync();
  inst.closeSync();
  const sources = Object.keys(SOURCES)
    .map((s) => `    ${s}: { format: 'parquet', path: 'data/${s}.parquet' },`)
    .join('\n');
  writeFileSync(path.join(dir, 'watch.config.ts'), `export default {\n  sources: {\n${sources}\n  },\n};\n`);
  const names: string[] = [];
  for (let i = 0; i < tasks; i++) {
    const name = `t${String(i).padStart(6, '0')}`;
    // The first tasks of every 7 are base tasks over sources, so each shape has upstreams to read.
    const sql = names.length < 7 ? taskSql(0, r, names) : taskSql(i, r, names.slice(-200));
    const sub = `m${Math.floor(i / 500)}`;
    mkdirSync(path.join(dir, 'tasks', sub), { recursive: true });
    writeFileSync(path.join(dir, 'tasks', sub, `${name}.sql`), `-- @output ${name}\n${sql}\n`);
    names.push(name);
  }
}
