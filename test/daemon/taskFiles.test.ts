import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { builtIn, isReady, spawnDaemon, type DaemonProc } from '../helpers/process.js';

/** `relspec watch` reacts to files tasks read through table functions (issue 11 item 4). */
let p: TempProject;
let d: DaemonProc | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
  p?.cleanup();
});

describe('relspec watch and files read inside tasks', () => {
  it('an edit of a read_csv file, and a file added to a read_parquet glob, each run the task', async () => {
    p = tempProject({
      'watch.config.ts': `export default { sources: { people: { format: 'csv', path: 'data/people.csv' } }, watch: { debounceMs: 100 } }`,
      'data/people.csv': 'id,name\n1,a\n2,b\n',
      'side/weights.csv': 'id,w\n1,10\n2,20\n',
      'tasks/weighted.sql': "select p.id, w.w from people p join read_csv('side/weights.csv') w using (id)",
      'tasks/parts.sql': "select count(*)::INTEGER as n from read_parquet('side/p/*.parquet')",
      'tasks/stamp.sql': 'select id, now() as at from people',
    });
    await p.parquet('side/p/a.parquet', 'select 1 as v');
    d = spawnDaemon(p.dir);
    await d.waitFor(isReady, { timeoutMs: 30_000 });
    // The start-up reconcile warns once about the kept volatile output.
    expect(d.entries.filter((e) => e.event === 'warning').map((e) => e.message)).toEqual([
      expect.stringMatching(/^warning W_VOLATILE tasks\/stamp\.sql: task stamp calls now\(\)/),
    ]);
    // The reconcile found the task files: the watcher was re-created with them.
    let m = d.mark();
    p.write('side/weights.csv', 'id,w\n1,11\n2,20\n');
    let run = await d.nextRun(m, 30_000);
    expect(builtIn(run)).toEqual(['weighted']);
    expect(d.entries.slice(m).find((e) => e.event === 'built')?.message).toContain(`file ${p.dir}/side/weights.csv changed`);
    expect(d.entries.slice(m).some((e) => e.event === 'warning')).toBe(false);
    m = d.mark();
    await p.parquet('side/p/b.parquet', 'select 2 as v');
    run = await d.nextRun(m, 30_000);
    expect(builtIn(run)).toEqual(['parts']);
    const why = p.cli(['why', 'parts']);
    expect(why.stdout).toContain('file side/p/b.parquet is read for the first time');
  });
});
