import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { run, type RunOutcome } from '../../src/incremental/run.js';
import type { RootChange } from '../../src/records/types.js';
import { commitInfo, metaData, protocol, remove, tableBuilder } from '../delta/builder.js';
import { tempProject, type TempProject } from '../helpers/project.js';

/**
 * Engine scenarios on a Delta source whose commits the test writes by hand (parquet by DuckDB).
 * The table has no CDF: change rows come from the added and removed files.
 */
let inst: DuckDBInstance;
let conn: DuckDBConnection;
let t: ReturnType<typeof tableBuilder>;
let p: TempProject;
let version = 0;
let live = '';

beforeAll(async () => {
  inst = await DuckDBInstance.create(':memory:');
  conn = await inst.connect();
  t = tableBuilder(conn);
  p = tempProject({
    'watch.config.ts': `export default { sources: { items: { format: 'delta', path: ${JSON.stringify(t.dir)} } } }`,
    'tasks/prices.sql': 'select id, sum(price) as total from items group by id',
    'tasks/counts.sql': 'select count(*) as n from items',
    'tasks/names.sql': 'select id, name from items',
    'tasks/report.sql': 'select n.name, p.total from names n join prices p using (id)',
  });
});
afterAll(() => {
  t.cleanup();
  p.cleanup();
  conn.closeSync();
  inst.closeSync();
});

const rows = (note: string, ids = [1, 2, 3]) =>
  `select id::BIGINT as id, 'item ' || id as name, (id * 10)::DOUBLE as price, '${note}' as note from unnest([${ids.join(',')}]) u(id)`;

/** Replaces the live file by a new one in one commit (an UPDATE/MERGE/OPTIMIZE as writers do it). */
async function rewrite(op: string, query: string, dataChange = true) {
  const file = `part-${version}.parquet`;
  const addAction = await t.file(file, query, { extra: { dataChange } });
  t.log(version, [commitInfo(op), remove(live, { dataChange }), addAction]);
  live = file;
  version++;
}

const go = () => run({ configPath: 'watch.config.ts', cwd: p.dir });
const built = (o: RunOutcome) =>
  o.tasks
    .filter((x) => x.status === 'built')
    .map((x) => x.task)
    .sort();
const deltaChange = (o: RunOutcome) => o.changes.find((c) => c.kind === 'delta_commits') as Extract<RootChange, { kind: 'delta_commits' }>;

describe('Delta source in the engine', () => {
  it('first run builds everything at the pinned version', async () => {
    const first = await t.file('part-init.parquet', rows('a'));
    t.log(0, [
      protocol(1, 2),
      metaData([
        ['id', 'long'],
        ['name', 'string'],
        ['price', 'double'],
        ['note', 'string'],
      ]),
      commitInfo('CREATE TABLE'),
      first,
    ]);
    live = 'part-init.parquet';
    version = 1;
    const o = await go();
    expect(o.status).toBe('ok');
    expect(built(o)).toEqual(['counts', 'names', 'prices', 'report']);
    expect(o.changes.find((c) => c.kind === 'source_added')).toMatchObject({ source: 'items', toVersion: 0 });
  });

  it('an update of a column no task reads builds nothing', async () => {
    await rewrite('UPDATE', rows('changed note'));
    const o = await go();
    expect(built(o)).toEqual([]);
    const ch = deltaChange(o);
    expect(ch).toMatchObject({
      fromVersion: 0,
      toVersion: 1,
      commits: [{ version: 1, operation: 'UPDATE', counts: { insert: 3, delete: 3 } }],
    });
    expect(ch.consumers.every((c) => !c.changed)).toBe(true);
    expect(ch.fallback).toBeUndefined();
  });

  it('a MERGE rewriting rows with equal values builds nothing', async () => {
    await rewrite('MERGE', rows('changed note'));
    const o = await go();
    expect(built(o)).toEqual([]);
    expect(deltaChange(o).commits[0]!.operation).toBe('MERGE');
  });

  it('OPTIMIZE (dataChange=false) changes nothing and reads no change rows', async () => {
    await rewrite('OPTIMIZE', rows('changed note'), false);
    const o = await go();
    expect(built(o)).toEqual([]);
    expect(deltaChange(o).commits).toEqual([
      expect.objectContaining({ operation: 'OPTIMIZE', counts: { insert: 0, delete: 0, update_preimage: 0, update_postimage: 0 } }),
    ]);
  });

  it('a delete rebuilds its dependents', async () => {
    await rewrite('DELETE', rows('changed note', [1, 3]));
    const o = await go();
    expect(built(o)).toEqual(['counts', 'names', 'prices', 'report']);
    const cause = o.tasks.find((x) => x.task === 'prices')!.causes[0]!;
    expect(cause).toMatchObject({ kind: 'input_changed', input: 'items', columns: ['id', 'price'], root: deltaChange(o).id });
  });

  it('a price change rebuilds only the tasks reading price', async () => {
    await rewrite('UPDATE', `select * replace (price * 2 as price) from (${rows('changed note', [1, 3])})`);
    const o = await go();
    expect(built(o)).toEqual(['prices', 'report']);
    expect(deltaChange(o).consumers.find((c) => c.tasks.includes('names'))!.changed).toBe(false);
  });

  it('a commit landing during a run is picked up by the next run (snapshot isolation)', async () => {
    let committed = false;
    const o = await run({
      configPath: 'watch.config.ts',
      cwd: p.dir,
      onTask: () => {
        if (committed) return;
        committed = true;
        // Appends v+1 synchronously while the run is executing tasks on the pinned version.
        t.log(version, [
          commitInfo('WRITE'),
          { add: { path: 'part-extra.parquet', partitionValues: {}, size: 1, modificationTime: 0, dataChange: true } },
        ]);
      },
      fullRefresh: true,
    });
    await conn.run(`COPY (${rows('x', [7])}) TO '${t.dir}/part-extra.parquet' (FORMAT parquet)`);
    version++;
    expect(committed).toBe(true);
    expect(o.changes.filter((c) => c.kind === 'delta_commits')).toEqual([]);
    const next = await go();
    expect(deltaChange(next)).toMatchObject({ fromVersion: version - 2, toVersion: version - 1 });
    expect(built(next)).toEqual(['counts', 'names', 'prices', 'report']);
  });

  it('schema evolution: an added column invalidates no task that does not read it', async () => {
    t.log(version++, [
      commitInfo('ADD COLUMNS'),
      metaData([
        ['id', 'long'],
        ['name', 'string'],
        ['price', 'double'],
        ['note', 'string'],
        ['color', 'string'],
      ]),
    ]);
    const o = await go();
    expect(o.status).not.toBe('failed');
    expect(built(o)).toEqual([]);
  });

  it('schema evolution: a dropped column that a task reads fails that task with a clear error; the rest proceeds', async () => {
    t.log(version++, [
      commitInfo('DROP COLUMNS'),
      metaData([
        ['id', 'long'],
        ['name', 'string'],
        ['note', 'string'],
        ['color', 'string'],
      ]),
    ]);
    const o = await go();
    expect(o.status).toBe('failed');
    const prices = o.tasks.find((x) => x.task === 'prices')!;
    expect(prices.status).toBe('failed');
    expect(prices.error).toMatch(/prices\.sql: task prices does not bind: .*price/);
    expect(o.tasks.find((x) => x.task === 'report')).toMatchObject({ status: 'blocked' });
    expect(o.tasks.find((x) => x.task === 'names')?.status ?? 'unaffected').not.toBe('failed');
  });
});
