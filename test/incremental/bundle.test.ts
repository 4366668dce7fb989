import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempProject, withDuck, type TempProject } from '../helpers/project.js';

/**
 * Run bundles (issue 16 part 2): after each run `state/runs/<runId>/` holds task_runs, lineage and
 * changes as parquet, readable by `relspec query` and by a plain DuckDB; the newest `state.keepRuns` stay.
 */
let p: TempProject;

const runJson = () => {
  const r = p.cli(['run', '--json']);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { runId: number; status: string };
};
const query = (sql: string) => {
  const r = p.cli(['query', sql, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as { columns: { name: string; type: string }[]; rows: unknown[][] };
};

beforeAll(async () => {
  p = tempProject({
    'watch.config.ts': `export default { sources: { orders: { format: 'parquet', path: 'data/*.parquet' } }, state: { dir: 'state', keepRuns: 3 } };\n`,
    'tasks/totals.sql': 'select customer_id, sum(amount) as total from orders group by all\n',
    'tasks/top.sql': 'select customer_id from totals order by total desc limit 1\n',
    'tasks/bad.sql': "select error('boom') as x from orders\n",
  });
  await p.parquet('data/orders.parquet', 'select range as id, range % 3 as customer_id, range * 1.5 as amount from range(10)');
});
afterAll(() => p?.cleanup());

it('writes task_runs, lineage and changes for a run', () => {
  const out = runJson();
  const dir = path.join(p.dir, 'state/runs', String(out.runId));
  expect(readdirSync(dir).sort()).toEqual(['changes.parquet', 'lineage.parquet', 'task_runs.parquet']);
  const tr = query(
    `select task, output, status, rows_out::INTEGER, refresh_mode, schema_fingerprint is not null, plan_fingerprint is not null, error_code, causes->>'$[0].kind'
     from read_parquet('state/runs/${out.runId}/task_runs.parquet') order by task`,
  );
  expect(tr.rows).toEqual([
    ['bad', 'bad', 'failed', null, null, true, true, null, 'new'],
    ['top', 'top', 'built', 1, 'full', true, true, null, 'new'],
    ['totals', 'totals', 'built', 3, 'full', true, true, null, 'new'],
  ]);
  expect(
    query(`select task, input, columns, notes from read_parquet('state/runs/${out.runId}/lineage.parquet') order by task, input`).rows,
  ).toEqual([
    ['bad', 'orders', [], 'row count only'],
    ['top', 'totals', ['customer_id', 'total'], null],
    ['totals', 'orders', ['amount', 'customer_id'], null],
  ]);
  const ch = query(
    `select kind, count(*)::INTEGER from read_parquet('state/runs/${out.runId}/changes.parquet') group by kind order by kind`,
  );
  expect(ch.rows).toEqual([
    ['source_added', 1],
    ['task_added', 3],
  ]);
});

it('every run adds one; the glob reads them all; only the newest keepRuns stay', async () => {
  for (let i = 0; i < 4; i++) {
    await p.parquet('data/orders.parquet', `select range as id, range % 3 as customer_id, range * ${i + 2}.5 as amount from range(10)`);
    runJson();
  }
  const ids = readdirSync(path.join(p.dir, 'state/runs')).sort();
  expect(ids).toEqual(['3', '4', '5']);
  const all = query(`select run_id::INTEGER, count(*) from read_parquet('state/runs/*/task_runs.parquet') group by run_id order by run_id`);
  expect(all.rows.map((r) => r[0])).toEqual([3, 4, 5]);
  // Any parquet reader: a DuckDB of its own, not relspec's warehouse.
  const n = await withDuck(async (c) => {
    const r = await c.runAndReadAll(
      `select count(*)::INTEGER from read_parquet('${path.join(p.dir, 'state/runs/5/changes.parquet')}') where kind = 'source_changed'`,
    );
    return r.getRows()[0]![0];
  });
  expect(n).toBe(1);
});

it('a plan writes no bundle; evidence.schema_fp is filled', () => {
  const before = readdirSync(path.join(p.dir, 'state/runs')).sort();
  expect(p.cli(['plan']).code).toBe(0);
  expect(readdirSync(path.join(p.dir, 'state/runs')).sort()).toEqual(before);
  expect(existsSync(path.join(p.dir, 'state/runs/6'))).toBe(false);
  const db = new Database(path.join(p.dir, 'state/relspec.sqlite'), { readonly: true });
  try {
    const rows = db.prepare(`select name, schema_fp from evidence where schema is not null order by name`).all() as {
      name: string;
      schema_fp: string | null;
    }[];
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const r of rows) expect(r.schema_fp, r.name).toMatch(/^[0-9a-f]{16}$/);
  } finally {
    db.close();
  }
});
