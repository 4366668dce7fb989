/**
 * engine.concurrency (issue 15 part 1): ready tasks build at once on their own DuckDB connections,
 * and everything a run leaves behind is the same as one task at a time — the `run --json` task
 * records (durations aside), the state's evidence, traces, task runs (in their order), causes and
 * pending marks, and every output. Each graph is built in two twin projects, at 1 and at 4, then
 * changed the same way in both and run again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run, type RunOutcome } from '../../src/incremental/run.js';
import { resolveConfig } from '../../src/config/validate.js';
import { RelspecErrors } from '../../src/errors.js';
import { CLI, tempProject, withDuck, type TempProject } from '../helpers/project.js';
import { dumpWarehouse, stateRows } from '../helpers/warehouse.js';
import { useTempTree } from '../helpers/tempTree.js';
import {
  Rand,
  applyRandomStep,
  compareSnapshots,
  formatDiff,
  generateModel,
  snapshotWarehouse,
  writeProject,
} from '../helpers/differential.js';

const config = (concurrency: number) => `export default {
  sources: { events: { format: 'parquet', path: 'data/events*.parquet' } },
  engine: { concurrency: ${concurrency} },
};
`;

/** 16 independent tasks over one source (tables, views, a Delta output, a shared output of three producers, a schema). */
function wideTasks(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 1; i <= 16; i++) {
    const n = String(i).padStart(2, '0');
    const head = i % 4 === 0 ? '-- @materialize view\n' : i === 5 ? '-- @materialize delta\n' : i === 6 ? '-- @output marts.w06\n' : '';
    files[`tasks/w${n}.sql`] =
      `${head}select k, (sum(v) + ${i})::BIGINT as s, count(*) as n from events where id % ${i + 1} <> 0 group by k`;
  }
  for (const p of ['a', 'b', 'c'])
    files[`tasks/part_${p}.sql`] = `-- @output parts\nselect '${p}' as part, k, v from events where k <> '${p}'`;
  files['tasks/parts_count.sql'] = 'select part, count(*) as n from parts group by part';
  return files;
}

/** Diamonds: a → (b, c) → d → e, a second one through a shared output, and a view in the middle. */
function diamondTasks(): Record<string, string> {
  return {
    'tasks/a.sql': 'select id, k, v from events',
    'tasks/b.sql': 'select k, sum(v) as s from a group by k',
    'tasks/c.sql': '-- @materialize view\nselect k, max(id) as m from a group by k',
    'tasks/d.sql': 'select b.k, b.s, c.m from b join c using (k)',
    'tasks/e.sql': 'select count(*) as n, sum(s) as total from d',
    'tasks/x1.sql': '-- @output xs\nselect k, s from b',
    'tasks/x2.sql': '-- @output xs\nselect k, m::DOUBLE as s from c',
    'tasks/y.sql': 'select xs.k, sum(xs.s) as s, max(d.m) as m from xs join d using (k) group by xs.k',
    'tasks/z.sql': 'select e.n, y.k from e cross join y',
  };
}

const events = (vExpr: string) => `select range as id, chr(97 + (range % 5)::INT) as k, (${vExpr})::BIGINT as v from range(200)`;

/**
 * Two copies of a project, at concurrency 1 and 4. Each runs in turn at one shared path (the other
 * waits beside it), so the paths, and the hashes over them, are the same in both states.
 */
interface Twin {
  /** Runs `fn` with the copy at the shared path. */
  live<T>(fn: (dir: string) => Promise<T> | T): Promise<T>;
}

function twins(files: Record<string, string>, vExpr = 'range * 3'): Promise<Twin[]> {
  const base = useTempTree({}, { prefix: 'relspec-par-' }).root;
  const at = path.join(base, 'live');
  return Promise.all(
    [1, 4].map(async (c) => {
      const home = path.join(base, `c${c}`);
      for (const [rel, text] of Object.entries({ 'watch.config.ts': config(c), ...files })) {
        mkdirSync(path.dirname(path.join(home, rel)), { recursive: true });
        writeFileSync(path.join(home, rel), text);
      }
      mkdirSync(path.join(home, 'data'), { recursive: true });
      await writeParquet(path.join(home, 'data/events.parquet'), events(vExpr));
      let busy = Promise.resolve();
      return {
        live<T>(fn: (dir: string) => Promise<T> | T): Promise<T> {
          const turn = busy.then(async () => {
            renameSync(home, at);
            try {
              return await fn(at);
            } finally {
              renameSync(at, home);
            }
          });
          busy = turn.then(
            () => undefined,
            () => undefined,
          );
          return turn;
        },
      };
    }),
  );
}

const writeParquet = (file: string, query: string) =>
  withDuck((c) => c.run(`COPY (${query}) TO '${file.replace(/'/g, "''")}' (FORMAT parquet)`));

