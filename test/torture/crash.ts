/**
 * Crash torture (docs/ARCHITECTURE.md invariants 3 and 4): real `relspec run` and `relspec watch` processes are
 * SIGKILLed at seeded random moments — random delays over a run, during a heavy DuckDB query,
 * during the burst of per-task SQLite transactions, during a daemon's start-up reconcile and
 * during a run a file edit triggered — then restarted (and killed again), over and over. After each
 * cycle of kills an uninterrupted run must succeed; its warehouse must equal a clean build of the
 * same files; a second run must build nothing; `relspec status --json` must show every task fresh
 * and `relspec history --json` no run left 'running'. Right after every kill, with no process
 * alive, history and status must show no run as 'running' (a dead run reads 'crashed') and the
 * SQLite state must pass `PRAGMA integrity_check`; the converging run then opens the warehouse.
 *
 * The project: a parquet glob, a CSV and a Delta table (written by relspec's writer) as sources;
 * tables, views, a `@materialize delta` output, a heavy task (~1 s of DuckDB) and a dozen tiny
 * tasks whose builds are mostly SQLite bookkeeping.
 *
 * A corruption is any of: a restart that fails (internal error, a failed task), a warehouse that
 * differs from the clean build, a rebuild on the run after the converging run, status or history
 * inconsistent, SQLite integrity or DuckDB opening failing, a data file of a `@materialize delta`
 * output that no commit references left after the converging run (a killed write's orphan).
 */
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withDuck } from '../helpers/project.js';
import { createTempTree } from '../helpers/tempTree.js';
import { orphanedFiles } from '../helpers/deltaFiles.js';
import { Rand } from '../helpers/differential.js';
import { dumpWarehouse } from '../helpers/warehouse.js';
import { createTable, writeTable } from '../../src/delta/write/index.js';
import { writerAlive } from '../../src/state/lock.js';
import { history } from '../../src/incremental/history.js';
import { status } from '../../src/incremental/status.js';
import { openStateDb } from '../../src/state/db.js';
import { Store } from '../../src/state/store.js';
import { cliSync, sleep, spawnCli, type Proc } from '../helpers/process.js';

export type KillMode = 'run-random' | 'run-heavy' | 'run-sqlite' | 'watch-startup' | 'watch-edit';
export const KILL_MODES: readonly KillMode[] = ['run-random', 'run-heavy', 'run-sqlite', 'watch-startup', 'watch-edit'];

export interface CrashOptions {
  /** SIGKILLs to deliver (to live processes). */
  kills: number;
  seed: number;
  /** Rows of the heavy task's range (default 50M: about a second of DuckDB here). */
  heavyRows?: number;
  log?: (line: string) => void;
  /** Keep the project directory. */
  keep?: boolean;
}

export interface CrashSummary {
  kills: number;
  /** Kills per mode. */
  byMode: Record<string, number>;
  /** Processes that finished before their kill moment (no kill delivered; not counted). */
  missed: number;
  cycles: number;
  corruptions: number;
  /** One line per corruption: cycle, mode, what was wrong. */
  problems: string[];
  /** Runs recorded as crashed at the end (a kill before a run's row exists, or between runs, leaves none). */
  crashedRuns: number;
  ms: number;
  dir: string;
}

const CONFIG = `export default {
  sources: {
    orders: { format: 'parquet', path: 'data/orders/*.parquet' },
    people: { format: 'csv', path: 'data/people.csv' },
    items: { format: 'delta', path: 'data/items' },
  },
  watch: { debounceMs: 50 },
};
`;

