import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { loadSnapshot, snapshotQuery } from '../../src/delta/index.js';
import { cliSync } from '../helpers/process.js';
import { useTempTree, type TempTree } from '../helpers/tempTree.js';

/**
 * One contract, two implementations: a task's output stored as a DuckDB table in the warehouse
 * (`@materialize table`) or as a Delta table under the outputs directory (`@materialize delta`, shown
 * in the warehouse as a view over its snapshot). Whichever the task declares, its readers — `relspec
 * show`, downstream tasks — see the same rows and column types, and the incremental rules (no-op
 * rebuild, propagation, cutoff) are the same. Real CLI processes on real files; needs `npx tsc`.
 */
interface OutputKind {
  materialize: 'table' | 'delta';
  /** What the warehouse holds under the output's name (information_schema.tables.table_type). */
  relation: 'BASE TABLE' | 'VIEW';
  /** The rows where this kind keeps them, read without the warehouse's name for them, sorted. */
  stored(tree: TempTree, output: string): Promise<unknown[][]>;
}

async function withDuck<T>(file: string, fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const inst = await DuckDBInstance.create(file, file === ':memory:' ? {} : { access_mode: 'READ_ONLY' });
  const c = await inst.connect();
  try {
    return await fn(c);
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}
const warehouse = (tree: TempTree) => tree.path('state/warehouse.duckdb');
const rowsOf = async (c: DuckDBConnection, sql: string) => (await c.runAndReadAll(sql)).getRowsJson();

const KINDS: OutputKind[] = [
  {
    materialize: 'table',
    relation: 'BASE TABLE',
    stored: (tree, output) =>
      withDuck(warehouse(tree), async (c) => {
        const [t] = await rowsOf(c, `SELECT count(*)::INTEGER FROM duckdb_tables() WHERE table_name = '${output}'`);
        expect(t).toEqual([1]);
        return rowsOf(c, `SELECT * FROM main."${output}" ORDER BY ALL`);
      }),
  },
  {
    materialize: 'delta',
    relation: 'VIEW',
    stored: (tree, output) =>
      withDuck(':memory:', async (c) => {
        const snap = await loadSnapshot(c, tree.path(path.join('state/outputs', output)));
        return rowsOf(c, `SELECT * FROM (${await snapshotQuery(c, snap)}) ORDER BY ALL`);
      }),
  },
];

const CONFIG = `export default { sources: { people: { format: 'csv', path: 'data/people.csv' } } };\n`;
const PEOPLE = 'id,name,city,amount,day\n1,Ann,Oslo,1.50,2024-01-02\n2,Bob,Rome,2.25,2024-02-03\n3,Cy,Oslo,3.00,2024-03-04\n';
/** `visits` is the output under test; `per_city` (always a table) reads it. Rows with id ≥ 100 never reach `visits`. */
const TASKS = (m: string) => ({
  'tasks/visits.sql': `-- @materialize ${m}\nselect id::INTEGER as id, name, city, amount::DECIMAL(10,2) as amount, day::DATE as day from people where id < 100\n`,
  'tasks/per_city.sql': 'select city, count(*)::INTEGER as n, sum(amount) as total from visits group by all\n',
});
const VISITS = [
  [1, 'Ann', 'Oslo', '1.50', '2024-01-02'],
  [2, 'Bob', 'Rome', '2.25', '2024-02-03'],
  [3, 'Cy', 'Oslo', '3.00', '2024-03-04'],
];

interface RunJson {
  status: string;
  tasks: { task: string; status: string }[];
}
function run(tree: TempTree): RunJson {
  const r = cliSync(tree.root, ['run', '--json']);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return JSON.parse(r.stdout) as RunJson;
}
const statuses = (o: RunJson) => Object.fromEntries(o.tasks.map((t) => [t.task, t.status]));
function show(tree: TempTree, name: string): { columns: string[]; rows: Record<string, unknown>[] } {
  const r = cliSync(tree.root, ['show', name, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { columns: string[]; rows: Record<string, unknown>[] };
}
const lastBuilt = (tree: TempTree) => {
  const st = JSON.parse(cliSync(tree.root, ['status', '--json']).stdout) as { tasks: { task: string; lastBuiltRun: number | null }[] };
  return Object.fromEntries(st.tasks.map((t) => [t.task, t.lastBuiltRun]));
};

describe.each(KINDS)('an output with @materialize $materialize', (kind) => {
  const project = () => {
    const tree = useTempTree(
      { 'watch.config.ts': CONFIG, 'data/people.csv': PEOPLE, ...TASKS(kind.materialize) },
      { prefix: 'relspec-contract-' },
    );
    expect(statuses(run(tree))).toEqual({ visits: 'built', per_city: 'built' });
    return tree;
  };

  it('stores the rows, which the warehouse shows under the output name as this kind of relation', async () => {
    const tree = project();
    expect(await kind.stored(tree, 'visits')).toEqual(VISITS);
    const shown = show(tree, 'visits');
    expect(shown.columns).toEqual(['id', 'name', 'city', 'amount', 'day']);
    expect(shown.rows.map((r) => Object.values(r))).toEqual(VISITS);
    const type = await withDuck(warehouse(tree), (c) =>
      rowsOf(c, `SELECT table_type FROM information_schema.tables WHERE table_name = 'visits'`),
    );
    expect(type).toEqual([[kind.relation]]);
  });

  it("keeps the select's column names and DuckDB types", async () => {
    const tree = project();
    const cols = await withDuck(warehouse(tree), async (c) => (await rowsOf(c, 'DESCRIBE visits')).map((r) => r.slice(0, 2)));
    expect(cols).toEqual([
      ['id', 'INTEGER'],
      ['name', 'VARCHAR'],
      ['city', 'VARCHAR'],
      ['amount', 'DECIMAL(10,2)'],
      ['day', 'DATE'],
    ]);
  });

  it('a second run with no change builds nothing and leaves the stored rows as they were', async () => {
    const tree = project();
    const before = lastBuilt(tree);
    const again = run(tree);
    expect(again.status).toBe('noop');
    expect(again.tasks).toEqual([]);
    expect(lastBuilt(tree)).toEqual(before);
    expect(await kind.stored(tree, 'visits')).toEqual(VISITS);
  });

  it('a source change rebuilds the output and its reader from the new rows', async () => {
    const tree = project();
    tree.edit('data/people.csv', (s) => s.replace('2,Bob,Rome,2.25', '2,Bob,Lima,2.25') + '4,Di,Oslo,4.00,2024-04-05\n');
    expect(statuses(run(tree))).toEqual({ visits: 'built', per_city: 'built' });
    expect((await kind.stored(tree, 'visits')).map((r) => [r[0], r[2]])).toEqual([
      [1, 'Oslo'],
      [2, 'Lima'],
      [3, 'Oslo'],
      [4, 'Oslo'],
    ]);
    expect(show(tree, 'per_city').rows).toEqual([
      { city: 'Lima', n: 1, total: '2.25' },
      { city: 'Oslo', n: 3, total: '8.50' },
    ]);
  });

  it('a source change that leaves the rows equal rebuilds the output and cuts off its reader', async () => {
    const tree = project();
    const before = lastBuilt(tree);
    tree.edit('data/people.csv', (s) => s + '100,Zed,Oslo,9.99,2024-05-06\n');
    const o = run(tree);
    expect(statuses(o)).toEqual({ visits: 'built', per_city: 'skipped' });
    expect(lastBuilt(tree).per_city).toBe(before.per_city);
    expect(await kind.stored(tree, 'visits')).toEqual(VISITS);
  });
});