/** `relspec run --json` task records without durations. */
function runJson(dir: string): unknown[] {
  const r = spawnSync(process.execPath, [CLI, 'run', '--json'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  if (r.status !== 0 && r.status !== 1) throw new Error(`relspec run exited ${r.status}: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { tasks: { durationMs?: number }[] };
  return out.tasks.map(({ durationMs, ...t }) => (void durationMs, t));
}

/** What the state holds about builds, in the order it holds it (stat signatures aside: the copies' inodes differ). */
function stateOf(dir: string): Record<string, unknown[]> {
  const q = (sql: string) => stateRows<unknown>(dir, sql);
  return {
    evidence: q('SELECT name, kind, version, schema, tokens, content_hash, change_id, updated_run FROM evidence ORDER BY name'),
    traces: q('SELECT * FROM traces ORDER BY task'),
    taskRuns: q('SELECT run_id, task, output, status, rows, error, reason FROM task_runs ORDER BY rowid'),
    causes: q('SELECT * FROM causes ORDER BY run_id, task, seq'),
    pending: q('SELECT task, change_id FROM pending ORDER BY rowid'),
  };
}

/** Runs both copies; their records, state and outputs must be equal. Returns the records. */
async function expectTwinsEqual([one, four]: Twin[]): Promise<unknown[]> {
  const look = (dir: string) => ({ records: runJson(dir), state: stateOf(dir) });
  const [a, b] = [await one!.live(look), await four!.live(look)];
  expect(b.records).toEqual(a.records);
  expect(b.state).toEqual(a.state);
  const dump = (dir: string) => dumpWarehouse(path.join(dir, 'state/warehouse.duckdb'));
  expect(await four!.live(dump)).toEqual(await one!.live(dump));
  return a.records;
}

let projects: TempProject[] = [];
afterEach(() => {
  for (const p of projects) p.cleanup();
  projects = [];
});

const statuses = (tasks: unknown[]) => Object.fromEntries((tasks as { task: string; status: string }[]).map((t) => [t.task, t.status]));

describe('engine.concurrency: the same run at 1 and at 4', () => {
  for (const [name, tasks] of [
    ['a wide graph', wideTasks],
    ['a diamond graph', diamondTasks],
  ] as const) {
    it(`${name}: records, state and outputs are identical, cold and after changes`, async () => {
      const pair = await twins(tasks());
      const cold = await expectTwinsEqual(pair);
      expect(Object.values(statuses(cold)).filter((s) => s !== 'built')).toEqual([]);
      // Rows change for some keys only: some tasks rebuild, some are cut off.
      for (const t of pair)
        await t.live((dir) =>
          writeParquet(path.join(dir, 'data/events.parquet'), events('case when range % 5 = 1 then range * 7 else range * 3 end')),
        );
      const warm = await expectTwinsEqual(pair);
      expect(Object.values(statuses(warm))).toContain('built');
      // A task edit and a task removal in the same run.
      const [first, ...rest] = Object.keys(tasks()).sort();
      for (const t of pair) {
        await t.live((dir) => {
          writeFileSync(path.join(dir, first!), readFileSync(path.join(dir, first!), 'utf8').replace('select', 'select 1 as one,'));
          rmSync(path.join(dir, rest[rest.length - 1]!));
        });
      }
      await expectTwinsEqual(pair);
    });
  }

  it('tasks do run at once: at 4, several start before the first result; at 1, one', async () => {
    const [one, four] = await twins(wideTasks());
    const startsBeforeFirstResult = (dir: string) => {
      let starts = 0;
      let first: number | undefined;
      return run({
        configPath: 'watch.config.ts',
        cwd: dir,
        onProgress: (e) => void (e.kind === 'task_started' && starts++),
        onTask: () => void (first ??= starts),
      }).then(() => first);
    };
    expect(await one!.live(startsBeforeFirstResult)).toBe(1);
    expect(await four!.live(startsBeforeFirstResult)).toBeGreaterThanOrEqual(2);
  });

  it('an abort at 4 starts nothing new, waits for the running tasks, and the next run builds the rest', async () => {
    const [, four] = await twins(diamondTasks());
    await four!.live(async (dir) => {
      const abort = new AbortController();
      const out = await run({
        configPath: 'watch.config.ts',
        cwd: dir,
        signal: abort.signal,
        onProgress: (e) => void (e.kind === 'task_started' && abort.abort()),
      });
      expect(out.interrupted).toBe(true);
      const built = out.tasks.filter((t) => t.status === 'built').map((t) => t.task);
      expect(built.length).toBeGreaterThan(0);
      expect(built.length).toBeLessThan(Object.keys(diamondTasks()).length);
      // Whatever finished is recorded with its trace.
      expect(stateRows<{ task: string }>(dir, 'SELECT task FROM traces ORDER BY task').map((r) => r.task)).toEqual([...built].sort());
      const again = await run({ configPath: 'watch.config.ts', cwd: dir });
      expect(again.tasks.filter((t) => t.status === 'built').length).toBe(Object.keys(diamondTasks()).length - built.length);
    });
  });

  it('a failing task blocks only its descendants at concurrency 4', async () => {
    const p = tempProject({
      'watch.config.ts': config(4),
      ...diamondTasks(),
      // Fails on the data (not when planned): a cast of every k.
      'tasks/bad.sql': 'select k::INTEGER as n from a',
      'tasks/bad_child.sql': 'select n + 1 as m from bad',
      'tasks/bad_grand.sql': 'select bad_child.m, e.n from bad_child cross join e',
    });
    projects.push(p);
    await p.parquet('data/events.parquet', events('range'));
    const st = statuses(runJson(p.dir));
    expect(st).toMatchObject({ bad: 'failed', bad_child: 'blocked', bad_grand: 'blocked' });
    for (const t of ['a', 'b', 'c', 'd', 'e', 'x1', 'x2', 'y', 'z']) expect(st[t]).toBe('built');
    const reasons = stateRows<{ task: string; reason: string }>(
      p.dir,
      "SELECT task, reason FROM task_runs WHERE status = 'blocked' ORDER BY task",
    );
    expect(reasons.map((r) => [r.task, JSON.parse(r.reason)])).toEqual([
      ['bad_child', { kind: 'upstream', task: 'bad', status: 'failed' }],
      ['bad_grand', { kind: 'upstream', task: 'bad_child', status: 'blocked' }],
    ]);
  });

  it('an invalid engine.concurrency is E_CONFIG naming the key', () => {
    for (const bad of [0, -2, 1.5, '4']) {
      let err: unknown;
      try {
        resolveConfig({ engine: { concurrency: bad } }, '/p', '/p/watch.config.ts');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RelspecErrors);
      const [first] = (err as RelspecErrors).errors;
      expect(first!.code).toBe('E_CONFIG');
      expect(first!.message).toContain("'engine.concurrency'");
    }
    expect(resolveConfig({ engine: { concurrency: 3 } }, '/p').engine.concurrency).toBe(3);
    expect(resolveConfig({}, '/p').engine.concurrency).toBeGreaterThanOrEqual(1);
    const p = tempProject({ 'watch.config.ts': 'export default { engine: { concurency: 2 } };\n' });
    projects.push(p);
    const r = p.cli(['run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown config key 'engine.concurency'");
    expect(r.stderr).toContain('engine.concurrency');
  });
});

/**
 * The differential generator's random projects and steps (test/helpers/differential.ts), run at
 * concurrency 4 beside a twin at 1: after every step the records agree, and the warehouse equals a
 * clean build.
 */
describe('engine.concurrency: random graphs and changes', () => {
  const SEEDS = [3, 17, 42];
  const STEPS = 3;
  const withConcurrency = (dir: string, c: number) => {
    const file = path.join(dir, 'watch.config.ts');
    const text = readFileSync(file, 'utf8').replace(/\n {2}engine: \{ concurrency: \d+ \},/, '');
    writeFileSync(file, text.replace(/^export default \{\n/, `export default {\n  engine: { concurrency: ${c} },\n`));
  };
  const records = (o: RunOutcome) => o.tasks.map((t) => ({ ...t, durationMs: 0 }));

  for (const seed of SEEDS) {
    it(`seed ${seed}: ${STEPS} steps at concurrency 4 equal the serial twin and a clean build`, async () => {
      const pair = await twins({});
      const rands = pair.map(() => new Rand(seed));
      const models = rands.map((r) => generateModel(r));
      for (const [i, t] of pair.entries()) {
        await t.live(async (dir) => {
          rmSync(path.join(dir, 'data'), { recursive: true, force: true });
          await writeProject(dir, models[i]!);
          withConcurrency(dir, i === 0 ? 1 : 4);
        });
      }
      const sources = new Set(models[0]!.sources.map((s) => s.name));
      for (let step = 0; step <= STEPS; step++) {
        const turn = (i: number) =>
          pair[i]!.live(async (dir) => {
            if (step > 0) await applyRandomStep(rands[i]!, models[i]!, dir);
            const out = await run({ configPath: 'watch.config.ts', cwd: dir });
            return {
              records: records(out),
              state: stateOf(dir),
              warehouse: await snapshotWarehouse(path.join(dir, 'state/warehouse.duckdb'), sources),
            };
          });
        const [serial, parallel] = [await turn(0), await turn(1)];
        expect(parallel.records, `step ${step}`).toEqual(serial.records);
        expect(parallel.state, `step ${step}`).toEqual(serial.state);
        const clean = await pair[1]!.live(async (dir) => {
          const to = useTempTree({}, { prefix: 'relspec-par-clean-' }).root;
          for (const f of ['watch.config.ts', 'tasks', 'data']) cpSync(path.join(dir, f), path.join(to, f), { recursive: true });
          withConcurrency(to, 1);
          await run({ configPath: 'watch.config.ts', cwd: to });
          return snapshotWarehouse(path.join(to, 'state/warehouse.duckdb'), sources);
        });
        const diffs = compareSnapshots(parallel.warehouse, clean);
        expect(
          diffs.map((d) => formatDiff({ seed, step, action: '', ...d })),
          `step ${step}`,
        ).toEqual([]);
      }
    });
  }
});
