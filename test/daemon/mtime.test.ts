import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempProject } from '../helpers/project.js';
import { builtIn, isReady, spawnDaemon, type DaemonProc } from '../helpers/process.js';

/**
 * A running `relspec watch` sees rewrites that keep size, mtime and atime (`cp -p`, `touch -r`):
 * chokidar emits no 'change' for them (it compares mtimes), the watcher turns the raw inotify event
 * into one when the stat signature moved (src/daemon/watcher.ts). Real daemon, real tools.
 */

const p = tempProject({
  'watch.config.ts': `export default { sources: { src: { format: 'csv', path: 'data/*.csv' } }, watch: { debounceMs: 100 } };\n`,
  'tasks/total.sql': 'select sum(v)::bigint as s from src\n',
  'data/a.csv': 'k,v\n1,10\n2,20\n',
});
let d: DaemonProc | undefined;
afterAll(async () => {
  await d?.stop();
  p.cleanup();
});

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: p.dir, stdio: 'pipe' });
const A = path.join(p.dir, 'data/a.csv');

describe('relspec watch and mtime-preserving rewrites', () => {
  it('a cp -p rewrite (same size, old mtime and atime) is seen and rebuilt; a touch -r one too', async () => {
    d = spawnDaemon(p.dir);
    await d.waitFor(isReady);
    await d.waitFor((e) => e.tag === 'run' && e.event === 'finished');

    writeFileSync(path.join(p.dir, 'new.csv'), 'k,v\n1,10\n2,50\n');
    sh('touch', ['-r', A, 'new.csv']);
    const before = statSync(A);
    let m = d.mark();
    sh('cp', ['-p', 'new.csv', A]);
    expect(statSync(A).mtimeMs).toBe(before.mtimeMs);
    let run = await d.nextRun(m);
    expect(builtIn(run)).toEqual(['total']);

    writeFileSync(path.join(p.dir, 'ref'), '');
    sh('touch', ['-r', A, 'ref']);
    m = d.mark();
    writeFileSync(A, 'k,v\n1,10\n2,70\n');
    sh('touch', ['-r', 'ref', A]);
    run = await d.nextRun(m);
    expect(builtIn(run)).toEqual(['total']);
    // The write and the touch are two states (the daemon may run for each); only one build, and no
    // stream of runs from the raw events that write raised.
    await new Promise((r) => setTimeout(r, 1000));
    const runs = d.entries.slice(m).filter((e) => e.tag === 'run' && e.event === 'finished');
    expect(runs.length).toBeLessThanOrEqual(2);
    expect(runs.flatMap(builtIn)).toEqual(['total']);

    await d.stop();
    d = undefined;
    const show = p.cli(['show', 'total', '--json']);
    expect(show.code, show.stderr).toBe(0);
    expect(Number((JSON.parse(show.stdout) as { rows: { s: string }[] }).rows[0]!.s)).toBe(80);
  });
});