function tasks(heavyRows: number, c: { a2: number; heavy: number }): Record<string, string> {
  const t: Record<string, string> = {
    'tasks/a1.sql': '-- @priority 0\nselect g, sum(v) as v, count(*) as n from orders group by g\n',
    'tasks/heavy.sql': `-- @priority 1\nselect count(*) as n, sum(hash(r + m)) % 1000 as h from range(${heavyRows + c.heavy}) t(r), (select max(v) as m from orders)\n`,
    'tasks/a2.sql': `-- @materialize view\nselect g, v from a1 where v > ${c.a2}\n`,
    'tasks/p1.sql': 'select id, upper(name) as name from people\n',
    'tasks/p2.sql': 'select count(*) as n, max(id) as m from p1\n',
    'tasks/i1.sql': 'select k, sum(price) as total, count(*) as n from items group by k\n',
    'tasks/i2.sql': 'select i1.k, i1.total, a1.v from i1 left join a1 on i1.k = a1.g\n',
    'tasks/i3.sql': '-- @materialize delta\nselect k, total::BIGINT as total from i1 where total > 0\n',
    'tasks/after.sql': 'select h.n, h.h, p2.n as people from heavy h, p2\n',
  };
  // Tiny tasks: their builds are mostly bookkeeping (SQLite transactions), one after another.
  for (let i = 0; i < 12; i++) {
    const from = ['a2', 'p2', 'i1', 'a1'][i % 4]!;
    const kind = i % 3 === 0 ? 'view' : 'table';
    t[`tasks/x/t${String(i).padStart(2, '0')}.sql`] = `-- @materialize ${kind}\nselect count(*) as n, ${i} as i from ${from}\n`;
  }
  return t;
}

interface World {
  dir: string;
  r: Rand;
  heavyRows: number;
  consts: { a2: number; heavy: number };
  orderFiles: number[];
  nextOrderFile: number;
  people: number;
  nextItem: number;
}

const q = (p: string) => `'${p.replace(/'/g, "''")}'`;

async function writeOrders(w: World, n: number): Promise<void> {
  const file = path.join(w.dir, `data/orders/part${n}.parquet`);
  const seed = w.r.int(0, 1_000_000);
  await withDuck((c) =>
    c.run(
      `COPY (SELECT range::BIGINT AS id, ((range * 7 + ${seed}) % 5)::BIGINT AS g, ((range * 13 + ${seed}) % 97)::BIGINT AS v FROM range(${w.r.int(5, 40)})) TO ${q(file)} (FORMAT parquet)`,
    ),
  );
}

function writePeople(w: World): void {
  w.people = w.r.int(2, 30);
  const rows = Array.from({ length: w.people }, (_, i) => `${i},p${(i * 31 + w.r.int(0, 9)) % 100}`);
  writeFileSync(path.join(w.dir, 'data/people.csv'), `id,name\n${rows.join('\n')}\n`);
}

async function itemsCommit(w: World): Promise<string> {
  const table = path.join(w.dir, 'data/items');
  const op = w.r.pick(['append', 'replace', 'delete'] as const);
  const rows = (n: number) =>
    `SELECT * FROM (VALUES ${Array.from({ length: n }, () => `(${w.nextItem++}::BIGINT, ${w.r.int(0, 4)}::BIGINT, ${w.r.int(1, 50)}::BIGINT)`).join(', ')}) AS t(id, k, price)`;
  await withDuck(async (c) => {
    if (op === 'append') await writeTable(c, table, { mode: 'append', sql: rows(w.r.int(1, 4)), checkpointInterval: 4 });
    else if (op === 'replace') {
      const id = w.r.int(0, w.nextItem - 1);
      await writeTable(c, table, {
        mode: 'replace',
        keys: ['id'],
        sql: `SELECT ${id}::BIGINT AS id, ${w.r.int(0, 4)}::BIGINT AS k, ${w.r.int(1, 50)}::BIGINT AS price`,
        checkpointInterval: 4,
      });
    } else {
      const id = w.r.int(0, w.nextItem - 1);
      await writeTable(c, table, {
        mode: 'replace',
        keys: ['id'],
        sql: 'SELECT 0::BIGINT AS id, 0::BIGINT AS k, 0::BIGINT AS price WHERE false',
        deleteKeysSql: `SELECT ${id}::BIGINT AS id`,
        checkpointInterval: 4,
      });
    }
  });
  return `items ${op}`;
}

