/**
 * Differential test runner (docs/ARCHITECTURE.md invariant 1: incremental equals clean).
 *
 *   node --import tsx scripts/differential.ts --scenarios 200 --steps 20 --seed 1 [--jobs 2] [--keyed] [--keep] [--verbose]
 *
 * `--keyed`: the keyed profile (more Delta sources, key-scoped tasks and per-key changes: issue 15).
 * The summary counts the task builds that refreshed by key, and why the others with a key ran in full.
 * Scenario i runs with seed `seed + i`; reproduce one with `--seed <that seed> --scenarios 1`.
 * Exits 1 when any diff is found.
 */
import { parseArgs } from 'node:util';
import { formatDiff, runDifferential } from '../test/helpers/differential.js';

const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: '20' },
    steps: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    jobs: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
    keyed: { type: 'boolean', default: false },
    'no-rerun': { type: 'boolean', default: false },
    verbose: { type: 'boolean', short: 'v', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(
    'usage: node --import tsx scripts/differential.ts --scenarios N --steps M --seed S [--jobs J] [--keyed] [--keep] [--no-rerun] [--verbose]',
  );
  process.exit(0);
}

const int = (name: string, v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a non-negative integer, got '${v}'`);
    process.exit(2);
  }
  return n;
};

const scenarios = int('scenarios', values.scenarios);
const steps = int('steps', values.steps);
const seed = int('seed', values.seed);
const jobs = Math.max(1, int('jobs', values.jobs));

const summary = await runDifferential({
  scenarios,
  steps,
  seed,
  jobs,
  keep: values.keep,
  keyed: values.keyed,
  noopRerun: !values['no-rerun'],
  log: values.verbose ? (line) => console.log(`  ${line}`) : undefined,
  onScenario: (r, done) => {
    const status = r.diffs.length === 0 ? 'ok' : `${r.diffs.length} diff(s)`;
    const keyed = r.log.reduce((n, l) => n + l.keyed.length, 0);
    console.log(
      `[${done}/${scenarios}] seed ${r.seed}: ${r.sources} sources, ${r.tasks} tasks, ${r.stepsRun} steps, ${keyed} keyed, ${(r.ms / 1000).toFixed(1)}s — ${status}${r.kept ? ` (kept ${r.dir})` : ''}`,
    );
    for (const d of r.diffs) console.log(`  ${formatDiff(d)}`);
  },
});

const bySeed = new Set(summary.diffs.map((d) => d.seed));
console.log(
  `${summary.scenarios} scenarios × ${summary.steps} steps (${summary.stepsRun} steps run) in ${(summary.ms / 1000).toFixed(1)}s, ` +
    `${summary.diffs.length} diffs found${bySeed.size > 0 ? ` (seeds ${[...bySeed].join(', ')})` : ''}`,
);
const reasons = Object.entries(summary.fullReasons)
  .sort((a, b) => b[1] - a[1])
  .map(([k, n]) => `${k} ${n}`)
  .join(', ');
console.log(
  `${summary.keyedBuilds} of ${summary.builds} incremental task builds refreshed by key` +
    (reasons ? `; tasks with a proven key in full: ${reasons}` : ''),
);
if (values.verbose) {
  const kinds = Object.entries(summary.kinds)
    .sort()
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  console.log(`steps by kind: ${kinds}; ${summary.noBuildChecks} no-build checks; ${summary.builds} incremental task builds`);
}
process.exit(summary.diffs.length > 0 ? 1 : 0);
