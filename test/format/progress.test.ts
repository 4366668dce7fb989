import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ProgressReporter } from '../../src/format/progress.js';
import { CLI, tempProject, type TempProject } from '../helpers/project.js';

/** A sink that keeps what was written, and a clock the test moves. */
function harness(isTTY: boolean) {
  let now = 0;
  const out: string[] = [];
  const p = new ProgressReporter({ write: (s) => void out.push(s), isTTY }, { intervalMs: 5000, now: () => now });
  return { p, out, advance: (ms: number) => (now += ms), text: () => out.join('') };
}

describe('ProgressReporter', () => {
  it('without a terminal: a line only once a step has lasted the interval, naming it and its time', () => {
    const h = harness(false);
    h.p.event({ kind: 'task_started', task: 'orders', index: 3, total: 12 });
    expect(h.text()).toBe('');
    h.advance(5200);
    h.p.event({ kind: 'code_extract', source: 'code', done: 10, total: 400 });
    h.advance(5100);
    h.p.event({ kind: 'code_extract', source: 'code', done: 200, total: 400 });
    expect(h.text()).toBe('… extracting code (code): 200 / 400 files, 5.10s\n');
    h.p.clear();
    h.advance(60_000);
    h.p.event({ kind: 'task_started', task: 'b', index: 4, total: 12 });
    expect(h.out).toHaveLength(1);
    h.p.stop();
  });

  it('on a terminal: one status line redrawn in place and erased before the run prints', () => {
    const h = harness(true);
    h.p.event({ kind: 'task_started', task: 'orders', index: 1, total: 2 });
    expect(h.text()).toBe('\r\x1b[K▸ 1 of 2 orders 0.00s');
    h.advance(1500);
    h.p.event({ kind: 'task_started', task: 'totals', index: 2, total: 2 });
    expect(h.out.at(-1)).toBe('\r\x1b[K▸ 2 of 2 totals 0.00s');
    h.p.clear();
    expect(h.out.at(-1)).toBe('\r\x1b[K');
    h.p.stop();
    expect(h.out).toHaveLength(3);
  });
});

describe('relspec run progress (real process)', () => {
  let p: TempProject | undefined;
  afterEach(() => p?.cleanup());
  // A task that takes a few seconds in DuckDB: long enough for progress lines at a 300 ms interval.
  const files = {
    'watch.config.ts': "export default { sources: { orders: { format: 'csv', path: 'data/*.csv' } }, tasks: 'tasks', state: 'state' };\n",
    'data/orders.csv': 'id,amount\n1,10\n',
    'tasks/slow.sql': 'select count(*) as n from range(250000000) r, orders where r.range % 7 = orders.id\n',
  };

  it('without a terminal: "… 1 of 1 slow" lines on stderr while the task runs; stdout and --json unchanged', () => {
    p = tempProject(files);
    const r = p.cli(['run'], { env: { RELSPEC_PROGRESS_MS: '300' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^… 1 of 1 slow \d+\.\d\ds$/m);
    expect(r.stdout).not.toContain('…');
    p.write('tasks/slow.sql', files['tasks/slow.sql'].replace('% 7', '% 5'));
    const j = p.cli(['run', '--json'], { env: { RELSPEC_PROGRESS_MS: '300' } });
    expect(j.stderr).toBe('');
    expect(JSON.parse(j.stdout)).toMatchObject({ status: 'ok' });
  });

  it.skipIf(!existsSync('/usr/bin/script'))(
    'on a terminal (a pty from script(1)): a status line that is erased before the task line',
    () => {
      p = tempProject(files);
      const r = spawnSync('/usr/bin/script', ['-qec', `${process.execPath} ${CLI} run`, '/dev/null'], { cwd: p.dir, encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('▸ 1 of 1 slow');
      // The erase sequence (CR, ESC [K) right before the task's line.
      expect(r.stdout).toMatch(new RegExp(`\r${String.fromCharCode(27)}\\[K\\s*1 of 1 OK {4}slow`));
    },
  );
});
