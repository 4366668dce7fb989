import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';

/**
 * Non-deterministic tasks (issue 11 item 5): detected from the parse tree, warned in validate and run;
 * `-- @volatile` rebuilds them every run (cause `volatile`, consumers cut off as usual); without it,
 * `why` says when the kept output was built. Real CLI processes.
 */
let p: TempProject;
afterEach(() => p?.cleanup());

const CONFIG = `export default { sources: { orders: { format: 'csv', path: 'data/orders.csv' } } }`;
const json = (r: { stdout: string }) => JSON.parse(r.stdout);
const tasksOf = (r: { stdout: string }) => json(r).tasks as { task: string; status: string; causes: { kind: string }[] }[];

function project(tasks: Record<string, string>): TempProject {
  return tempProject({
    'watch.config.ts': CONFIG,
    'data/orders.csv': 'id,amt\n1,10\n2,20\n',
    ...Object.fromEntries(Object.entries(tasks).map(([n, sql]) => [`tasks/${n}.sql`, sql])),
  });
}

describe('volatile functions', () => {
  it('random() is warned in validate and run; without @volatile the output is kept and why says since when', () => {
    p = project({ rnd: 'select id, random() as r from orders' });
    const v = p.cli(['validate']);
    expect(v.code).toBe(0);
    expect(v.stderr).toContain('warning W_VOLATILE tasks/rnd.sql: task rnd calls random(), whose result changes between runs');
    expect(v.stderr).toContain('-- @volatile');
    const first = p.cli(['run']);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('warning W_VOLATILE tasks/rnd.sql');
    const again = p.cli(['run', '--json']);
    expect(tasksOf(again).filter((t) => t.status === 'built')).toEqual([]);
    expect(json(again).warnings).toContainEqual(
      expect.objectContaining({
        code: 'W_VOLATILE',
        task: 'rnd',
        caveat: { kind: 'volatile', functions: ['random'], rebuildEachRun: false },
      }),
    );
    const startedAt = JSON.parse(p.cli(['history', '--json']).stdout).runs.find((r: { runId: number }) => r.runId === 1).startedAt;
    const why = p.cli(['why', 'rnd']);
    expect(why.stdout).toContain(`its output was built at ${startedAt} (run 1) and is kept: it calls random()`);
    expect(p.cli(['status']).stdout).toMatch(/rnd .* fresh, kept as built \(random\(\)\)/);
  });

  it('with -- @volatile it is rebuilt on every run with cause volatile; an unchanged result stops at its consumers', () => {
    p = project({
      stamp: '-- @volatile\nselect id, random() as r from orders',
      ids: 'select id from stamp',
    });
    expect(p.cli(['run']).code).toBe(0);
    for (let i = 0; i < 2; i++) {
      const r = p.cli(['run', '--json']);
      const byTask = Object.fromEntries(tasksOf(r).map((t) => [t.task, t]));
      expect(byTask.stamp).toMatchObject({ status: 'built', causes: [{ kind: 'volatile' }] });
      // ids reads only `id`, which did not change: early cutoff.
      expect(byTask.ids?.status ?? 'unaffected').not.toBe('built');
      // A handled volatile task is not a warning.
      expect(json(r).warnings).toEqual([]);
    }
    expect(p.cli(['why', 'stamp']).stdout).toContain('volatile: -- @volatile rebuilds it on every run');
  });

  it('now() and current_date are detected too', () => {
    p = project({ t: 'select id, now() as at, current_date as d from orders' });
    const j = json(p.cli(['validate', '--json']));
    expect(j.warnings).toContainEqual(
      expect.objectContaining({
        code: 'W_VOLATILE',
        caveat: { kind: 'volatile', functions: ['current_date', 'now'], rebuildEachRun: false },
      }),
    );
    expect(p.cli(['validate']).stderr).toContain('task t calls current_date, now()');
  });

  it('a value given to @volatile is a header error naming the line', () => {
    p = project({ t: '-- @volatile yes\nselect 1 as x' });
    const r = p.cli(['validate']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("bad @volatile 'yes' on line 1");
  });
});
