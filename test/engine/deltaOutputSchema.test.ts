import { cpSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { changeCounts, loadSnapshot, snapshotQuery } from '../../src/delta/index.js';
import { tempProject, withDuck, type TempProject } from '../helpers/project.js';

/**
 * Issue 11 item 7: a schema change of a `@materialize delta` output is the next version of the same
 * table — new metaData (same id) and the rewritten rows in one commit — so the history, time travel
 * and the change feed survive adding, dropping and retyping columns. Real CLI runs, the table read
 * back by relspec's own reader and by DuckDB's read_parquet.
 */

const p = tempProject({
  'watch.config.ts': `export default { sources: { people: { format: 'csv', path: 'data/people.csv' } } }`,
  'data/people.csv': 'id,name,city\n1,Ann,Oslo\n2,Bob,Rome\n3,Cy,Lima\n',
  'tasks/out.sql': '-- @materialize delta\nselect id, name from people',
  'tasks/n_out.sql': 'select count(*) as n from out',
});
afterAll(() => p.cleanup());
const tableDir = path.join(p.dir, 'state/outputs/out');

function run(): void {
  const r = p.cli(['run']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}
const cliJson = (args: string[]) => {
  const r = p.cli(args);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout);
};

/** Schema (name, type), sorted rows and table id at a version, through relspec's reader. */
const at = (version: number) =>
  withDuck(async (c) => {
    const snap = await loadSnapshot(c, tableDir, { version });
    const sql = await snapshotQuery(c, snap);
    const schema = (await c.runAndReadAll(`DESCRIBE (${sql})`)).getRows().map(([n, t]) => `${String(n)} ${String(t)}`);
    const rows = (await c.runAndReadAll(`SELECT * FROM (${sql}) ORDER BY ALL`)).getRowsJson();
    return { id: snap.metadata.id, schema, rows };
  });
const counts = (version: number) => withDuck(async (c) => (await changeCounts(c, tableDir, version, version)).versions[0]!.counts);

const V1 = {
  schema: ['id BIGINT', 'name VARCHAR'],
  rows: [
    ['1', 'Ann'],
    ['2', 'Bob'],
    ['3', 'Cy'],
  ],
};
const V2 = {
  schema: ['id BIGINT', 'name VARCHAR', 'city VARCHAR'],
  rows: [
    ['1', 'Ann', 'Oslo'],
    ['2', 'Bob', 'Rome'],
    ['3', 'Cy', 'Lima'],
  ],
};
const V3 = {
  schema: ['id BIGINT', 'city VARCHAR'],
  rows: [
    ['1', 'Oslo'],
    ['2', 'Rome'],
    ['3', 'Lima'],
  ],
};
const V4 = {
  schema: ['id VARCHAR', 'city VARCHAR'],
  rows: [
    ['1', 'Oslo'],
    ['2', 'Rome'],
    ['3', 'Lima'],
  ],
};

describe('@materialize delta: a schema change is a new version of the same table', () => {
  let id = '';
  it('first build: versions 0 (create) and 1 (write)', async () => {
    run();
    const v1 = await at(1);
    expect(v1).toMatchObject(V1);
    id = v1.id;
  });

  it('adding a column, dropping one, changing a type: one commit each, same table id', async () => {
    p.write('tasks/out.sql', '-- @materialize delta\nselect id, name, city from people');
    run();
    p.write('tasks/out.sql', '-- @materialize delta\nselect id, city from people');
    run();
    p.write('tasks/out.sql', '-- @materialize delta\nselect id::VARCHAR as id, city from people');
    run();
    const history = cliJson(['delta', 'history', tableDir, '--json']).versions as { version: number; operation: string }[];
    expect(history.map((h) => h.version).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(history.find((h) => h.version === 4)!.operation).toBe('CREATE OR REPLACE TABLE AS SELECT');
    for (const v of [0, 1, 2, 3, 4]) expect((await at(v)).id).toBe(id);
  });

  it('every version reads back its own rows and schema (time travel)', async () => {
    expect(await at(1)).toMatchObject(V1);
    expect(await at(2)).toMatchObject(V2);
    expect(await at(3)).toMatchObject(V3);
    expect(await at(4)).toMatchObject(V4);
    const inspect = cliJson(['delta', 'inspect', tableDir, '--version', '2', '--json']);
    expect(inspect.schema.map((c: { name: string }) => c.name)).toEqual(['id', 'name', 'city']);
  });

  it('the change feed of each schema change: the old rows deleted, the new rows inserted', async () => {
    for (const v of [2, 3, 4]) expect(await counts(v)).toEqual({ insert: 3, delete: 3, update_preimage: 0, update_postimage: 0 });
    expect(await counts(1)).toEqual({ insert: 3, delete: 0, update_preimage: 0, update_postimage: 0 });
    // Across a schema change the reader says so (one schema per change read), naming the split.
    const across = p.cli(['delta', 'changes', tableDir, '--from', '1', '--to', '2']);
    expect(across.code).not.toBe(0);
    expect(across.stderr).toContain('changes at version 2');
  });

  it('the current files read with DuckDB have the new schema; the output equals a clean build', async () => {
    const files = await withDuck(async (c) => (await loadSnapshot(c, tableDir)).files.map((f) => f.absPath));
    const described = await withDuck(async (c) =>
      (await c.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet([${files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ')}])`))
        .getRows()
        .map(([n, t]) => `${String(n)} ${String(t)}`),
    );
    expect(described).toEqual(V4.schema);
    const show = (proj: TempProject, name: string) => JSON.parse(proj.cli(['show', name, '--json']).stdout).rows;
    const clean = tempProject();
    try {
      cpSync(p.dir, clean.dir, { recursive: true, filter: (src) => !src.startsWith(path.join(p.dir, 'state')) });
      expect(clean.cli(['run']).code).toBe(0);
      expect(show(p, 'out')).toEqual(show(clean, 'out'));
      expect(show(p, 'n_out')).toEqual(show(clean, 'n_out'));
    } finally {
      clean.cleanup();
    }
    // Nothing left to do: fresh.
    expect(p.cli(['status']).stdout).toContain('2 fresh, 0 stale');
  });
});
