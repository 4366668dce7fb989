import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon } from '../../src/daemon/daemon.js';
import type { LogEntry } from '../../src/daemon/log.js';
import { CLI, tempProject, type TempProject } from '../helpers/project.js';
import { isReady, spawnDaemon, type DaemonProc } from '../helpers/process.js';
import { copyWithoutState, dumpWarehouse, stateRows } from '../helpers/warehouse.js';

const people = (n: number) => 'id,name\n' + Array.from({ length: n }, (_, i) => `${i},p${i}`).join('\n') + '\n';

/** cnt (fast, runs first) → slow (~1–2 s of DuckDB) → after: a run can be caught in the middle. */
function project(rows = 10_000_000): TempProject {
  return tempProject({
    'watch.config.ts': `export default { sources: { people: { format: 'csv', path: 'data/people.csv' } } }`,
    'data/people.csv': people(3),
    'tasks/cnt.sql': '-- @priority 1\nselect count(*) as n, max(id) as m from people',
    'tasks/slow.sql': `select count(*) as n, sum(hash(r + m)) % 1000 as h from range(${rows}) t(r), (select max(id) as m from people)`,
    'tasks/after.sql': 'select n, h from slow',
  });
}

let p: TempProject;
const procs: DaemonProc[] = [];
afterEach(async () => {
  for (const d of procs.splice(0)) if (d.proc.exitCode === null && d.proc.signalCode === null) await d.stop();
  p?.cleanup();
});

function daemon(): DaemonProc {
  const d = spawnDaemon(p.dir);
  procs.push(d);
  return d;
}
const cntBuilt = (e: LogEntry | { tag: string; event: string; task?: unknown }) =>
  e.tag === 'task' && e.event === 'built' && e.task === 'cnt';

describe('relspec watch: runs in flight', () => {
  it('a change during a run leads to a follow-up run (single flight)', async () => {
    p = project();
    const d = daemon();
    await d.waitFor(isReady, { timeoutMs: 30_000 });
    const m = d.mark();
    p.write('data/people.csv', people(4));
    await d.waitFor(cntBuilt, { from: m }); // the run has observed v2 and is busy with `slow`
    p.write('data/people.csv', people(5));
    const first = await d.nextRun(m, 30_000);
    const second = await d.nextRun(d.entries.indexOf(first) + 1, 30_000);
    const batches = d.entries.slice(m).filter((e) => e.event === 'batch');
    expect(batches.length).toBe(2);
    // The second batch starts only after the first run finished.
    expect(d.entries.indexOf(batches[1]!)).toBeGreaterThan(d.entries.indexOf(first));
    expect((second.changes as string[]).some((c) => c.startsWith('source:people@3'))).toBe(true);
    expect(await d.stop()).toEqual({ code: 0, signal: null });
    expect((await dumpWarehouse(path.join(p.dir, 'state/warehouse.duckdb')))['main.cnt']).toEqual([['5', '4']]);
  });

  it('kill -9 mid-run, then a restart converges to the outputs of a clean build', async () => {
    p = project();
    const d = daemon();
    await d.waitFor(isReady, { timeoutMs: 30_000 });
    const m = d.mark();
    p.write('data/people.csv', people(4));
    await d.waitFor(cntBuilt, { from: m });
    d.proc.kill('SIGKILL');
    expect(await d.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(existsSync(path.join(p.dir, 'state/relspec.lock'))).toBe(true); // stale: a dead pid
    p.write('data/people.csv', people(6)); // and a change nobody saw
    const d2 = await d.restart();
    procs.push(d2);
    await d2.waitFor(isReady, { timeoutMs: 30_000 });
    expect(await d2.stop()).toEqual({ code: 0, signal: null });
    const runs = stateRows<{ id: number; status: string; trigger: string }>(p.dir, 'select id, status, trigger from runs order by id');
    // The killed run is closed as crashed by the restart (SIGTERM would have recorded interrupted).
    expect(runs.map((r) => r.status)).toEqual(['ok', 'crashed', 'ok']);
    expect(runs[2]!.trigger).toBe('reconcile');

    const cleanDir = copyWithoutState(p.dir);
    const built = spawnSync(process.execPath, [CLI, 'run'], { cwd: cleanDir, encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
    const ours = await dumpWarehouse(path.join(p.dir, 'state/warehouse.duckdb'));
    expect(ours['main.cnt']).toEqual([['6', '5']]);
    expect(ours).toEqual(await dumpWarehouse(path.join(cleanDir, 'state/warehouse.duckdb')));
  });

  it('SIGTERM mid-run: the running task finishes, no new one starts, the run is interrupted, exit 0', async () => {
    p = project();
    const d = daemon();
    await d.waitFor(isReady, { timeoutMs: 30_000 });
    const m = d.mark();
    p.write('data/people.csv', people(4));
    await d.waitFor(cntBuilt, { from: m });
    d.proc.kill('SIGTERM');
    expect(await d.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(path.join(p.dir, 'state/relspec.lock'))).toBe(false);
    const last = stateRows<{ status: string }>(p.dir, 'select status from runs order by id desc limit 1')[0]!;
    expect(last.status).toBe('interrupted');
    const tasks = stateRows<{ task: string; status: string }>(
      p.dir,
      'select task, status from task_runs where run_id = (select max(id) from runs) order by task',
    );
    expect(tasks.find((t) => t.task === 'after')).toBeUndefined();
  });

  it('stop() interrupts a long DuckDB query after the grace period (in-process API)', async () => {
    p = project(20_000_000_000);
    const log: LogEntry[] = [];
    const d = startDaemon({ configPath: path.join(p.dir, 'watch.config.ts'), jsonLog: true, graceMs: 300, onLog: (_l, e) => log.push(e) });
    // The start-up reconcile is stuck in `slow`; wait until it is running, then stop.
    while (!log.some(cntBuilt)) await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    await d.stop();
    await d.ready;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(log.some((e) => e.event === 'interrupt')).toBe(true);
    expect(log.at(-1)).toMatchObject({ tag: 'daemon', event: 'stopped' });
    expect(existsSync(path.join(p.dir, 'state/relspec.lock'))).toBe(false);
    expect(stateRows<{ status: string }>(p.dir, 'select status from runs')).toEqual([{ status: 'interrupted' }]);
  });
});
