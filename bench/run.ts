import path from 'node:path';
import { benchLineage } from './lineage.js';
import { printTable, writeResults, type Row } from './report.js';

/**
 * `npm run bench` runs every benchmark and writes bench/results.md and bench/results.json.
 * `--quick` runs smaller sizes.
 */
const quick = process.argv.includes('--quick');
const log = (s: string) => process.stderr.write(s + '\n');
const rows: Row[] = [];

const sizes = quick ? [1000] : [1000, 10000];
for (const n of sizes) {
  log(`lineage + graph: ${n} tasks`);
  rows.push(...(await benchLineage(n, log)));
}

const table = printTable(rows);
process.stdout.write(table + '\n');
writeResults(path.join(import.meta.dirname), rows, quick);
