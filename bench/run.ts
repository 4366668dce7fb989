import path from 'node:path';
import { benchLineage } from './lineage.js';
import { benchEngine } from './engine.js';
import { benchWideConcurrency } from './parallel.js';
import { benchMinimality } from './minimality.js';
import { benchInvalidation } from './invalidation.js';
import { benchDeltaChanges } from './delta.js';
import { benchKeyedRefresh, KEYED_FRACTIONS } from './keyed.js';
import { benchKeyedCpg } from './keyedCpg.js';
import { benchRss, benchWatch } from './watch.js';
import { benchCpgWatch } from './cpg.js';
import { benchScip } from './scip.js';
import { benchCodeCorpus } from './codeCorpus.js';
import { benchCliReads, benchCliStartup } from './cli.js';
import { benchDaemonQuery } from './query.js';
import { benchPageLoad } from './page.js';
import { benchSseDelay } from './sse.js';
import { printTable, writeResults, type Row } from './report.js';

/**
 * `npm run bench` runs every benchmark and writes bench/results.md and bench/results.json.
 * `--quick` runs smaller sizes; `--keyed-rows N` sets the key-scoped refresh bench's source size.
 */
const quick = process.argv.includes('--quick');
const keyedRowsAt = process.argv.indexOf('--keyed-rows');
const keyedRows = keyedRowsAt > 0 ? Number(process.argv[keyedRowsAt + 1]) : quick ? 1_000_000 : 10_000_000;
const log = (s: string) => process.stderr.write(s + '\n');
const rows: Row[] = [];

// Invalidation is measured on the lineage bench's projects (10k, 100k), loaded from its cache.
const sizes = quick ? [1000] : [1000, 10000, 100000];
const invalidationSizes = new Set(quick ? [1000] : [10000, 100000]);
const invalidationRows: Row[] = [];
for (const n of sizes) {
  log(`lineage + graph: ${n} tasks`);
  rows.push(
    ...(await benchLineage(
      n,
      log,
      invalidationSizes.has(n)
        ? async (dir) => {
            log(`invalidation: ${n} tasks, candidate set and trace verification (no build)`);
            invalidationRows.push(...(await benchInvalidation(n, log, dir)));
          }
        : undefined,
    )),
  );
}
rows.push(...invalidationRows);

log('per-task overhead: 1000 small table tasks, relspec cold build vs a plain DuckDB loop');
rows.push(...(await benchEngine(1000, quick ? 1 : 3, log)));

log('parallel tasks (issue 15): 1,000 independent tasks, engine.concurrency 1 vs the default');
rows.push(...(await benchWideConcurrency(1000, quick ? 1 : 3, quick ? 10_000 : 50_000, log)));

log('minimality: 200 tasks, a fixed suite of changes');
rows.push(...(await benchMinimality(200, log)));

log('Delta change detection: 1,000 updated rows');
rows.push(...(await benchDeltaChanges(log, quick ? 100_000 : 1_000_000, quick ? 5 : 20, 1000)));

log(
  `key-scoped refresh (issue 15): 10 keys of 100k in a ${keyedRows.toLocaleString('en')}-row Delta source, by key vs in full; threshold calibration`,
);
rows.push(
  ...(await benchKeyedRefresh(log, {
    rows: keyedRows,
    keys: 100_000,
    files: 20,
    reps: quick ? 1 : 3,
    fractions: quick ? [0.01, 0.3] : KEYED_FRACTIONS,
  })),
);

log('watch: change-to-fresh latency and idle CPU (relspec watch, real process)');
rows.push(...(await benchWatch(log, quick ? 15 : 50, quick ? 10 : 60)));

log('CLI start-up: relspec --help (real process)');
rows.push(...benchCliStartup(log, quick ? 5 : 20));
log('CLI reads: status, why, history (real processes)');
rows.push(...benchCliReads(log, 10));

log('serving (issue 13): relspec query through the daemon, its socket alone, and with no daemon (real processes)');
rows.push(...(await benchDaemonQuery(log, quick ? 20 : 100)));
log('serving: page load in Chromium until the graph of 1k tasks is drawn');
rows.push(...(await benchPageLoad(log, 1000, 5)));
log('serving: task finished → its event on /api/events');
rows.push(...(await benchSseDelay(log, quick ? 10 : 30)));

log(`RSS and warm restart: ${quick ? 1000 : 10000} tasks`);
rows.push(...(await benchRss(quick ? 1000 : 10000, log)));

log('code facts against a precise indexer (issue 14): references vs scip-typescript on the vitest corpus');
rows.push(...benchScip(log));

if (!quick) {
  log('code facts on the vitest corpus (issue 14 item 6): cold extraction, watch save → fresh, one-shot run');
  rows.push(...(await benchCodeCorpus(log, 11)));
  log('key-scoped refresh on the CPG (issue 15): a one-file edit moving spans, vitest corpus ×1 and ×10, by key vs in full');
  rows.push(...(await benchKeyedCpg(log, [1, 10], 2)));
  log('cpg watch: save-to-fresh latency of the embedded default (relspec watch over a copy of src/)');
  rows.push(...(await benchCpgWatch(log, 21)));
}

const table = printTable(rows);
process.stdout.write(table + '\n');
writeResults(path.join(import.meta.dirname), rows, quick);
