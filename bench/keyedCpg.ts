/**
 * Key-scoped refresh on the CPG (issue 15 part 3c): examples/cpg over ../shared/code-corpus/vitest
 * and over a code base ten times larger made from it (ten copies of the tree under c0…c9; a root
 * tsconfig extends c0's, so the copies' package imports resolve into c0 and their relative imports
 * into themselves). One warm in-process code extractor per size, as the daemon keeps; each edit
 * inserts (or removes again) a line at the top of one file, so every span below moves. Measured:
 * the SQL time (the sum of the built tasks' durations) refreshed by key at the default
 * engine.keyThreshold against in full (`keyThreshold: 0`), and the rows the keyed refresh recomputed
 * against the rows of those tasks' outputs. Skipped where ../shared is absent.
 *
 *   node --import tsx bench/keyedCpg.ts [--scales 1,10] [--reps N]
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run, type RunOutcome } from '../src/incremental/run.js';
import { CodeExtractors } from '../src/sources/index.js';
import { CORPUS, corpusFiles, corpusPresent } from '../test/code/corpus.js';
import { printTable, type Row } from './report.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const TASKS = path.join(ROOT, 'examples/cpg/tasks');
const LINE = '// bench line\n';
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

interface Sql {
  ms: number;
  /** Rows recomputed by tasks refreshed by key, and the rows of those tasks' outputs. */
  recomputed: number;
  outputRows: number;
  keyed: number;
  built: number;
  /** Built tasks by duration, longest first: `name ms (mode)`. */
  top: string[];
  /** Each built task's duration. */
  byTask: Map<string, number>;
  /** The tasks refreshed by key. */
  keyedTasks: string[];
  /** The whole run, wall clock: observing the sources (the code source's extraction and commits) included. */
  wallMs: number;
}

function sqlOf(o: RunOutcome, wallMs: number): Sql {
  const built = o.tasks.filter((t) => t.status === 'built');
  const keyed = built.filter((t) => t.refresh?.mode === 'keys');
  return {
    ms: built.reduce((s, t) => s + t.durationMs, 0),
    recomputed: keyed.reduce((s, t) => s + (t.refresh?.rows ?? 0), 0),
    outputRows: keyed.reduce((s, t) => s + (t.rows ?? 0), 0),
    keyed: keyed.length,
    built: built.length,
    top: [...built]
      .sort((a, b) => b.durationMs - a.durationMs)
      .slice(0, 3)
      .map((t) => `${t.task} ${t.durationMs.toFixed(0)} ms (${t.refresh?.mode ?? '?'})`),
    byTask: new Map(built.map((t) => [t.task, t.durationMs])),
    keyedTasks: keyed.map((t) => t.task),
    wallMs,
  };
}

/** A copy of the corpus (scale 1) or `scale` copies under c0, c1, …; the code glob and the file to edit. */
function makeTree(dir: string, scale: number): { glob: string; edit: string } {
  const files = corpusFiles(CORPUS);
  const leaf = files.find((f) => f.endsWith('/utils.ts')) ?? files[0]!;
  let glob = 'packages/*/src/**/*.ts';
  let edit = leaf;
  if (scale === 1) cpSync(CORPUS, dir, { recursive: true });
  else {
    for (let i = 0; i < scale; i++) cpSync(CORPUS, path.join(dir, `c${i}`), { recursive: true });
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: './c0/tsconfig.base.json', include: ['c*/packages/*/src/**/*.ts'] }),
    );
    glob = 'c*/packages/*/src/**/*.ts';
    edit = `c${Math.floor(scale / 2)}/${leaf}`;
  }
  return { glob, edit };
}

