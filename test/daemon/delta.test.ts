import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { commitInfo, metaData, protocol, tableBuilder } from '../delta/builder.js';
import { tempProject, type TempProject } from '../helpers/project.js';
import { builtIn, isReady, spawnDaemon, type DaemonProc } from '../helpers/process.js';

let p: TempProject | undefined;
let d: DaemonProc | undefined;
const inst = await DuckDBInstance.create(':memory:');
const conn = await inst.connect();
const t = tableBuilder(conn);
afterAll(async () => {
  await d?.stop();
  p?.cleanup();
  t.cleanup();
  conn.closeSync();
  inst.closeSync();
});

describe('relspec watch on a Delta source', () => {
  it('a commit appended to _delta_log runs exactly the impacted tasks', async () => {
    const first = await t.file('part-0.parquet', "select range::BIGINT as id, 'n' || range as name, range * 1.0 as price from range(3)");
    t.log(0, [
      protocol(1, 2),
      metaData([
        ['id', 'long'],
        ['name', 'string'],
        ['price', 'double'],
      ]),
      commitInfo('CREATE TABLE'),
      first,
    ]);
    p = tempProject({
      'watch.config.ts': `export default { sources: { items: { format: 'delta', path: ${JSON.stringify(t.dir)} } } }`,
      'tasks/total.sql': 'select sum(price) as total from items',
      'tasks/names.sql': 'select id, name from items',
    });
    d = spawnDaemon(p.dir);
    await d.waitFor(isReady, { timeoutMs: 30_000 });
    const m = d.mark();
    // An append of a new file: only row content changes, as a writer's commit lands.
    const more = await t.file('part-1.parquet', "select 10::BIGINT as id, 'ten' as name, 10.0 as price");
    t.log(1, [commitInfo('WRITE'), more]);
    const run = await d.nextRun(m, 20_000);
    expect(run).toMatchObject({ trigger: 'watch', status: 'ok' });
    expect(builtIn(run)).toEqual(['names', 'total']);
    expect(String(run.message)).toMatch(/changes: delta:items@1/);
  });
});
