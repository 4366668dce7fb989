import { chmodSync, cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelspecError } from '../../src/errors.js';
import { loadSnapshot, snapshotQuery, tableChanges, tableHistory } from '../../src/delta/index.js';
import { CORPUS, HAS_CORPUS, NO_CORPUS_MESSAGE, openDuck } from './helpers.js';
import { createTempTree } from '../helpers/tempTree.js';

/**
 * Damaged logs (truncated files, garbled characters, dropped lines, wrongly typed fields, cut
 * checkpoints) must give a RelspecError or a result — never a TypeError or a raw exception.
 * Seeded, so a failure reproduces.
 */

const TABLES = [
  'dat-v0.0.3/deletion_vectors/delta',
  'dat-v0.0.3/multi_partitioned/delta',
  'dat-v0.0.3/with_checkpoint/delta',
  'dat-v0.0.3/column_mapping/delta',
  'delta-rs/data/cdf-table',
];
const ROUNDS = 40;

let conn: DuckDBConnection;
let close: () => void;

describe.skipIf(!HAS_CORPUS)(HAS_CORPUS ? 'damaged logs never crash the reader' : NO_CORPUS_MESSAGE, () => {
  beforeAll(async () => {
    ({ conn, close } = await openDuck());
  });
  afterAll(() => close?.());

  it(`${ROUNDS} seeded mutations of real tables`, async () => {
    let seed = 20240611;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const mutate = (s: string): string => {
      const i = Math.floor(rnd() * s.length);
      switch (Math.floor(rnd() * 7)) {
        case 0:
          return s.slice(0, i);
        case 1:
          return s.slice(0, i) + String.fromCharCode(32 + Math.floor(rnd() * 90)) + s.slice(i + 1);
        case 2: {
          const lines = s.split('\n');
          lines.splice(Math.floor(rnd() * lines.length), 1);
          return lines.join('\n');
        }
        case 3:
          return s.replace(/"(\w+)":(\d+)/, '"$1":"x"');
        case 4:
          return s.replace(/"(\w+)":"[^"]*"/, '"$1":null');
        case 5:
          return s.replace(/"(\w+)":\{/, '"$1":[');
        default:
          return s.replace(/"(\w+)":(true|false)/, '"$1":1');
      }
    };
    const crashes: string[] = [];
    for (let n = 0; n < ROUNDS; n++) {
      const rel = TABLES[Math.floor(rnd() * TABLES.length)];
      const tree = createTempTree({}, { prefix: 'relspec-delta-fuzz-' });
      const dir = tree.root;
      try {
        cpSync(path.join(CORPUS, rel), dir, { recursive: true });
        chmodSync(dir, 0o755);
        const log = path.join(dir, '_delta_log');
        chmodSync(log, 0o755);
        const files = readdirSync(log).filter((f) => f.endsWith('.json') || f.endsWith('.parquet'));
        const f = path.join(log, files[Math.floor(rnd() * files.length)]);
        chmodSync(f, 0o644);
        const buf = readFileSync(f);
        writeFileSync(f, f.endsWith('.parquet') ? buf.subarray(0, Math.floor(rnd() * buf.length)) : mutate(buf.toString('utf8')));
        const ops: [string, () => Promise<unknown>][] = [
          [
            'snapshot',
            async () => conn.runAndReadAll(`SELECT count(*) FROM (${await snapshotQuery(conn, await loadSnapshot(conn, dir))})`),
          ],
          ['changes', async () => conn.runAndReadAll(`SELECT count(*) FROM (${(await tableChanges(conn, dir, 0)).sql})`)],
          ['history', () => tableHistory(dir)],
        ];
        for (const [name, op] of ops) {
          try {
            await op();
          } catch (e) {
            if (!(e instanceof RelspecError))
              crashes.push(`round ${n} ${rel} ${path.basename(f)} ${name}: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
          }
        }
      } finally {
        tree.dispose();
      }
    }
    expect(crashes).toEqual([]);
  });
});
