import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { run } from '../../src/incremental/run.js';
import { changeCounts, loadSnapshot, snapshotQuery, tableHistory } from '../../src/delta/index.js';
import { tempProject } from '../helpers/project.js';

const p = tempProject({
  'watch.config.ts': `export default { sources: { people: { format: 'csv', path: 'data/people.csv' } } }`,
  'data/people.csv': 'id,name,city\n1,Ann,Oslo\n2,Bob,Rome\n3,Cy,Lima\n3,Cy,Lima\n',
  'tasks/cities.sql': '-- @materialize delta\nselect id, name, city from people',
  'tasks/per_city.sql': 'select city, count(*) as n from cities group by all order by all',
});
afterAll(() => p.cleanup());
const go = () => run({ configPath: 'watch.config.ts', cwd: p.dir });
const tableDir = path.join(p.dir, 'state/outputs/cities');

async function read(sql: (rel: string) => string) {
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  try {
    const snap = await loadSnapshot(c, tableDir);
    return {
      version: snap.version,
      rows: (await c.runAndReadAll(sql(`(${await snapshotQuery(c, snap)})`))).getRowsJson(),
      counts: (await changeCounts(c, tableDir, snap.version)).versions[0]!.counts,
    };
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

describe('@materialize delta', () => {
  it('writes the output as a Delta table under the outputs directory, readable by consumers', async () => {
    const o = await go();
    expect(o.status).toBe('ok');
    const t = await read((r) => `select id, name, city from ${r} order by all`);
    expect(t.rows).toEqual([
      ['1', 'Ann', 'Oslo'],
      ['2', 'Bob', 'Rome'],
      ['3', 'Cy', 'Lima'],
      ['3', 'Cy', 'Lima'],
    ]);
  });

  it('a rebuild commits only the row-level difference, with CDF (duplicates stay exact)', async () => {
    p.write('data/people.csv', 'id,name,city\n1,Ann,Oslo\n2,Bob,Paris\n3,Cy,Lima\n3,Cy,Lima\n4,Di,Kyiv\n');
    const o = await go();
    expect(
      o.tasks
        .filter((t) => t.status === 'built')
        .map((t) => t.task)
        .sort(),
    ).toEqual(['cities', 'per_city']);
    const t = await read((r) => `select id, city from ${r} order by all`);
    expect(t.rows).toEqual([
      ['1', 'Oslo'],
      ['2', 'Paris'],
      ['3', 'Lima'],
      ['3', 'Lima'],
      ['4', 'Kyiv'],
    ]);
    // Bob's row replaced, Di inserted; Ann and both Cy rows untouched.
    expect(t.counts).toEqual({ insert: 2, delete: 1, update_preimage: 0, update_postimage: 0 });
    const history = await tableHistory(tableDir);
    expect(history.at(-1)!.operation).toBe('MERGE');
  });

  it('a duplicate removed: the tuple is rewritten with its new multiplicity', async () => {
    p.write('data/people.csv', 'id,name,city\n1,Ann,Oslo\n2,Bob,Paris\n3,Cy,Lima\n4,Di,Kyiv\n');
    await go();
    const t = await read((r) => `select id, count(*) from ${r} group by id order by id`);
    expect(t.rows).toEqual([
      ['1', '1'],
      ['2', '1'],
      ['3', '1'],
      ['4', '1'],
    ]);
    expect(t.counts).toEqual({ insert: 1, delete: 2, update_preimage: 0, update_postimage: 0 });
  });

  it('an input change that leaves the rows equal commits nothing', async () => {
    const before = (await read(() => 'select 1')).version;
    p.write('data/people.csv', 'id,name,city\n4,Di,Kyiv\n3,Cy,Lima\n2,Bob,Paris\n1,Ann,Oslo\n');
    const o = await go();
    expect((await read(() => 'select 1')).version).toBe(before);
    expect(o.tasks.find((t) => t.task === 'per_city')?.status ?? 'not reached').not.toBe('built');
  });

  it('a deleted Delta table is rebuilt (output missing)', async () => {
    (await import('node:fs')).rmSync(tableDir, { recursive: true, force: true });
    const o = await go();
    expect(o.tasks.find((t) => t.task === 'cities')).toMatchObject({ status: 'built', causes: [{ kind: 'output_missing' }] });
  });
});
