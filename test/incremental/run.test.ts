import { afterEach, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { run, type RunOutcome } from '../../src/incremental/run.js';
import { openStateDb } from '../../src/state/db.js';
import { tempProject, type TempProject } from '../helpers/project.js';

let p: TempProject;
afterEach(() => p?.cleanup());

const CONFIG = `export default { sources: {
  orders: { format: 'parquet', path: 'data/orders*.parquet' },
  people: { format: 'csv', path: 'data/people.csv' },
} }`;

/** orders(id, customer_id, amount, note) → totals(customer_id, amount) → report (joins people) ; counts(count(*)) */
async function setup(extra: Record<string, string> = {}) {
  p = tempProject({
    'watch.config.ts': CONFIG,
    'data/people.csv': 'id,name,city\n0,Ann,Oslo\n1,Bob,Rome\n2,Cy,Lima\n',
    'tasks/totals.sql': 'select customer_id, sum(amount) as total from orders group by all',
    'tasks/report.sql': 'select p.name, t.total from totals t join people p on p.id = t.customer_id',
    'tasks/counts.sql': 'select count(*) as n from orders',
    'tasks/notes.sql': "select id, note from orders where note <> 'skip'",
    ...extra,
  });
  await writeOrders();
  return p;
}

async function writeOrders(amountExpr = 'range * 1.5', noteExpr = "'n' || range", rows = 10, file = 'data/orders.parquet') {
  await p.parquet(
    file,
    `select range as id, range % 3 as customer_id, (${amountExpr})::DOUBLE as amount, ${noteExpr} as note from range(${rows})`,
  );
}

const go = (extra: Parameters<typeof run>[0] = {}) => run({ configPath: 'watch.config.ts', cwd: p.dir, ...extra });
const names = (o: RunOutcome, status: string) =>
  o.tasks
    .filter((t) => t.status === status)
    .map((t) => t.task)
    .sort();

async function rows(sql: string): Promise<unknown[]> {
  const inst = await DuckDBInstance.create(`${p.dir}/state/warehouse.duckdb`, { access_mode: 'READ_ONLY' });
  const c = await inst.connect();
  const r = (await c.runAndReadAll(sql)).getRowsJson();
  c.closeSync();
  inst.closeSync();
  return r;
}

describe('incremental run', () => {
  it('builds everything once, then a second run is a noop with everything skipped', async () => {
    await setup();
    const first = await go();
    expect(first.status).toBe('ok');
    expect(names(first, 'built')).toEqual(['counts', 'notes', 'report', 'totals']);
    expect(first.tasks.every((t) => t.causes.some((c) => c.kind === 'new'))).toBe(true);
    const second = await go();
    expect(second.status).toBe('noop');
    expect(second.tasks).toEqual([]);
    expect(second.unaffected).toBe(4);
    expect(await rows('select name, total from report order by name')).toEqual([
      ['Ann', 27],
      ['Bob', 18],
      ['Cy', 22.5],
    ]);
  });

  it('a whitespace, comment or keyword-case edit builds nothing', async () => {
    await setup();
    await go();
    p.write(
      'tasks/totals.sql',
      '-- totals per customer\nSELECT customer_id,\n       SUM(amount) AS total\nFROM   orders\nGROUP  BY ALL;\n',
    );
    const o = await go();
    expect(o.status).toBe('noop');
    expect(names(o, 'built')).toEqual([]);
    expect(o.changes).toEqual([]);
  });

  it('a source change in a column no task reads builds nothing; in a read column only that branch', async () => {
    await setup({ 'tasks/notes.sql': 'select id from orders where id > 2' });
    await go();
    await writeOrders('range * 1.5', "'changed' || range");
    const unread = await go();
    expect(unread.changes.map((c) => c.kind)).toEqual(['source_changed']);
    expect(names(unread, 'built')).toEqual([]);
    // Only the direct readers are verified; report is never reached (cut off at totals).
    expect(names(unread, 'skipped')).toEqual(['counts', 'notes', 'totals']);

    await writeOrders('range * 2', "'changed' || range");
    const read = await go();
    expect(names(read, 'built')).toEqual(['report', 'totals']);
    const cause = read.tasks.find((t) => t.task === 'totals')!.causes[0]!;
    expect(cause).toMatchObject({ kind: 'input_changed', input: 'orders', columns: ['amount', 'customer_id'], root: read.changes[0]!.id });
  });

  it('early cutoff: an upstream rebuild that leaves the read columns identical stops there', async () => {
    await setup();
    await go();
    // Move amount between two orders of the same customer (0 and 3): per-customer totals are equal.
    await writeOrders('case when range = 0 then 1.5 when range = 3 then 3.0 else range * 1.5 end');
    const o = await go();
    expect(names(o, 'built')).toEqual(['totals']);
    expect(o.tasks.find((t) => t.task === 'report')).toMatchObject({
      status: 'skipped',
      reason: { kind: 'cut_off', inputs: expect.arrayContaining([{ input: 'totals', columns: ['customer_id', 'total'] }]) },
    });
  });

  it('renaming a task file: new name built, old removed, downstream cut off', async () => {
    await setup({ 'tasks/totals.sql': '-- @output totals\nselect customer_id, sum(amount) as total from orders group by all' });
    await go();
    p.rm('tasks/totals.sql');
    p.write('tasks/agg/totals_v2.sql', '-- @output totals\nselect customer_id, sum(amount) as total from orders group by all');
    const o = await go();
    expect(o.changes.map((c) => c.kind).sort()).toEqual(['task_added', 'task_removed']);
    expect(names(o, 'built')).toEqual(['agg.totals_v2']);
    expect(o.tasks.find((t) => t.task === 'report')?.status).toBe('skipped');
  });

  it('adding and removing tasks', async () => {
    await setup();
    await go();
    p.write('tasks/big.sql', 'select customer_id from totals where total > 20');
    const added = await go();
    expect(names(added, 'built')).toEqual(['big']);
    p.rm('tasks/big.sql');
    const removed = await go();
    expect(removed.changes.map((c) => c.kind)).toEqual(['task_removed']);
    expect(names(removed, 'built')).toEqual([]);
    await expect(rows('select * from big')).rejects.toThrow(/does not exist/);
  });

  it('a task that starts reading a new column is rebuilt, and only it', async () => {
    await setup();
    await go();
    p.write('tasks/notes.sql', "select id, note, amount from orders where note <> 'skip'");
    const o = await go();
    expect(names(o, 'built')).toEqual(['notes']);
    expect(o.tasks[0]!.causes.map((c) => c.kind)).toEqual(['plan_changed', 'input_changed']);
  });

  it('a failing task: descendants blocked, other branches continue, exit status failed, retried next run', async () => {
    await setup({ 'tasks/fails.sql': "select customer_id, error('boom') as x from totals", 'tasks/after.sql': 'select * from fails' });
    const o = await go();
    expect(o.status).toBe('failed');
    expect(o.tasks.find((t) => t.task === 'fails')).toMatchObject({ status: 'failed', error: expect.stringContaining('boom') });
    expect(o.tasks.find((t) => t.task === 'after')).toMatchObject({
      status: 'blocked',
      reason: { kind: 'upstream', task: 'fails', status: 'failed' },
    });
    expect(names(o, 'built')).toEqual(['counts', 'notes', 'report', 'totals']);
    p.write('tasks/fails.sql', 'select customer_id, 1 as x from totals');
    const again = await go();
    expect(names(again, 'built')).toEqual(['after', 'fails']);
  });

  it('a task with unparsable SQL fails with its file; the rest of the project runs', async () => {
    await setup({ 'tasks/broken.sql': 'selec * from orders' });
    const o = await go();
    expect(o.status).toBe('failed');
    expect(o.tasks.find((t) => t.task === 'broken')).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/E_TASK_SQL .*broken\.sql: .*syntax error/),
    });
    expect(names(o, 'built')).toEqual(['counts', 'notes', 'report', 'totals']);
  });

  it('all producers: a change in one producer rebuilds one slice', async () => {
    await setup({
      'tasks/edges/a.sql': "-- @output edges\nselect customer_id as k, 'a' as kind from orders",
      'tasks/edges/b.sql': "-- @output edges\nselect id as k, 'b' as kind from people",
      'tasks/edge_count.sql': 'select kind, count(*) as n from edges group by all order by all',
    });
    await go();
    expect(await rows('select * from edge_count')).toEqual([
      ['a', '10'],
      ['b', '3'],
    ]);
    p.write('data/people.csv', 'id,name,city\n0,Ann,Oslo\n1,Bob,Rome\n2,Cy,Lima\n3,Di,Kyiv\n');
    const o = await go();
    expect(names(o, 'built')).toEqual(['edge_count', 'edges.b', 'report']);
    expect(await rows('select * from edge_count')).toEqual([
      ['a', '10'],
      ['b', '4'],
    ]);
  });

  it('views and tables mixed; switching a task between them', async () => {
    await setup({ 'tasks/totals.sql': '-- @materialize view\nselect customer_id, sum(amount) as total from orders group by all' });
    const o = await go();
    expect(names(o, 'built')).toEqual(['counts', 'notes', 'report', 'totals']);
    await writeOrders('range * 2');
    const changed = await go();
    expect(names(changed, 'built')).toEqual(['report', 'totals']);
    p.write('tasks/totals.sql', '-- @materialize table\nselect customer_id, sum(amount) as total from orders group by all');
    const switched = await go();
    // A view's token is derived (definition + inputs), a table's is scanned: the switch changes the
    // token's form, so consumers rebuild once — an over-approximation, never a wrong result.
    expect(names(switched, 'built')).toEqual(['report', 'totals']);
    expect(names(await go(), 'built')).toEqual([]);
    expect(await rows("select table_type from information_schema.tables where table_name = 'totals'")).toEqual([['BASE TABLE']]);
  });

  it('a view in a schema may share its table name with a source (DuckDB binds view bodies in their own schema)', async () => {
    await setup({
      'tasks/staging/orders.sql': '-- @materialize view\nselect id, amount from orders',
      'tasks/uses_staging.sql': 'select sum(amount) as s from staging.orders',
    });
    const o = await go();
    expect(o.status).toBe('ok');
    expect(await rows('select s from uses_staging')).toEqual([[67.5]]);
  });

  it('--full-refresh rebuilds the selection; --select limits the run', async () => {
    await setup();
    await go();
    expect(names(await go({ fullRefresh: true, select: 'totals+' }), 'built')).toEqual(['report', 'totals']);
    await writeOrders('range * 3');
    const sel = await go({ select: 'counts,totals' });
    expect(names(sel, 'built')).toEqual(['totals']);
    // report stayed pending: the next unrestricted run picks it up.
    expect(names(await go(), 'built')).toEqual(['report']);
  });

  it('a missing output is rebuilt', async () => {
    await setup();
    await go();
    const inst = await DuckDBInstance.create(`${p.dir}/state/warehouse.duckdb`);
    const c = await inst.connect();
    await c.run('drop table counts');
    c.closeSync();
    inst.closeSync();
    const o = await go();
    expect(o.tasks.find((t) => t.task === 'counts')?.causes).toEqual([{ kind: 'output_missing' }]);
  });

  it('pending invalidations survive a run that stopped before executing (crash after observe)', async () => {
    await setup();
    await go();
    await writeOrders('range * 5');
    // Simulate a crash right after observation: record the change, run nothing.
    const ac = new AbortController();
    ac.abort();
    const stopped = await go({ signal: ac.signal });
    expect(stopped.interrupted).toBe(true);
    const db = openStateDb(`${p.dir}/state`);
    expect((db.prepare('select count(*) as n from pending').get() as { n: number }).n).toBeGreaterThan(0);
    db.close();
    const o = await go();
    expect(o.changes).toEqual([]);
    expect(names(o, 'built')).toEqual(['report', 'totals']);
  });

  it('plan decides without executing', async () => {
    await setup();
    await go();
    await writeOrders('range * 4');
    const plan = await go({ dryRun: true });
    expect(plan.tasks.map((t) => [t.task, t.status])).toEqual([
      ['counts', 'skipped'],
      ['notes', 'skipped'],
      ['totals', 'would_build'],
      ['report', 'would_build_unless_cutoff'],
    ]);
    // Nothing was written: the run still sees the change.
    expect(names(await go(), 'built')).toEqual(['report', 'totals']);
  });
});

describe('engine version', () => {
  it('a new DuckDB version invalidates every trace (cause engine_changed) and stored tokens', async () => {
    await setup();
    await go();
    const db = openStateDb(`${p.dir}/state`);
    db.prepare("UPDATE traces SET engine_version = 'v0.0.1'").run();
    db.prepare("UPDATE meta SET value = 'v0.0.1' WHERE key = 'engine_version'").run();
    db.close();
    const o = await go();
    expect(o.changes.map((c) => c.kind)).toEqual(['engine_changed']);
    expect(names(o, 'built')).toEqual(['counts', 'notes', 'report', 'totals']);
    expect(o.tasks.find((t) => t.task === 'counts')!.causes).toEqual([
      { kind: 'engine_changed', from: 'v0.0.1', to: expect.stringMatching(/^v1\./) },
    ]);
    expect((await go()).status).toBe('noop');
  });
});
