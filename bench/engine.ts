import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { run } from '../src/incremental/run.js';
import { loadProject } from '../src/project/load.js';
import { generateProject } from './gen.js';
import type { Row } from './report.js';

const SOURCES = ['events', 'users', 'products', 'orders'];

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Every task file of a generated project as [output, file text], in dependency order. */
function taskStatements(dir: string): [string, string][] {
  const out: [string, string][] = [];
  const root = path.join(dir, 'tasks');
  // gen.ts names tasks t000000, t000001, ... and a task only reads earlier ones (or sources), so
  // name order is a valid topological order; subfolders m0, m1, ... m10 must sort numerically.
  const subs = readdirSync(root).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  for (const sub of subs) {
    for (const f of readdirSync(path.join(root, sub)).sort()) {
      const text = readFileSync(path.join(root, sub, f), 'utf8');
      const output = /^--\s*@output\s+(\S+)/m.exec(text)?.[1] ?? path.basename(f, '.sql');
      out.push([output, text]);
    }
  }
  return out;
}

interface BaselineTiming {
  totalMs: number;
  loopMs: number;
  closeMs: number;
}

/**
 * The anchor: the same statements as `CREATE OR REPLACE TABLE out AS <sql>`, in dependency order, on
 * one @duckdb/node-api connection to a fresh file database with the sources as views over the same
 * parquet files. Timed from opening the database to closing it (the close checkpoints the WAL, as
 * relspec's run() does when it closes its warehouse).
 */
