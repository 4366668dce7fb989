/**
 * State faults (issue 11 item 9): a corrupt, truncated or emptied relspec.sqlite, a corrupt
 * warehouse.duckdb, a full disk. Every command says one `E_STATE <file>: what — fix` line and exits
 * 2; the fix it names works; a daemon logs the fault, stays up, retries and recovers by itself once
 * space is freed; nothing is lost (the outputs equal a clean build, every task fresh).
 * The full disk is real: the project's state directory is a 2–8 MB tmpfs (we run as root here and
 * on CI). Mounts are removed in afterAll, even after a failure.
 *
 * npm test asks every command for the first kind of damage of each file and `run` + `watch` for the
 * second (the commands share one opening path, the kinds differ in what it finds); `npm run torture`
 * (RELSPEC_TEST_FULL=1) asks every command for every kind.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempProject, type TempProject } from '../helpers/project.js';
import { createTempTree } from '../helpers/tempTree.js';
import { isReady, spawnDaemon, type DaemonProc } from '../helpers/process.js';
import { copyWithoutState, dumpWarehouse } from '../helpers/warehouse.js';

const TASKS: Record<string, string> = {
  'tasks/base.sql': 'select id::INTEGER as id, v::INTEGER as v from a\n',
  'tasks/doubled.sql': 'select id, v * 2 as v from base\n',
  'tasks/total.sql': 'select sum(v)::INTEGER as s from doubled\n',
  'tasks/ü/view.sql': '-- @materialize view\nselect s + 1 as t from total\n',
};
const CONFIG = "export default { sources: { a: { format: 'csv', path: 'data/a.csv' } }, watch: { debounceMs: 50 } };\n";

let p: TempProject | undefined;
let d: DaemonProc | undefined;
const mounts: string[] = [];
/** Unmounts every tmpfs this file mounted; a busy one (a process we lost) is detached anyway. */
function unmountAll(): void {
  for (const m of mounts.splice(0)) {
    try {
      execFileSync('umount', [m]);
    } catch {
      execFileSync('umount', ['-l', m]);
    }
  }
}
afterEach(async () => {
  await d?.stop();
  d = undefined;
  unmountAll();
  p?.cleanup();
  p = undefined;
});
afterAll(() => unmountAll());

function project(): TempProject {
  p = tempProject({ 'watch.config.ts': CONFIG, 'data/a.csv': 'id,v\n1,2\n3,4\n', ...TASKS });
  return p;
}

const stateFile = (q: TempProject, f: string) => path.join(q.dir, 'state', f);
const lines = (s: string) => s.split('\n').filter((l) => l.trim() !== '');

/** Exit 2 and exactly one line: `relspec: E_STATE <file>: <what> — <fix>`, no stack. */
function expectStateLine(r: { code: number; stdout: string; stderr: string }, file: string, what: RegExp, fix: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(lines(r.stderr)).toHaveLength(1);
  const m = /^relspec: E_STATE (.+?): (.*) — (.*)$/.exec(lines(r.stderr)[0]!);
  expect(m, r.stderr).not.toBeNull();
  expect(m![1]).toBe(file);
  expect(m![2]).toMatch(what);
  expect(m![3]).toMatch(fix);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
}

/** `relspec ARGS` in `dir` (a clean copy). */
function cliAt(dir: string, args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [path.join(ROOT, 'bin/relspec.js'), ...args], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    const x = e as { status: number; stdout: string; stderr: string };
    return { code: x.status, stdout: x.stdout, stderr: x.stderr };
  }
}

const ALL = ['base', 'doubled', 'total', 'ü.view'];
const FULL = process.env.RELSPEC_TEST_FULL === '1';

/**
 * The warehouse of a clean build of the unedited project (every corrupt-state case damages that
 * project and edits no input, so one clean build serves them all).
 */
let cleanBuild: Record<string, unknown[]> | undefined;
beforeAll(async () => {
  const q = tempProject({ 'watch.config.ts': CONFIG, 'data/a.csv': 'id,v\n1,2\n3,4\n', ...TASKS });
  try {
    expect(q.cli(['run']).code).toBe(0);
    cleanBuild = await dumpWarehouse(stateFile(q, 'warehouse.duckdb'));
  } finally {
    q.cleanup();
  }
});

