import { existsSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { builtIn, isReady, spawnDaemon, type DaemonProc, type Entry } from '../helpers/process.js';
import { dumpWarehouse } from '../helpers/warehouse.js';

const CONFIG = `export default {
  sources: { people: { format: 'csv', path: 'data/people.csv' } },
  watch: { debounceMs: 100 },
}`;
const people = (n: number) => 'id,name\n' + Array.from({ length: n }, (_, i) => `${i},p${i}`).join('\n') + '\n';

let p: TempProject;
let d: DaemonProc | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
  p?.cleanup();
});

async function start(): Promise<DaemonProc> {
  p = tempProject({
    'watch.config.ts': CONFIG,
    'data/people.csv': people(3),
    'tasks/names.sql': 'select id, upper(name) as name from people',
    'tasks/cnt.sql': 'select count(*) as n from people',
    'tasks/report.sql': 'select n.id, n.name, c.n from names n, cnt c',
  });
  d = spawnDaemon(p.dir);
  await d.waitFor(isReady);
  return d;
}
const taskStatus = (run: Entry) => Object.fromEntries((run.tasks as { task: string; status: string }[]).map((t) => [t.task, t.status]));

describe('relspec watch', () => {
  it('reconciles at start, then a source edit runs the impacted tasks within the debounce', async () => {
    const d = await start();
    const reconcile = d.entries.find((e) => e.tag === 'run' && e.event === 'finished')!;
    expect(reconcile).toMatchObject({ trigger: 'reconcile', built: 3 });
    expect(d.entries.find(isReady)!.message).toMatch(/^watching \d+ paths$/);
    const m = d.mark();
    const t0 = Date.now();
    p.write('data/people.csv', people(4));
    const batch = await d.waitFor((e) => e.event === 'batch', { from: m });
    const run = await d.nextRun(m);
    const latency = Date.parse(batch.time) - t0;
    console.log(`event → run start: ${latency} ms; event → run finished: ${Date.parse(run.time) - t0} ms`);
    expect(latency).toBeLessThan(1500);
    expect(batch).toMatchObject({ trigger: 'watch', sources: ['people'] });
    expect(builtIn(run)).toEqual(['cnt', 'names', 'report']);
    expect((run.changes as string[])[0]).toMatch(/^source:people@2/);
    // The read API works from another process while the daemon runs.
    for (const args of [['status'], ['history'], ['why', 'cnt']]) {
      const r = p.cli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
  });

  it('coalesces a burst of 1,000 writes into a few runs with the right final state', async () => {
    const d = await start();
    const m = d.mark();
    const file = path.join(p.dir, 'data/people.csv');
    for (let i = 1; i <= 1000; i++) writeFileSync(file, people(i));
    const tEnd = Date.now();
    // The run that starts after the last write sees the final file.
    const last = await d.waitFor((e) => e.event === 'batch' && Date.parse(e.time) >= tEnd, { from: m });
    await d.nextRun(d.entries.indexOf(last));
    const runs = d.entries.slice(m).filter((e) => e.tag === 'run' && e.event === 'finished');
    console.log(`1,000 writes → ${runs.length} runs`);
    expect(runs.length).toBeLessThanOrEqual(6);
    expect(await d.stop()).toEqual({ code: 0, signal: null });
    const wh = await dumpWarehouse(path.join(p.dir, 'state/warehouse.duckdb'));
    expect(wh['main.cnt']).toEqual([['1000']]);
  });

  it('an atomic-rename save of a task file rebuilds that task', async () => {
    const d = await start();
    const m = d.mark();
    p.write('tasks/4913', ''); // vim's write probe: ignored
    p.write('tasks/names.sql.tmp', 'select id, lower(name) as name from people');
    renameSync(path.join(p.dir, 'tasks/names.sql.tmp'), path.join(p.dir, 'tasks/names.sql'));
    p.rm('tasks/4913');
    const run = await d.nextRun(m);
    expect(d.entries.slice(m).find((e) => e.event === 'batch')).toMatchObject({ tasks: ['tasks/names.sql'] });
    expect(builtIn(run)).toEqual(['names', 'report']);
    expect((run.changes as string[])[0]).toMatch(/^task:names@/);
  });

  it('a broken task fails, its descendants are blocked, the rest runs; fixing it rebuilds it', async () => {
    const d = await start();
    let m = d.mark();
    p.write('tasks/names.sql', 'select id, upper(nme) as name from people');
    p.write('data/people.csv', people(5));
    let run = await d.nextRun(m);
    expect(taskStatus(run)).toMatchObject({ names: 'failed', report: 'blocked', cnt: 'built' });
    expect(d.entries.slice(m).find((e) => e.tag === 'task' && e.event === 'failed')!.message).toMatch(/names/);
    m = d.mark();
    p.write('tasks/names.sql', 'select id, upper(name) as name from people');
    run = await d.nextRun(m);
    expect(builtIn(run)).toEqual(['names', 'report']);
    expect(d.proc.exitCode).toBe(null);
  });

  it('a broken config keeps the old one running; the fix is picked up', async () => {
    const d = await start();
    let m = d.mark();
    p.write('watch.config.ts', 'export default { sources: { people: { format: "csv", path: ');
    const invalid = await d.waitFor((e) => e.tag === 'config' && e.event === 'invalid', { from: m });
    expect(
      d.entries
        .slice(m, d.entries.indexOf(invalid))
        .some((e) => e.tag === 'config' && e.event === 'error' && /E_CONFIG_LOAD/.test(e.message)),
    ).toBe(true);
    // Still running the old config: a source edit builds as before.
    p.write('data/people.csv', people(6));
    let run = await d.nextRun(m);
    expect(builtIn(run)).toEqual(['cnt', 'names', 'report']);
    // The fix adds a source and a task reading it.
    m = d.mark();
    p.write('data/extra.csv', 'x\n1\n2\n');
    p.write('tasks/extra_n.sql', 'select count(*) as n from extra');
    p.write('watch.config.ts', CONFIG.replace('sources: {', "sources: { extra: { format: 'csv', path: 'data/extra.csv' },"));
    await d.waitFor((e) => e.tag === 'config' && e.event === 'reloaded', { from: m });
    run = await d.waitFor((e) => e.tag === 'run' && e.event === 'finished' && builtIn(e).includes('extra_n'), { from: m });
    expect(run.status).toBe('ok');
    // The watcher was re-created for the new source's path.
    m = d.mark();
    p.write('data/extra.csv', 'x\n1\n2\n3\n');
    run = await d.nextRun(m);
    expect(builtIn(run)).toEqual(['extra_n']);
  });

  it('one writer per state dir: a second daemon and `relspec run` are refused; SIGTERM exits 0 and frees the lock', async () => {
    const d = await start();
    const state = path.join(p.dir, 'state');
    const msg = `relspec daemon (pid ${d.pid}) is running on ${state}; stop it or use 'relspec status'\n`;
    const second = spawnDaemon(p.dir);
    expect(await second.exited).toEqual({ code: 2, signal: null });
    expect(second.stderr()).toBe(msg);
    // Direct access (no socket): `relspec run` alone is refused; through the socket the daemon runs it (test/serve).
    const r = p.cli(['run'], { env: { RELSPEC_NO_DAEMON: '1' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(msg);
    expect(existsSync(path.join(state, 'relspec.lock'))).toBe(true);
    expect(await d.stop()).toEqual({ code: 0, signal: null });
    expect(d.entries.at(-1)).toMatchObject({ tag: 'daemon', event: 'stopped' });
    expect(existsSync(path.join(state, 'relspec.lock'))).toBe(false);
  });
});