export async function benchKeyedCpg(log: (s: string) => void, scales: readonly number[] = [1, 10], reps = 2): Promise<Row[]> {
  if (!corpusPresent) {
    log('  skipped: no ../shared/code-corpus/vitest');
    return [];
  }
  const rows: Row[] = [];
  for (const scale of scales) {
    const dir = mkdtempSync(path.join(tmpdir(), `relspec-bench-keyed-cpg-${scale}-`));
    const extractors = new CodeExtractors({ keepWarm: true });
    try {
      const { glob, edit } = makeTree(dir, scale);
      const setThreshold = (t?: number) =>
        writeFileSync(
          path.join(dir, 'watch.config.ts'),
          `export default { sources: { code: { format: 'code', path: ${JSON.stringify(glob)} } }, tasks: ${JSON.stringify(TASKS)}, state: 'state'${t === undefined ? '' : `, engine: { keyThreshold: ${t} }`} };\n`,
        );
      setThreshold();
      const go = async (): Promise<Sql> => {
        const t = performance.now();
        const o = await run({ configPath: 'watch.config.ts', cwd: dir, codeExtractors: extractors });
        if (o.status === 'failed') throw new Error(`cpg run failed: ${o.tasks.find((t) => t.error)?.error ?? JSON.stringify(o.errors)}`);
        return sqlOf(o, performance.now() - t);
      };
      const t0 = performance.now();
      const cold = await go();
      const n = corpusFiles(CORPUS).length * scale;
      log(`  ×${scale} (${n} files): cold run ${((performance.now() - t0) / 1000).toFixed(1)} s, SQL ${(cold.ms / 1000).toFixed(1)} s`);
      const by: Record<'keys' | 'full', Sql[]> = { keys: [], full: [] };
      for (let i = 0; i < reps; i++) {
        for (const which of i % 2 === 0 ? (['keys', 'full'] as const) : (['full', 'keys'] as const)) {
          setThreshold(which === 'keys' ? undefined : 0);
          const p = path.join(dir, edit);
          const text = readFileSync(p, 'utf8');
          writeFileSync(p, text.startsWith(LINE) ? text.slice(LINE.length) : LINE + text);
          const s = await go();
          by[which].push(s);
          log(
            `  ×${scale} ${which === 'keys' ? 'by key' : 'in full'}: run ${s.wallMs.toFixed(0)} ms, SQL ${s.ms.toFixed(0)} ms, ${s.built} built, ${s.keyed} by key, ${s.recomputed} of ${s.outputRows} rows recomputed; ${s.top.join(', ')}`,
          );
        }
      }
      const k = by.keys.find((s) => s.ms === median(by.keys.map((x) => x.ms)))!;
      const f = median(by.full.map((x) => x.ms));
      const of = reps > 1 ? `, ${reps % 2 === 0 ? 'lower ' : ''}median of ${reps}` : '';
      // The key-scoped tasks alone: their time by key against the same tasks' time in full.
      const sum = (x: Sql, names: readonly string[]) => names.reduce((n, t) => n + (x.byTask.get(t) ?? 0), 0);
      const kTasks = sum(k, k.keyedTasks);
      const fTasks = median(by.full.map((x) => sum(x, k.keyedTasks)));
      rows.push(
        {
          metric: `cpg ×${scale} (${n} files): one-file edit moving spans, SQL time by key (sum of task durations${of})`,
          value: k.ms,
          unit: 'ms',
          goal: scale === 10 ? '≤ 50 ms' : undefined,
          ok: scale === 10 ? k.ms <= 50 : undefined,
          anchor: `${k.keyed} of ${k.built} built tasks by key; longest: ${k.top.join(', ')}`,
        },
        {
          metric: `  cpg ×${scale}: the same edit in full (engine.keyThreshold 0${of})`,
          value: f,
          unit: 'ms',
          anchor: `${(f / k.ms).toFixed(1)}× the keyed time`,
        },
        {
          metric: `  cpg ×${scale}: the ${k.keyed} tasks refreshed by key alone, SQL time by key`,
          value: kTasks,
          unit: 'ms',
          anchor: `in full ${fTasks.toFixed(0)} ms (${(fTasks / kTasks).toFixed(1)}×)`,
        },
        {
          metric: `  cpg ×${scale}: the whole run by key (extraction and the code tables' commits included)`,
          value: k.wallMs,
          unit: 'ms',
          anchor: `in full ${median(by.full.map((x) => x.wallMs)).toFixed(0)} ms`,
        },
        {
          metric: `  cpg ×${scale}: rows recomputed by key / rows in those tasks' outputs`,
          value: k.outputRows === 0 ? 0 : (100 * k.recomputed) / k.outputRows,
          unit: '%',
          anchor: `${k.recomputed} of ${k.outputRows}`,
        },
      );
    } finally {
      extractors.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const scales = (arg('--scales') ?? '1,10').split(',').map(Number);
  const rows = await benchKeyedCpg((s) => process.stderr.write(s + '\n'), scales, Number(arg('--reps') ?? 2));
  process.stdout.write(printTable(rows) + '\n');
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(rows) + '\n');
}