/**
 * After the fix: a run succeeds, a second builds nothing, every task is fresh, the outputs equal a
 * clean build of a copy (`edited`: the test changed inputs, so build its copy; otherwise the shared one).
 */
async function expectConverged(q: TempProject, tasks = ALL, edited = false): Promise<void> {
  const r = q.cli(['run']);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  expect(q.cli(['run', '--json']).stdout).toMatch(/"status": "noop"/);
  const st = JSON.parse(q.cli(['status', '--json']).stdout) as { tasks: { task: string; state: string }[] };
  expect(st.tasks.map((t) => [t.task, t.state])).toEqual(tasks.map((t) => [t, 'fresh']));
  let clean = cleanBuild;
  if (edited) {
    const copy = copyWithoutState(q.dir);
    expect(cliAt(copy, ['run']).code).toBe(0);
    clean = await dumpWarehouse(path.join(copy, 'state/warehouse.duckdb'));
  }
  expect(clean).toBeDefined();
  expect(await dumpWarehouse(stateFile(q, 'warehouse.duckdb'))).toEqual(clean);
}

const READERS: string[][] = [['run'], ['plan'], ['status'], ['why', 'total'], ['history'], ['run', '--json']];
/** The commands asked for a kind of damage: all of them for the first kind (and in the full run), `run` otherwise. */
const readersFor = (first: boolean, all: string[][]) => (first || FULL ? all : all.slice(0, 1));

