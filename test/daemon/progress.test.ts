import { afterEach, describe, expect, it } from 'vitest';
import { isReady, spawnDaemon, type DaemonProc } from '../helpers/process.js';
import { tempProject, type TempProject } from '../helpers/project.js';

describe('daemon progress', () => {
  let p: TempProject | undefined;
  let d: DaemonProc | undefined;
  afterEach(async () => {
    await d?.stop();
    p?.cleanup();
    delete process.env.RELSPEC_PROGRESS_MS;
  });

  it('logs a progress line every interval while a long task runs', async () => {
    p = tempProject({
      'watch.config.ts': "export default { sources: { orders: { format: 'csv', path: 'data/*.csv' } }, tasks: 'tasks', state: 'state' };\n",
      'data/orders.csv': 'id,amount\n1,10\n',
      'tasks/slow.sql': 'select count(*) as n from range(250000000) r, orders where r.range % 7 = orders.id\n',
    });
    // The daemon inherits the environment: a short interval instead of the default 5 s.
    process.env.RELSPEC_PROGRESS_MS = '300';
    d = spawnDaemon(p.dir);
    await d.waitFor(isReady, { timeoutMs: 60_000 });
    const lines = d.entries.filter((e) => e.tag === 'run' && e.event === 'progress');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]!.message).toMatch(/^… 1 of 1 slow \d+\.\d\ds$/);
    // The line comes before the task's own log line, never after it.
    const built = d.entries.findIndex((e) => e.tag === 'task' && e.event === 'built');
    expect(d.entries.indexOf(lines.at(-1)!)).toBeLessThan(built);
  }, 90_000);
});
