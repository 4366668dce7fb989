/**
 * `npm run torture [-- --quick] [options]`: every torture suite at its documented size.
 *
 *   differential   1,000 seeded scenarios × 10 steps (random DAGs over parquet and Delta sources;
 *                  after every step each output equals a clean build)        --scenarios --steps --seed --jobs --minutes
 *                  every other chunk in the keyed profile (key-scoped tasks, per-key Delta commits; counts builds by key)
 *   crash          200 SIGKILLs of real `relspec run` / `relspec watch` processes, restarts, clean-build
 *                  comparisons, status/history checks                          --kills --crash-seed
 *   bad input      the whole catalog through `relspec run --json`, its watch subset through one daemon
 *   watcher faults test/torture/watcher.test.ts (bursts, renames, directories deleted and recreated,
 *                  chokidar error events)
 *   code           seeded random edits of the vitest corpus: the warm code extractor equals a cold one
 *   slices         the npm-test files that run a cut-down case, at full size (RELSPEC_TEST_FULL=1;
 *                  FULL_SLICES below lists them)
 *
 * --quick: 20 × 5 differential, 20 kills, a dozen catalog kinds, the watcher faults, 2 × 5 code edits,
 * the slices marked quick.
 * --minutes M caps the differential's wall time: scenarios stop being started after M minutes and
 * the summary says exactly how many ran. --only differential,crash,bad-input,watcher,code,slices picks suites.
 * Exits 1 when anything failed. Needs dist/ (the npm script builds it first).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatDiff, runDifferential, type DifferentialSummary } from '../test/helpers/differential.js';
import { runCrashSuite, type CrashSummary } from '../test/torture/crash.js';
import { CATALOG, runCatalog, runWatchCatalog } from '../test/torture/badInputs.js';
import { formatResult, runCodeDifferential } from '../test/code/differential.js';
import { CORPUS, corpusFiles, corpusPresent } from '../test/code/corpus.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scenarios: { type: 'string' },
    steps: { type: 'string' },
    seed: { type: 'string', default: '1' },
    jobs: { type: 'string', default: '1' },
    minutes: { type: 'string' },
    kills: { type: 'string' },
    'crash-seed': { type: 'string', default: '1' },
    'code-seeds': { type: 'string' },
    'code-steps': { type: 'string' },
    'code-seed': { type: 'string', default: '1' },
    only: { type: 'string' },
    out: { type: 'string' },
    verbose: { type: 'boolean', short: 'v', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(
    'usage: npm run torture -- [--quick] [--scenarios N] [--steps M] [--seed S] [--jobs J] [--minutes T] [--kills K] [--crash-seed S] [--code-seeds N] [--code-steps M] [--code-seed S] [--only differential,crash,bad-input,watcher,code,slices] [--out FILE.json] [-v]',
  );
  process.exit(0);
}
const int = (name: string, v: string | undefined, dflt: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} must be a non-negative number, got '${v}'`);
    process.exit(2);
  }
  return n;
};
const quick = values.quick;
const sizes = {
  scenarios: int('scenarios', values.scenarios, quick ? 20 : 1000),
  steps: int('steps', values.steps, quick ? 5 : 10),
  seed: int('seed', values.seed, 1),
  jobs: Math.max(1, int('jobs', values.jobs, 1)),
  minutes: values.minutes === undefined ? undefined : int('minutes', values.minutes, 0),
  kills: int('kills', values.kills, quick ? 20 : 200),
  crashSeed: int('crash-seed', values['crash-seed'], 1),
  codeSeeds: int('code-seeds', values['code-seeds'], quick ? 2 : 20),
  codeSteps: int('code-steps', values['code-steps'], quick ? 5 : 10),
  codeSeed: int('code-seed', values['code-seed'], 1),
};
const suites = new Set((values.only ?? 'differential,crash,bad-input,watcher,code,slices').split(',').map((s) => s.trim()));
/** npm-test files that cut a case down unless RELSPEC_TEST_FULL=1 (`quick`: also in --quick). */
const FULL_SLICES: { file: string; quick: boolean }[] = [
  { file: 'test/state/faults.test.ts', quick: true },
  { file: 'test/code/corpus.test.ts', quick: false },
];
const log = (l: string) => console.log(l);
const secs = (ms: number) => `${(ms / 1000).toFixed(0)}s`;
const report: Record<string, unknown> = { quick, sizes, startedAt: new Date().toISOString() };
const lines: string[] = [];
let failed = false;