function writeTasks(w: World): void {
  for (const [rel, text] of Object.entries(tasks(w.heavyRows, w.consts))) {
    const p = path.join(w.dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
}

async function createWorld(seed: number, heavyRows: number): Promise<World> {
  // Kept when the suite finds a corruption (or with `keep`): runCrashSuite deletes it otherwise.
  const dir = createTempTree({}, { prefix: `relspec-crash-${seed}-` }).root;
  const w: World = {
    dir,
    r: new Rand(seed),
    heavyRows,
    consts: { a2: 10, heavy: 0 },
    orderFiles: [],
    nextOrderFile: 0,
    people: 0,
    nextItem: 0,
  };
  writeFileSync(path.join(dir, 'watch.config.ts'), CONFIG);
  mkdirSync(path.join(dir, 'data/orders'), { recursive: true });
  for (let i = 0; i < 2; i++) {
    w.orderFiles.push(w.nextOrderFile);
    await writeOrders(w, w.nextOrderFile++);
  }
  writePeople(w);
  await withDuck(async (c) => {
    const table = path.join(dir, 'data/items');
    await createTable(c, table, {
      schema: [
        { name: 'id', type: 'BIGINT' },
        { name: 'k', type: 'BIGINT' },
        { name: 'price', type: 'BIGINT' },
      ],
    });
    await writeTable(c, table, {
      mode: 'append',
      sql: `SELECT range::BIGINT AS id, (range % 5)::BIGINT AS k, (range * 3 + 1)::BIGINT AS price FROM range(8)`,
    });
  });
  w.nextItem = 8;
  writeTasks(w);
  return w;
}

/** A random edit of the inputs (or none): what a cycle's runs have to catch up with. */
async function mutate(w: World, forceHeavy = false): Promise<string> {
  const parts: string[] = [];
  if (forceHeavy) {
    // heavy rebuilds (plan changed), and a1 before it (orders changed): a1's line marks heavy's start.
    w.consts.heavy++;
    writeTasks(w);
    const f = w.nextOrderFile++;
    w.orderFiles.push(f);
    await writeOrders(w, f);
    parts.push(`edit heavy, write orders part${f}`);
  }
  const n = w.r.int(0, 2);
  for (let i = 0; i < n; i++) {
    const what = w.r.pick(['orders', 'people', 'items', 'task'] as const);
    if (what === 'orders') {
      if (w.orderFiles.length > 1 && w.r.chance(0.3)) {
        const f = w.orderFiles.splice(w.r.int(0, w.orderFiles.length - 1), 1)[0]!;
        rmSync(path.join(w.dir, `data/orders/part${f}.parquet`));
        parts.push(`rm orders part${f}`);
      } else {
        const f = w.r.chance(0.5) ? w.r.pick(w.orderFiles) : w.nextOrderFile++;
        if (!w.orderFiles.includes(f)) w.orderFiles.push(f);
        await writeOrders(w, f);
        parts.push(`write orders part${f}`);
      }
    } else if (what === 'people') {
      writePeople(w);
      parts.push(`people ${w.people} rows`);
    } else if (what === 'items') {
      parts.push(await itemsCommit(w));
    } else {
      w.consts.a2 = w.r.int(0, 120);
      writeTasks(w);
      parts.push(`edit a2 (v > ${w.consts.a2})`);
    }
  }
  return parts.join(', ') || 'no change';
}

/**
 * Right after a kill (no relspec process alive): the state is intact and says nothing is running.
 * In-process, with the functions behind `relspec history` and `relspec status` (the CLI's are
 * checked after every cycle).
 */
async function checkAfterKill(w: World): Promise<{ problems: string[] }> {
  const problems: string[] = [];
  const stateDir = path.join(w.dir, 'state');
  if (!existsSync(path.join(stateDir, 'relspec.sqlite'))) return { problems };
  let db: ReturnType<typeof openStateDb> | undefined;
  try {
    db = openStateDb(stateDir, { readonly: true });
    const ok = db.prepare('PRAGMA integrity_check').pluck().get();
    if (ok !== 'ok') problems.push(`SQLite integrity_check: ${String(ok)}`);
    const store = new Store(db);
    if (store.lastRunId() === undefined) return { problems };
    const alive = writerAlive(stateDir);
    if (alive) problems.push('the state lock is held by a live process after the kill');
    const runs = history(store, 5, { writerAlive: alive });
    const running = runs.filter((r) => r.status === 'running');
    if (running.length > 0) problems.push(`history shows run ${running.map((r) => r.runId).join(', ')} as running with no live process`);
    const st = status(store, { writerAlive: alive });
    if (st.runStatus === 'running') problems.push('status says the last run is running with no live process');
    return { problems };
  } catch (e) {
    problems.push(`state unreadable after a kill: ${String(e)}`);
    return { problems };
  } finally {
    db?.close();
  }
}

async function checkConverged(w: World): Promise<string[]> {
  const problems: string[] = [];
  const final = cliSync(w.dir, ['run', '--json']);
  if (final.code !== 0) return [`converging run exited ${final.code}: ${final.stderr.trim().split('\n')[0]} ${final.stdout.slice(0, 400)}`];
  const out = JSON.parse(final.stdout) as { status: string; tasks: { task: string; status: string; error?: string }[]; errors: unknown[] };
  const bad = out.tasks.filter((t) => t.status === 'failed' || t.status === 'blocked');
  if (bad.length > 0 || out.errors.length > 0)
    problems.push(`converging run: ${bad.map((t) => `${t.task} ${t.status} ${t.error ?? ''}`).join('; ')} ${JSON.stringify(out.errors)}`);
  const again = cliSync(w.dir, ['run', '--json']);
  const againOut = again.code === 0 ? (JSON.parse(again.stdout) as { tasks: { task: string; status: string }[] }) : undefined;
  const rebuilt = againOut?.tasks.filter((t) => t.status === 'built').map((t) => t.task) ?? [];
  if (again.code !== 0 || rebuilt.length > 0)
    problems.push(
      `second run after converging: exit ${again.code}, rebuilt [${rebuilt.join(', ')}]${again.code !== 0 ? `: ${again.stderr.trim().split('\n')[0]}` : ''}`,
    );
  // A killed write leaves part files; the converging run's build of that output sweeps them (writer/orphans.ts).
  const orphans = orphanedFiles(path.join(w.dir, 'state/outputs'));
  if (orphans.length > 0) problems.push(`orphaned data files after converging: ${orphans.map((f) => path.relative(w.dir, f)).join(', ')}`);
  // Status: every task fresh; history: nothing running, the last run ok or noop.
  const s = cliSync(w.dir, ['status', '--json']);
  if (s.code !== 0) problems.push(`status failed: ${s.stderr.trim()}`);
  else {
    const st = JSON.parse(s.stdout) as { runStatus: string; tasks: { task: string; state: string; reason?: string }[] };
    const stale = st.tasks.filter((t) => t.state !== 'fresh');
    if (stale.length > 0) problems.push(`status: stale after converging: ${stale.map((t) => `${t.task} (${t.reason})`).join(', ')}`);
    if (st.runStatus !== 'ok' && st.runStatus !== 'noop') problems.push(`status: last run ${st.runStatus}`);
  }
  const h = cliSync(w.dir, ['history', '--json', '--limit', '1000']);
  if (h.code !== 0) problems.push(`history failed: ${h.stderr.trim()}`);
  else {
    const runs = (JSON.parse(h.stdout) as { runs: { runId: number; status: string }[] }).runs;
    const odd = runs.filter((r) => !['ok', 'noop', 'crashed', 'interrupted', 'failed'].includes(r.status));
    if (odd.length > 0) problems.push(`history: runs ${odd.map((r) => `${r.runId}=${r.status}`).join(', ')}`);
  }
  // Outputs equal a clean build of the same files.
  const cleanTree = createTempTree({}, { prefix: 'relspec-crash-clean-' });
  const clean = cleanTree.root;
  try {
    for (const p of ['watch.config.ts', 'tasks', 'data']) cpSync(path.join(w.dir, p), path.join(clean, p), { recursive: true });
    const c = cliSync(clean, ['run']);
    if (c.code !== 0) return [...problems, `clean build failed: ${c.stderr.trim()}`];
    const [ours, theirs] = [
      await dumpWarehouse(path.join(w.dir, 'state/warehouse.duckdb')),
      await dumpWarehouse(path.join(clean, 'state/warehouse.duckdb')),
    ];
    const names = new Set([...Object.keys(ours), ...Object.keys(theirs)]);
    for (const n of [...names].sort()) {
      const a = JSON.stringify(ours[n]);
      const b = JSON.stringify(theirs[n]);
      if (a !== b) problems.push(`output ${n} differs from a clean build: ${a?.slice(0, 200)} vs ${b?.slice(0, 200)}`);
    }
  } catch (e) {
    problems.push(`comparison failed (warehouse unreadable?): ${String(e)}`);
  } finally {
    cleanTree.dispose();
  }
  return problems;
}

interface Timing {
  /** A full `relspec run`, process start to exit. */
  runMs: number;
  /** From the process start to its first task line (start-up, config, lineage, observe). */
  firstTaskMs: number;
  heavyMs: number;
}

/** A random moment inside the run proper: mostly after the start-up, when the run's rows exist. */
const inRun = (r: Rand, t: Timing) => t.firstTaskMs * 0.6 + r.float() * (t.runMs * 1.1 - t.firstTaskMs * 0.6);

/** One process, killed at the mode's moment. Returns whether a kill reached a live process. */
async function killOnce(w: World, mode: KillMode, t: Timing): Promise<boolean> {
  const baselineMs = t.runMs;
  const heavyMs = t.heavyMs;
  let p: Proc;
  const r = w.r;
  switch (mode) {
    case 'run-random':
      p = spawnCli(w.dir, ['run']);
      await Promise.race([sleep(r.chance(0.2) ? r.float() * baselineMs : inRun(r, t)), p.exited]);
      break;
    case 'run-heavy': {
      // a1 (priority 0) is printed just before heavy (priority 1) starts.
      p = spawnCli(w.dir, ['run']);
      await p.waitLine((l) => / a1 /.test(l));
      await Promise.race([sleep(r.float() * heavyMs), p.exited]);
      break;
    }
    case 'run-sqlite': {
      // A full refresh: after heavy, a dozen tiny tasks commit their SQLite transactions back to back.
      p = spawnCli(w.dir, ['run', '--full-refresh']);
      await p.waitLine((l) => / heavy /.test(l));
      await Promise.race([sleep(r.float() * 60), p.exited]);
      break;
    }
    case 'watch-startup': {
      // During the start-up reconcile (or, sometimes, anywhere in the start-up).
      p = spawnCli(w.dir, ['watch', '--json-log']);
      if (r.chance(0.25)) await Promise.race([sleep(r.float() * baselineMs), p.exited]);
      else {
        await p.waitLine((l) => l.includes('"event":"batch"'));
        await Promise.race([sleep(r.float() * (baselineMs - t.firstTaskMs * 0.5)), p.exited]);
      }
      break;
    }
    case 'watch-edit': {
      p = spawnCli(w.dir, ['watch', '--json-log']);
      const ready = await p.waitLine((l) => l.includes('"event":"ready"'));
      if (ready < 0) break;
      const from = p.lines.length;
      await mutate(w, r.chance(0.3));
      // The edit's batch starts a run: kill somewhere in it (or before, while debouncing).
      await Promise.race([p.waitLine((l) => l.includes('"event":"batch"'), from, 10_000).catch(() => -1), sleep(3000)]);
      await Promise.race([sleep(r.float() * baselineMs), p.exited]);
      break;
    }
  }
  const alive = !p.done();
  await p.kill9();
  return alive;
}

export async function runCrashSuite(opts: CrashOptions): Promise<CrashSummary> {
  const t0 = performance.now();
  const say = opts.log ?? (() => {});
  const w = await createWorld(opts.seed, opts.heavyRows ?? 50_000_000);
  const summary: CrashSummary = {
    kills: 0,
    byMode: {},
    missed: 0,
    cycles: 0,
    corruptions: 0,
    problems: [],
    crashedRuns: 0,
    ms: 0,
    dir: w.dir,
  };
  try {
    // Timings: a full first build (and when its first task finished), and the heavy task alone.
    const t0r = performance.now();
    const first = spawnCli(w.dir, ['run']);
    await first.waitLine((l) => / of \d+ /.test(l));
    const firstTaskMs = performance.now() - t0r;
    const firstExit = await first.exited;
    if (firstExit.code !== 0) throw new Error(`initial build failed: ${first.stderr()}\n${first.lines.join('\n')}`);
    const runMs = performance.now() - t0r;
    w.consts.heavy++;
    writeTasks(w);
    const heavyRun = cliSync(w.dir, ['run']);
    const heavyMs = Math.max(200, Number(/heavy \.+ \[built in ([\d.]+)s/.exec(heavyRun.stdout)?.[1] ?? 0.5) * 1000);
    const timing: Timing = { runMs, firstTaskMs, heavyMs };
    say(
      `crash: project ${w.dir}; full build ${runMs.toFixed(0)} ms (first task after ${firstTaskMs.toFixed(0)} ms), heavy task ${heavyMs.toFixed(0)} ms`,
    );

    while (summary.kills < opts.kills) {
      summary.cycles++;
      const mode = w.r.pick(KILL_MODES);
      const edit = await mutate(w, mode === 'run-heavy');
      const chain = Math.min(w.r.int(1, 4), opts.kills - summary.kills);
      const problems: string[] = [];
      for (let k = 0; k < chain; k++) {
        // Later kills of a chain hit the recovery of the previous one.
        const m: KillMode = k === 0 ? mode : w.r.pick(['run-random', 'watch-startup'] as const);
        const killed = await killOnce(w, m, timing);
        if (!killed) {
          summary.missed++;
          continue;
        }
        summary.kills++;
        summary.byMode[m] = (summary.byMode[m] ?? 0) + 1;
        const after = await checkAfterKill(w);
        problems.push(...after.problems.map((x) => `after kill ${summary.kills} (${m}): ${x}`));
      }
      problems.push(...(await checkConverged(w)));
      say(
        `crash cycle ${summary.cycles} [${mode}, ${edit}]: ${summary.kills} kills so far${problems.length ? `; ${problems.length} problem(s)` : ''}`,
      );
      if (problems.length > 0) {
        summary.corruptions++;
        summary.problems.push(...problems.map((x) => `cycle ${summary.cycles} [${mode}; ${edit}]: ${x}`));
        for (const x of problems) say(`  ${x}`);
      }
    }
    const db = openStateDb(path.join(w.dir, 'state'), { readonly: true });
    try {
      summary.crashedRuns = Number(db.prepare("SELECT count(*) FROM runs WHERE status = 'crashed'").pluck().get());
    } finally {
      db.close();
    }
  } finally {
    summary.ms = performance.now() - t0;
    if (!opts.keep && summary.corruptions === 0) rmSync(w.dir, { recursive: true, force: true });
  }
  return summary;
}