async function duckdbLoop(dir: string, statements: [string, string][], dbDir: string): Promise<BaselineTiming> {
  rmSync(dbDir, { recursive: true, force: true });
  mkdirSync(dbDir, { recursive: true });
  gc();
  const t0 = performance.now();
  const inst = await DuckDBInstance.create(path.join(dbDir, 'loop.duckdb'));
  const c = await inst.connect();
  for (const s of SOURCES) {
    const file = path.join(dir, 'data', `${s}.parquet`).replace(/'/g, "''");
    await c.run(`CREATE OR REPLACE VIEW "${s}" AS SELECT * FROM read_parquet(['${file}'])`);
  }
  const t1 = performance.now();
  for (const [output, sql] of statements) await c.run(`CREATE OR REPLACE TABLE "${output}" AS\n${sql}\n;`);
  const t2 = performance.now();
  c.closeSync();
  inst.closeSync();
  const t3 = performance.now();
  return { totalMs: t3 - t0, loopMs: t2 - t1, closeMs: t3 - t2 };
}

interface RelspecTiming {
  coldMs: number;
  /** From calling run() to the first task's build starting: config, sources, lineage + graph, observe. */
  beforeFirstMs: number;
  /** Sum of the built tasks' own durations: CREATE TABLE + output token scan, in DuckDB. */
  taskSumMs: number;
  /** Between the first build starting and the last result: what is not a task's own duration. */
  betweenMs: number;
  /** After the last task result: summary, meta, closing the warehouse (checkpoint) and SQLite. */
  afterLastMs: number;
  built: number;
  warmMs: number;
  warmBuilt: number;
}

async function relspecCold(configPath: string, stateDir: string, n: number): Promise<RelspecTiming> {
  rmSync(stateDir, { recursive: true, force: true });
  gc();
  let first: number | undefined;
  let last = 0;
  let taskSum = 0;
  const t0 = performance.now();
  const cold = await run({
    configPath,
    onTask: (r) => {
      const now = performance.now();
      if (first === undefined) first = now - r.durationMs;
      last = now;
      if (r.status === 'built') taskSum += r.durationMs;
    },
  });
  const t1 = performance.now();
  const built = cold.tasks.filter((t) => t.status === 'built').length;
  const bad = cold.tasks.filter((t) => t.status === 'failed' || t.status === 'blocked');
  if (bad.length > 0 || cold.errors.length > 0 || built !== n) {
    throw new Error(
      `cold build of the generated project: ${built}/${n} built, ${bad.length} failed/blocked, ${cold.errors.length} errors: ${bad[0]?.error ?? cold.errors[0]?.message ?? ''}`,
    );
  }
  gc();
  const t2 = performance.now();
  const warm = await run({ configPath });
  const t3 = performance.now();
  first ??= t1;
  return {
    coldMs: t1 - t0,
    beforeFirstMs: first - t0,
    taskSumMs: taskSum,
    betweenMs: last - first - taskSum,
    afterLastMs: t1 - last,
    built,
    warmMs: t3 - t2,
    warmBuilt: warm.tasks.filter((t) => t.status === 'built').length,
  };
}

/**
 * Sets (or, with undefined, removes) `engine.concurrency` in a generated project's config. The
 * build fingerprint leaves it out, so switching it is no config edit.
 */
export function setConcurrency(configPath: string, concurrency: number | undefined): void {
  const text = readFileSync(configPath, 'utf8').replace(/\n {2}engine: \{ concurrency: \d+ \},/, '');
  writeFileSync(
    configPath,
    concurrency === undefined
      ? text
      : text.replace(/^export default \{\n/, `export default {\n  engine: { concurrency: ${concurrency} },\n`),
  );
}

/**
 * Per-task overhead: a cold relspec build of N small table tasks (fresh state directory) against
 * the same N statements through a plain DuckDB loop, rotating which goes first; median of `reps`.
 * relspec runs at its default concurrency (the CPU count; issue 15: goal ≤ 1.0×) and at 1.
 */
export async function benchEngine(n: number, reps: number, log: (s: string) => void): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), `relspec-bench-engine-${n}-`));
  try {
    await generateProject({ dir, tasks: n, seed: 11, rows: 100 });
    const configPath = path.join(dir, 'watch.config.ts');
    const statements = taskStatements(dir);
    const base: BaselineTiming[] = [];
    const rel: RelspecTiming[] = [];
    const serial: RelspecTiming[] = [];
    const kinds = ['duckdb', 'relspec', 'serial'] as const;
    for (let i = 0; i < reps; i++) {
      const order = kinds.map((_, j) => kinds[(i + j) % kinds.length]!);
      for (const which of order) {
        if (which === 'serial') {
          setConcurrency(configPath, 1);
          const r = await relspecCold(configPath, path.join(dir, 'state'), n);
          setConcurrency(configPath, undefined);
          serial.push(r);
          log(`  rep ${i + 1}: relspec cold at concurrency 1 ${r.coldMs.toFixed(0)} ms (task durations ${r.taskSumMs.toFixed(0)})`);
        } else if (which === 'duckdb') {
          const b = await duckdbLoop(dir, statements, path.join(dir, 'loop'));
          base.push(b);
          log(`  rep ${i + 1}: DuckDB loop ${b.totalMs.toFixed(0)} ms (statements ${b.loopMs.toFixed(0)}, close ${b.closeMs.toFixed(0)})`);
        } else {
          const r = await relspecCold(configPath, path.join(dir, 'state'), n);
          rel.push(r);
          log(
            `  rep ${i + 1}: relspec cold ${r.coldMs.toFixed(0)} ms (before first task ${r.beforeFirstMs.toFixed(0)}, task durations ${r.taskSumMs.toFixed(0)}, ` +
              `between tasks ${r.betweenMs.toFixed(0)}, after last ${r.afterLastMs.toFixed(0)}); warm no-op ${r.warmMs.toFixed(0)} ms, ${r.warmBuilt} built`,
          );
        }
      }
    }
    // Project load alone (cold lineage, no cache), measured separately on the same project.
    gc();
    const tl = performance.now();
    const project = await loadProject({ configPath });
    const loadMs = performance.now() - tl;
    log(
      `  project load alone (no cache): ${loadMs.toFixed(0)} ms ${JSON.stringify(project.timings, (_, v) => (typeof v === 'number' ? Math.round(v) : v))}`,
    );

    const m = <T>(xs: T[], f: (x: T) => number) => median(xs.map(f));
    const relMs = m(rel, (r) => r.coldMs);
    const baseMs = m(base, (b) => b.totalMs);
    const ratio = relMs / baseMs;
    const serialMs = m(serial, (r) => r.coldMs);
    const cpus = availableParallelism();
    const k = n >= 1000 ? `${n / 1000}k` : String(n);
    const of = reps > 1 ? ` (median of ${reps})` : '';
    const warmBuilt = Math.max(...rel.map((r) => r.warmBuilt));
    return [
      {
        metric: `relspec cold build / plain DuckDB loop, ${k} small table tasks (default engine.concurrency = ${cpus} CPUs)`,
        value: ratio,
        unit: '×',
        goal: '≤ 1.0×',
        ok: ratio <= 1.0,
        anchor: 'plain DuckDB loop (serial, one connection)',
      },
      {
        metric: `  the same at engine.concurrency 1`,
        value: serialMs / baseMs,
        unit: '×',
        goal: '≤ 1.15×',
        ok: serialMs / baseMs <= 1.15,
        anchor: 'plain DuckDB loop',
      },
      { metric: `  relspec cold build, ${k} tasks, fresh state${of}`, value: relMs, unit: 'ms' },
      { metric: `  relspec cold build at engine.concurrency 1${of}`, value: serialMs, unit: 'ms' },
      {
        metric: `    of which before the first task (config, sources, lineage + graph, observe)`,
        value: m(rel, (r) => r.beforeFirstMs),
        unit: 'ms',
      },
      {
        metric: `    of which task execution (CREATE TABLE + output token scan, sum of task durations, overlapping at concurrency > 1)`,
        value: m(rel, (r) => r.taskSumMs),
        unit: 'ms',
      },
      {
        metric: `    of which between tasks (verify, input token scans, SQLite writes; below 0 when tasks overlap)`,
        value: m(rel, (r) => r.betweenMs),
        unit: 'ms',
      },
      {
        metric: `    of which after the last task (finish run, close warehouse = checkpoint)`,
        value: m(rel, (r) => r.afterLastMs),
        unit: 'ms',
      },
      {
        metric: `  plain DuckDB loop, same ${k} statements, open → close${of}`,
        value: baseMs,
        unit: 'ms',
        anchor: 'one @duckdb/node-api connection, file database',
      },
      { metric: `    of which the ${k} CREATE OR REPLACE TABLE statements`, value: m(base, (b) => b.loopMs), unit: 'ms' },
      { metric: `    of which close (checkpoint)`, value: m(base, (b) => b.closeMs), unit: 'ms' },
      { metric: `  relspec overhead per task, ${k} tasks`, value: (relMs - baseMs) / n, unit: 'ms' },
      { metric: `  project load alone (lineage + graph, no cache), ${k} tasks`, value: loadMs, unit: 'ms' },
      {
        metric: `relspec warm no-op run, ${k} tasks (nothing changed; ${warmBuilt} built)`,
        value: m(rel, (r) => r.warmMs),
        unit: 'ms',
        anchor: 'config + cached lineage + observe + state read',
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