// ── differential ──
if (suites.has('differential')) {
  console.log(
    `\n== differential: ${sizes.scenarios} scenarios × ${sizes.steps} steps from seed ${sizes.seed}, ${sizes.jobs} job(s)${sizes.minutes !== undefined ? `, at most ${sizes.minutes} min` : ''}`,
  );
  const t0 = performance.now();
  const deadline = sizes.minutes === undefined ? Infinity : Date.now() + sizes.minutes * 60_000;
  const parts: DifferentialSummary[] = [];
  let done = 0;
  let finished = 0;
  // Chunks, so that the time cap stops between scenarios (never in the middle of one).
  const chunk = Math.max(sizes.jobs, 4);
  while (done < sizes.scenarios && Date.now() < deadline) {
    const n = Math.min(chunk, sizes.scenarios - done);
    // Every other chunk runs the generator's keyed profile (key-scoped tasks, per-key Delta commits: issue 15).
    const keyed = Math.floor(done / chunk) % 2 === 1;
    const s = await runDifferential({
      scenarios: n,
      steps: sizes.steps,
      seed: sizes.seed + done,
      jobs: sizes.jobs,
      keyed,
      log: values.verbose ? (l) => console.log(`  ${l}`) : undefined,
      onScenario: (r) => {
        const status = r.diffs.length === 0 ? 'ok' : `${r.diffs.length} diff(s) (kept ${r.dir})`;
        finished++;
        console.log(
          `[${finished}/${sizes.scenarios}] seed ${r.seed}${keyed ? ' (--keyed)' : ''}: ${r.sources} sources, ${r.tasks} tasks, ${r.stepsRun} steps, ${r.log.reduce((k, l) => k + l.keyed.length, 0)} by key, ${(r.ms / 1000).toFixed(1)}s — ${status}`,
        );
        for (const d of r.diffs) console.log(`  ${formatDiff(d)}`);
      },
    });
    parts.push(s);
    done += n;
  }
  const stepsRun = parts.reduce((n, s) => n + s.stepsRun, 0);
  const diffs = parts.flatMap((s) => s.diffs);
  const kinds: Record<string, number> = {};
  for (const s of parts) for (const [k, n] of Object.entries(s.kinds)) kinds[k] = (kinds[k] ?? 0) + n;
  const deltaSteps = Object.entries(kinds)
    .filter(([k]) => k.startsWith('delta_'))
    .reduce((n, [, v]) => n + v, 0);
  const ms = performance.now() - t0;
  const capped = done < sizes.scenarios;
  const keyedBuilds = parts.reduce((n, s) => n + s.keyedBuilds, 0);
  const builds = parts.reduce((n, s) => n + s.builds, 0);
  const line = `differential: ${done} scenarios × ${sizes.steps} steps (${stepsRun} steps run, ${deltaSteps} of them Delta commits; ${parts.reduce((n, s) => n + s.noBuildChecks, 0)} no-build checks; ${keyedBuilds} of ${builds} task builds by key), ${diffs.length} diffs found, ${secs(ms)}${capped ? ` — stopped by the ${sizes.minutes}-minute cap (${sizes.scenarios} requested)` : ''}`;
  lines.push(line);
  console.log(line);
  console.log(
    `  steps by kind: ${Object.entries(kinds)
      .sort()
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  );
  report.differential = {
    scenarios: done,
    requested: sizes.scenarios,
    steps: sizes.steps,
    stepsRun,
    kinds,
    keyedBuilds,
    builds,
    diffs,
    ms,
  };
  if (diffs.length > 0) failed = true;
}

// ── crash ──
if (suites.has('crash')) {
  console.log(`\n== crash: ${sizes.kills} SIGKILLs from seed ${sizes.crashSeed}`);
  let s: CrashSummary | undefined;
  try {
    s = await runCrashSuite({ kills: sizes.kills, seed: sizes.crashSeed, log });
  } catch (e) {
    lines.push(`crash: the suite itself failed: ${String(e)}`);
    failed = true;
  }
  if (s) {
    const line = `crash: ${s.kills} kills (${Object.entries(s.byMode)
      .sort()
      .map(([m, n]) => `${m} ${n}`)
      .join(
        ', ',
      )}; ${s.missed} processes finished before their kill moment), ${s.cycles} restart cycles, ${s.crashedRuns} runs recorded as crashed, ${s.corruptions} corruptions, ${secs(s.ms)}`;
    lines.push(line);
    console.log(line);
    for (const p of s.problems) console.log(`  ${p}`);
    report.crash = s;
    if (s.corruptions > 0) failed = true;
  }
}

// ── bad input ──
if (suites.has('bad-input')) {
  // --quick: every fourth kind (a spread over task files, sources, Delta and the config).
  const only = quick ? (_c: unknown, i: number) => i % 4 === 0 : undefined;
  const n = quick ? CATALOG.filter((_, i) => i % 4 === 0).length : CATALOG.length;
  console.log(`\n== bad input: ${quick ? `${n} of ` : ''}${CATALOG.length} kinds through relspec run --json, then the watch subset`);
  const cli = await runCatalog({ only, log });
  const watch = await runWatchCatalog({ only: quick ? (c) => c.watch === true && CATALOG.indexOf(c) % 3 === 0 : undefined, log });
  const bad = cli.results.filter((r) => r.problems.length > 0);
  const badWatch = watch.results.filter((r) => r.problems.length > 0);
  const codes = new Set(cli.results.map((r) => r.code));
  const line =
    `bad input: ${cli.results.length} kinds (${codes.size} error codes) through relspec run --json, ${bad.length} failing, ${secs(cli.ms)}; ` +
    `${watch.results.filter((r) => !['final status', 'daemon stop', 'final outputs'].includes(r.kind)).length} through relspec watch, ${badWatch.length} failing, daemon ${watch.daemonExit}, ${secs(watch.ms)}`;
  lines.push(line);
  console.log(line);
  for (const r of [...bad, ...badWatch]) console.log(`  ${r.kind}: ${r.problems.join('; ')}`);
  report.badInput = { cli: cli.results, watch: watch.results, daemonExit: watch.daemonExit };
  if (bad.length + badWatch.length > 0 || watch.daemonExit !== 'exit 0') failed = true;
}

/** Runs vitest on `files` (with `env` added) and reads its JSON report: passed, total, failures. */
function vitestFiles(
  files: string[],
  env: NodeJS.ProcessEnv = {},
): { status: number | null; passed: number; total: number; failures: string[] } {
  const out = path.join(process.env.TMPDIR ?? '/tmp', `relspec-torture-vitest-${process.pid}.json`);
  const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...files, '--reporter=json', `--outputFile=${out}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  let passed = 0;
  let total = 0;
  const failures: string[] = [];
  try {
    const j = JSON.parse(readFileSync(out, 'utf8')) as {
      numPassedTests: number;
      numTotalTests: number;
      testResults: { name: string; assertionResults: { title: string; status: string }[] }[];
    };
    passed = j.numPassedTests;
    total = j.numTotalTests;
    for (const f of j.testResults)
      for (const a of f.assertionResults)
        if (a.status !== 'passed') failures.push(`${path.relative(process.cwd(), f.name)}: ${a.title}: ${a.status}`);
  } catch {
    failures.push(`vitest exited ${r.status} without a report`);
  }
  return { status: r.status, passed, total, failures };
}

// ── watcher faults ──
if (suites.has('watcher')) {
  console.log('\n== watcher faults: test/torture/watcher.test.ts');
  const t0 = performance.now();
  const { status, passed, total, failures } = vitestFiles(['test/torture/watcher.test.ts']);
  const line = `watcher faults: ${passed}/${total} passed (bursts, renames, deleted/recreated directories, chokidar error events), ${secs(performance.now() - t0)}`;
  lines.push(line);
  console.log(line);
  for (const f of failures) console.log(`  ${f}`);
  report.watcher = { passed, total, failures };
  if (status !== 0 || failures.length > 0) failed = true;
}

// ── npm-test slices at full size ──
if (suites.has('slices')) {
  // Test files that npm test runs cut down and that widen under RELSPEC_TEST_FULL=1 (each says what it cuts).
  const files = FULL_SLICES.filter((f) => !quick || f.quick).map((f) => f.file);
  console.log(`\n== npm-test slices at full size (RELSPEC_TEST_FULL=1): ${files.join(', ')}`);
  const t0 = performance.now();
  const { status, passed, total, failures } = vitestFiles(files, { RELSPEC_TEST_FULL: '1' });
  const line = `slices: ${passed}/${total} passed in ${files.length} files at full size, ${secs(performance.now() - t0)}`;
  lines.push(line);
  console.log(line);
  for (const f of failures) console.log(`  ${f}`);
  report.slices = { files, passed, total, failures };
  if (status !== 0 || failures.length > 0) failed = true;
}

// ── code extractor differential ──
if (suites.has('code')) {
  if (!corpusPresent) {
    const line = `code: skipped (no corpus at ${CORPUS})`;
    lines.push(line);
    console.log(line);
  } else {
    console.log(`\n== code: ${sizes.codeSeeds} seeds × ${sizes.codeSteps} random edits of the vitest corpus from seed ${sizes.codeSeed}`);
    const t0 = performance.now();
    const failures: string[] = [];
    let steps = 0;
    for (let i = 0; i < sizes.codeSeeds; i++) {
      const r = runCodeDifferential({ source: CORPUS, list: corpusFiles, seed: sizes.codeSeed + i, steps: sizes.codeSteps });
      steps += r.steps.length;
      const ok = r.failedAt === undefined;
      console.log(`[${i + 1}/${sizes.codeSeeds}] seed ${r.seed}: ${r.steps.length} steps, ${secs(r.ms)} — ${ok ? 'ok' : 'DIFFERENT'}`);
      if (!ok || values.verbose) console.log(formatResult(r));
      if (!ok) failures.push(formatResult(r));
    }
    const line = `code: ${sizes.codeSeeds} seeds × ${sizes.codeSteps} edits (${steps} steps run), ${failures.length} seeds where warm ≠ cold, ${secs(performance.now() - t0)}`;
    lines.push(line);
    console.log(line);
    report.code = { seeds: sizes.codeSeeds, steps, failures };
    if (failures.length > 0) failed = true;
  }
}

console.log(`\n== torture summary${quick ? ' (--quick)' : ''}`);
for (const l of lines) console.log(l);
report.lines = lines;
report.failed = failed;
if (values.out) writeFileSync(values.out, JSON.stringify(report, null, 2));
process.exit(failed ? 1 : 0);