describe('a corrupt relspec.sqlite', () => {
  const damage: Record<string, (f: string) => void> = {
    'truncated to half': (f) => truncateSync(f, Math.floor(statSync(f).size / 2)),
    'garbage bytes': (f) => writeFileSync(f, randomBytes(statSync(f).size)),
  };
  for (const [i, [kind, apply]] of Object.entries(damage).entries()) {
    const readers = readersFor(i === 0, READERS);
    it(`${kind}: ${readers.map((a) => a.join(' ')).join(', ')} and watch say E_STATE corrupt in one line (exit 2); moved aside, a run rebuilds it`, async () => {
      const q = project();
      expect(q.cli(['run']).code).toBe(0);
      const db = stateFile(q, 'relspec.sqlite');
      apply(db);
      for (const args of readers) expectStateLine(q.cli(args), db, /^the state database is corrupt \(/, /^move it aside \(mv relspec\.sqlite relspec\.sqlite\.bad.*\) and run again: relspec rebuilds its state from the sources$/);
      // `watch` refuses to start the same way.
      expectStateLine(q.cli(['watch']), db, /^the state database is corrupt/, /move it aside/);
      // The fix the message names.
      renameSync(db, `${db}.bad`);
      await expectConverged(q);
    }, 120_000);
  }

  it('a zero-byte file (a kill before its first write) is a new state: the run rebuilds every task', async () => {
    const q = project();
    expect(q.cli(['run']).code).toBe(0);
    truncateSync(stateFile(q, 'relspec.sqlite'), 0);
    const r = JSON.parse(q.cli(['run', '--json']).stdout) as { tasks: { task: string; status: string; causes: { kind: string }[] }[] };
    expect(r.tasks.map((t) => [t.task, t.status, t.causes.map((c) => c.kind).join()])).toEqual(ALL.map((t) => [t, 'built', 'new']));
    await expectConverged(q);
  }, 120_000);
});

describe('a corrupt warehouse.duckdb', () => {
  const damage: Record<string, (f: string) => void> = {
    'garbage bytes': (f) => writeFileSync(f, randomBytes(statSync(f).size)),
    'truncated to half': (f) => truncateSync(f, Math.floor(statSync(f).size / 2)),
  };
  for (const [i, [kind, apply]] of Object.entries(damage).entries()) {
    const readers = readersFor(i === 0, [['run'], ['plan'], ['show', 'total']]);
    it(`${kind}: ${readers.map((a) => a.join(' ')).join(', ')} and watch say E_STATE corrupt in one line, without the "another process" hint; moved aside, a run rebuilds every output`, async () => {
      const q = project();
      expect(q.cli(['run']).code).toBe(0);
      const wh = stateFile(q, 'warehouse.duckdb');
      apply(wh);
      for (const args of readers) {
        const r = q.cli(args);
        expectStateLine(r, wh, /^the warehouse is corrupt \(/, /^move it aside \(mv warehouse\.duckdb warehouse\.duckdb\.bad.*\) and run again: relspec rebuilds every output from the sources$/);
        expect(r.stderr).not.toMatch(/another process/);
      }
      expectStateLine(q.cli(['watch']), wh, /^the warehouse is corrupt/, /move it aside/);
      renameSync(wh, `${wh}.bad`);
      await expectConverged(q);
    }, 120_000);
  }

  it('the "another process" hint appears when a daemon really holds the warehouse', async () => {
    const q = project();
    d = spawnDaemon(q.dir);
    await d.waitFor(isReady, { timeoutMs: 60_000 });
    // Direct access: through its socket the daemon answers (test/serve/daemon.test.ts).
    const r = q.cli(['show', 'total'], { env: { RELSPEC_NO_DAEMON: '1' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/holds it/);
  }, 90_000);
});

// ─────────────────────────────────────────── a full disk ───────────────────────────────────────────

/** Mounts a tmpfs of `mb` MB on the project's state directory. */
function smallState(q: TempProject, mb: number): string {
  const dir = path.join(q.dir, 'state');
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

/** Fills the device holding `dir` but `leave` bytes; returns the filler file. */
function fill(dir: string, leave: number): string {
  const f = path.join(dir, 'filler');
  const chunk = Buffer.alloc(1 << 16);
  try {
    for (;;) writeFileSync(f, chunk, { flag: 'a' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  // Then up to the last 4 KiB page, and give back `leave`.
  try {
    for (;;) writeFileSync(f, Buffer.alloc(4096), { flag: 'a' });
  } catch {
    /* full */
  }
  truncateSync(f, Math.max(0, statSync(f).size - leave));
  return f;
}

const BIG = 'select range::INTEGER as id, md5(range::VARCHAR) as h from range(60000)\n';

/**
 * Can this process mount a tmpfs (root, or CAP_SYS_ADMIN)? Where it cannot (EPERM), the SQLite half
 * falls back to SQLite's own size cap (`PRAGMA max_page_count`, set by RELSPEC_STATE_MAX_PAGES),
 * which fails writes with the same SQLITE_FULL as a full disk; the DuckDB half needs the mount.
 */
function canMount(): boolean {
  const probe = createTempTree({}, { prefix: 'relspec-mount-probe-' });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe.root], { stdio: 'pipe' });
    execFileSync('umount', [probe.root]);
    return true;
  } catch {
    return false;
  } finally {
    probe.dispose();
  }
}
// RELSPEC_TEST_NO_MOUNT=1 exercises the fallback on a machine that can mount.
const MOUNT = process.env.RELSPEC_TEST_NO_MOUNT !== '1' && canMount();

/** A state that fills up and frees again: a real small tmpfs, or (no mount) SQLite's page cap. */
interface Disk {
  fill(leave: number): void;
  free(): void;
  /** Extra environment for relspec processes while full (the page-cap fallback). */
  env: NodeJS.ProcessEnv;
  dir: string;
}
function smallDisk(q: TempProject): Disk {
  const dir = path.join(q.dir, 'state');
  if (MOUNT) {
    smallState(q, 8);
    let filler: string | undefined;
    return {
      dir,
      env: {},
      fill: (leave) => (filler = fill(dir, leave)),
      free: () => {
        if (filler) unlinkSync(filler);
        filler = undefined;
      },
    };
  }
  const env: NodeJS.ProcessEnv = {};
  return {
    dir,
    env,
    fill: () => {
      // No free pages left to reuse, and a cap at the current size: the next growth is SQLITE_FULL.
      const db = new Database(path.join(dir, 'relspec.sqlite'));
      db.exec('VACUUM');
      env.RELSPEC_STATE_MAX_PAGES = String(db.pragma('page_count', { simple: true }));
      db.close();
      // And enough new tasks that their traces need new pages.
      for (let i = 0; i < 40; i++) q.write(`tasks/extra/e${i}.sql`, `select ${i} as x, '${'x'.repeat(200)}' as pad\n`);
    },
    free: () => {
      delete env.RELSPEC_STATE_MAX_PAGES;
      q.rm('tasks/extra');
    },
  };
}

describe(`a full disk (${MOUNT ? 'a real tmpfs' : 'no mount here (EPERM): SQLite page cap'})`, () => {
  const kinds: [string, number][] = [['SQLite cannot write (64 KiB left)', 64 << 10]];
  if (MOUNT) kinds.push(['DuckDB cannot write (400 KiB left)', 400 << 10]);
  for (const [kind, leave] of kinds) {
    it(`one-shot run, ${kind}: exit 2, one E_STATE line; after freeing space a run converges`, async () => {
      const q = project();
      const disk = smallDisk(q);
      expect(q.cli(['run']).code).toBe(0);
      disk.fill(leave);
      q.write('tasks/big.sql', BIG);
      q.write('data/a.csv', 'id,v\n1,2\n3,5\n');
      const r = q.cli(['run'], { env: disk.env });
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(lines(r.stderr)[0]).toMatch(new RegExp(`^relspec: E_STATE ${disk.dir}/\\S+: the disk is full \\(.*\\) — free space on the device holding ${disk.dir}, then run again`));
      disk.free();
      await expectConverged(q, ['base', 'big', 'doubled', 'total', 'ü.view'], true);
    }, 120_000);
  }

  it('relspec watch: logs E_STATE, stays up, retries, recovers by itself once space is freed; tasks fresh, equal to a clean build', async () => {
    const q = project();
    const disk = smallDisk(q);
    if (!MOUNT) {
      // The page cap is fixed for the daemon's life: build first, then start it capped.
      expect(q.cli(['run']).code).toBe(0);
      disk.fill(0);
    }
    const saved = { ...process.env };
    Object.assign(process.env, disk.env);
    try {
      d = spawnDaemon(q.dir);
    } finally {
      for (const k of Object.keys(disk.env)) if (saved[k] === undefined) delete process.env[k];
    }
    await d.waitFor(isReady, { timeoutMs: 60_000 });
    if (MOUNT) disk.fill(64 << 10);
    let m = d.mark();
    q.write('tasks/big.sql', BIG);
    q.write('data/a.csv', 'id,v\n1,2\n3,6\n');
    const fault = await d.waitFor((e) => e.tag === 'run' && e.event === 'state_fault', { from: m, timeoutMs: 30_000 });
    expect(fault.message).toMatch(new RegExp(`^E_STATE ${disk.dir}/\\S+: the disk is full .* — free space on the device holding ${disk.dir}, .*\\(retrying in \\d+ s\\)$`));
    // It keeps retrying on its own (no event), and stays up.
    await d.waitFor((e) => e.tag === 'run' && e.event === 'state_fault' && (e.attempt as number) >= 2, { from: m, timeoutMs: 30_000 });
    expect(d.proc.exitCode).toBeNull();
    if (MOUNT) {
      m = d.mark();
      disk.free();
      await d.waitFor((e) => e.tag === 'run' && e.event === 'state_recovered', { from: m, timeoutMs: 60_000 });
    }
    const exit = await d.stop();
    d = undefined;
    expect(exit).toEqual({ code: 0, signal: null });
    disk.free();
    const hist = JSON.parse(q.cli(['history', '--json']).stdout) as { runs: { status: string }[] };
    expect(hist.runs.map((r) => r.status)).not.toContain('running');
    if (MOUNT) expect(hist.runs.map((r) => r.status)).not.toContain('crashed');
    await expectConverged(q, ['base', 'big', 'doubled', 'total', 'ü.view'], true);
  }, 180_000);
});
