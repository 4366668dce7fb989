import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/project/load.js';
import { openStateDb } from '../../src/state/db.js';
import { tempProject, type TempProject } from '../helpers/project.js';

let p: TempProject | undefined;
afterEach(() => p?.cleanup());

async function project() {
  p = tempProject({
    'watch.config.ts': `export default { sources: { orders: { format: 'parquet', path: 'data/orders.parquet' }, people: { format: 'csv', path: 'data/people.csv' } } }`,
    'data/people.csv': 'id,name,info\n1,Ann,x\n',
    'tasks/totals.sql': 'select customer_id, sum(amount) as total, count(*) as n from orders group by all',
    'tasks/named.sql': 'select p.name, t.total from totals t join people p on p.id = t.customer_id where t.n > 1',
    'tasks/a/one.sql': '-- @output all_rows\nselect id as k from people',
    'tasks/a/two.sql': '-- @output all_rows\nselect customer_id as k, amount from orders',
    'tasks/union_user.sql': 'select k from all_rows',
  });
  await p.parquet('data/orders.parquet', "select range as id, range % 3 as customer_id, range * 1.5 as amount, 'n' as note from range(10)");
  return p;
}

describe('lineage inference over a project', () => {
  it('infers inputs, required columns and output schemas in dependency order', async () => {
    const pr = await project();
    const proj = await loadProject({ configPath: 'watch.config.ts', cwd: pr.dir });
    expect(proj.errors).toEqual([]);
    const l = (n: string) => proj.lineage.lineage.get(n)!;
    expect(l('totals').inputs).toEqual({ orders: ['amount', 'customer_id'] });
    expect(l('named').inputs).toEqual({ people: ['id', 'name'], totals: ['customer_id', 'n', 'total'] });
    expect(l('named').outputSchema.map((c) => c.name)).toEqual(['name', 'total']);
    // all-producers: the output's schema is the union BY NAME of the slices.
    expect(proj.lineage.schemas.get('all_rows')!.map((c) => c.name)).toEqual(['k', 'amount']);
    expect(l('union_user').inputs).toEqual({ all_rows: ['k'] });
  });

  it('caches lineage in SQLite: a restart with unchanged tasks runs no EXPLAIN', async () => {
    const pr = await project();
    const db = openStateDb(`${pr.dir}/state`);
    const cold = await loadProject({ configPath: 'watch.config.ts', cwd: pr.dir, db });
    expect(cold.lineage.stats).toMatchObject({ tasks: 5, explained: 5, parseCacheHits: 0, columnCacheHits: 0 });
    db.close();
    const db2 = openStateDb(`${pr.dir}/state`);
    const warm = await loadProject({ configPath: 'watch.config.ts', cwd: pr.dir, db: db2 });
    expect(warm.lineage.stats).toMatchObject({ tasks: 5, explained: 0, parseCacheHits: 5, columnCacheHits: 5 });
    expect([...warm.lineage.lineage.values()]).toEqual([...cold.lineage.lineage.values()]);
    // An input schema change misses the cache for its consumers only.
    pr.write('data/people.csv', 'id,name,info,extra\n1,Ann,x,y\n');
    const changed = await loadProject({ configPath: 'watch.config.ts', cwd: pr.dir, db: db2 });
    expect(changed.lineage.stats.explained).toBe(2); // a.one and named read people
    db2.close();
  });

  it('reports unknown tables with the closest names, and a binder error naming the file', async () => {
    const pr = await project();
    pr.write('tasks/bad.sql', 'select * from ordrs');
    pr.write('tasks/bad_col.sql', 'select nope from orders');
    pr.write('tasks/down.sql', 'select * from bad_col');
    const proj = await loadProject({ configPath: 'watch.config.ts', cwd: pr.dir });
    const lines = proj.errors.map((e) => e.oneLine().replace(pr.dir, '<dir>'));
    expect(lines[0]).toBe(
      "E_UNKNOWN_TABLE <dir>/tasks/bad.sql: task bad reads unknown table 'ordrs' — did you mean 'orders'? Or declare it as a source",
    );
    expect(lines[1]).toMatch(
      /^E_TASK_SQL <dir>\/tasks\/bad_col.sql: task bad_col does not bind: Binder Error: Referenced column "nope" not found/,
    );
    expect(proj.lineage.blocked.get('down')).toEqual({ because: 'upstream_failed', inputs: ['bad_col'] });
    // the rest of the project still has lineage
    expect(proj.lineage.lineage.has('named')).toBe(true);
  });
});
