import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { dumpWarehouse } from '../helpers/warehouse.js';
import { tempProject, type TempProject } from '../helpers/project.js';

/**
 * `-- @contract` / `-- @unique` through real CLI processes on real files (needs `npx tsc`): checked
 * against the inferred schema before anything runs, and on the built rows inside the build's
 * transaction, so a violation keeps the previous output and blocks the consumers.
 */
let p: TempProject | undefined;
afterEach(() => p?.cleanup());

const CONFIG = `export default { sources: { people: { format: 'csv', path: 'data/people.csv' } } };\n`;
const GOOD = 'id,name,city\n1,Ann,Oslo\n2,Bob,Rome\n3,Cy,Oslo\n';
const visits = (contract: string[], materialize = 'table') =>
  [`-- @materialize ${materialize}`, ...contract, 'select id::INTEGER as id, name, city from people', ''].join('\n');
const CONTRACT = ['-- @contract id INT NOT NULL, name TEXT', '-- @contract city VARCHAR NOT NULL', '-- @unique id'];

interface RunJson {
  status: string;
  tasks: { task: string; status: string; error?: string; reason?: { kind: string } }[];
}
function project(contract: string[] = CONTRACT, materialize = 'table'): TempProject {
  p = tempProject({
    'watch.config.ts': CONFIG,
    'data/people.csv': GOOD,
    'tasks/visits.sql': visits(contract, materialize),
    'tasks/per_city.sql': 'select city, count(*)::INTEGER as n from visits group by all\n',
  });
  return p;
}
function run(q: TempProject): RunJson {
  const r = q.cli(['run', '--json']);
  expect(r.stdout, r.stderr).toMatch(/^\{/);
  return JSON.parse(r.stdout) as RunJson;
}
const byTask = (o: RunJson) => Object.fromEntries(o.tasks.map((t) => [t.task, t]));
const statuses = (o: RunJson) => Object.fromEntries(o.tasks.map((t) => [t.task, t.status]));
function rows(q: TempProject, name: string): unknown[][] {
  const r = q.cli(['show', name, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { rows: Record<string, unknown>[] }).rows.map((x) => Object.values(x));
}

describe('output contracts', () => {
  it('a contract the output keeps: validate and run pass', () => {
    const q = project();
    expect(q.cli(['validate']).code).toBe(0);
    expect(statuses(run(q))).toEqual({ visits: 'built', per_city: 'built' });
    expect(rows(q, 'visits')).toEqual([
      [1, 'Ann', 'Oslo'],
      [2, 'Bob', 'Rome'],
      [3, 'Cy', 'Oslo'],
    ]);
  });

  it('a type mismatch is E_CONTRACT before running: validate exits 2, run fails the task and executes nothing', async () => {
    const q = project(['-- @contract id INTEGER, name INTEGER, city VARCHAR']);
    const v = q.cli(['validate']);
    expect(v.code).toBe(2);
    expect(v.stderr).toContain(
      'E_CONTRACT ' +
        `${q.dir}/tasks/visits.sql: task visits breaks its contract (inferred schema): column name is VARCHAR, expected INTEGER`,
    );
    const r = run(q);
    expect(r.status).toBe('failed');
    expect(byTask(r).visits!.status).toBe('failed');
    expect(byTask(r).visits!.error).toMatch(/^E_CONTRACT .*column name is VARCHAR, expected INTEGER — cast the column/);
    expect(byTask(r).per_city!.status).toBe('blocked');
    const wh = await dumpWarehouse(`${q.dir}/state/warehouse.duckdb`);
    expect(Object.keys(wh).filter((k) => /visits|per_city/.test(k))).toEqual([]);
  });

  it('a missing and an undeclared column name the column, expected and actual', () => {
    const q = project(['-- @contract id INTEGER, name VARCHAR, country VARCHAR']);
    const v = q.cli(['validate', '--json']);
    expect(v.code).toBe(2);
    const errors = (JSON.parse(v.stdout) as { errors: { code: string; message: string }[] }).errors;
    expect(errors.filter((e) => e.code === 'E_CONTRACT').map((e) => e.message)).toEqual([
      'task visits breaks its contract (inferred schema): column country (VARCHAR) is missing from the output; output column city (VARCHAR) is not declared',
    ]);
  });

  it.each(['table', 'view', 'delta'])(
    'a NULL in a NOT NULL column fails the @materialize %s build, keeps the previous output and blocks the consumer',
    (m) => {
      const q = project(CONTRACT, m);
      expect(statuses(run(q))).toEqual({ visits: 'built', per_city: 'built' });
      const commits = () =>
        m === 'delta' ? readdirSync(`${q.dir}/state/outputs/visits/_delta_log`).filter((f) => f.endsWith('.json')) : [];
      const before = commits();
      q.write('data/people.csv', 'id,name,city\n1,Ann,Oslo\n2,Bob,\n3,Cy,\n4,Di,Oslo\n');
      const r = run(q);
      // A Delta output is checked before the commit: no new version.
      expect(commits()).toEqual(before);
      if (m === 'delta') expect(before.length).toBeGreaterThan(0);
      expect(byTask(r).visits!.status).toBe('failed');
      expect(byTask(r).visits!.error).toContain(
        'contract: 2 rows with NULL city (e.g. {"id":2,"name":"Bob","city":null}, {"id":3,"name":"Cy","city":null})',
      );
      expect(byTask(r).per_city!.status).toBe('blocked');
      // A view reads its source when queried: its previous definition stands, over the new rows.
      if (m !== 'view')
        expect(rows(q, 'visits')).toEqual([
          [1, 'Ann', 'Oslo'],
          [2, 'Bob', 'Rome'],
          [3, 'Cy', 'Oslo'],
        ]);
      expect(rows(q, 'per_city')).toEqual([
        ['Oslo', 2],
        ['Rome', 1],
      ]);
      // Fixed data: the next run builds both.
      q.write('data/people.csv', 'id,name,city\n1,Ann,Oslo\n4,Di,Oslo\n');
      expect(statuses(run(q))).toEqual({ visits: 'built', per_city: 'built' });
    },
  );

  it('a duplicate unique key fails the build with the count and a sample, the previous output stays', () => {
    const q = project([...CONTRACT, '-- @unique name, city']);
    expect(statuses(run(q))).toEqual({ visits: 'built', per_city: 'built' });
    q.write('data/people.csv', 'id,name,city\n1,Ann,Oslo\n1,Ann,Oslo\n2,Bob,Rome\n');
    const r = run(q);
    expect(byTask(r).visits!.error).toContain(
      'contract: 1 duplicate id value (e.g. {"id":1,"count":2}); 1 duplicate (name, city) keys (e.g. {"name":"Ann","city":"Oslo","count":2})',
    );
    expect(byTask(r).per_city!.status).toBe('blocked');
    expect(rows(q, 'visits')).toHaveLength(3);
  });

  it('a contract edit is a plan change (why says plan_changed); lineage shows the contract', () => {
    const q = project();
    expect(statuses(run(q))).toEqual({ visits: 'built', per_city: 'built' });
    q.write('tasks/visits.sql', visits([...CONTRACT, '-- @unique name']));
    expect(statuses(run(q))).toEqual({ visits: 'built', per_city: 'skipped' });
    const why = JSON.parse(q.cli(['why', 'visits', '--json']).stdout) as { causes: { kind: string; headerOnly?: true }[] };
    expect(why.causes.map((c) => [c.kind, c.headerOnly])).toEqual([['plan_changed', true]]);
    expect(q.cli(['why', 'visits']).stdout).toContain('(the SQL is unchanged: the edit is in the header, e.g. -- @contract or -- @unique)');
    const lineage = JSON.parse(q.cli(['lineage', 'visits', '--json']).stdout) as { tasks: { contract: unknown }[] };
    expect(lineage.tasks[0]!.contract).toEqual({
      columns: [
        { name: 'id', type: 'INTEGER', notNull: true },
        { name: 'name', type: 'VARCHAR', notNull: false },
        { name: 'city', type: 'VARCHAR', notNull: true },
      ],
      unique: [['id'], ['name']],
    });
    expect(q.cli(['lineage', 'visits']).stdout).toContain(
      'contract id INTEGER NOT NULL, name VARCHAR, city VARCHAR NOT NULL; unique (id), (name)',
    );
    expect(
      (JSON.parse(q.cli(['lineage', 'per_city', '--json']).stdout) as { tasks: { contract: unknown }[] }).tasks[0]!.contract,
    ).toBeNull();
  });
});
