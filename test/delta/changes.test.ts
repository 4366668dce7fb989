import { statSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeCounts, tableChanges, tableHistory } from '../../src/delta/index.js';
import { add, commitInfo, metaData, protocol, remove, tableBuilder } from './builder.js';
import { dvFile, serializeDv, uuidToZ85 } from './encode.js';
import { CORPUS, HAS_CORPUS, openDuck, relspecErrorOf, rows } from './helpers.js';

let conn: DuckDBConnection;
let close: () => void;
beforeAll(async () => {
  ({ conn, close } = await openDuck());
});
afterAll(() => close());

const CDF = { 'delta.enableChangeDataFeed': 'true' };
const changes = async (dir: string, a: number, b: number) =>
  (await rows(conn, `SELECT _commit_version, _change_type, id, part FROM (${(await tableChanges(conn, dir, a, b)).sql}) ORDER BY ALL`)).map(
    (r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)),
  );

describe('change data feed without cdc files', () => {
  it('adds are inserts, removes are deletes (partition values from the previous snapshot when absent), DV updates give net rows', async () => {
    const b = tableBuilder(conn);
    try {
      const schema = metaData(
        [
          ['id', 'long'],
          ['part', 'string'],
        ],
        ['part'],
        CDF,
      );
      const f = await b.file('part=a/f.parquet', 'SELECT range AS id FROM range(4)', { partitionValues: { part: 'a' } });
      const base = (f as { add: Record<string, unknown> }).add;
      const uuid = 'aaaaaaaa-3333-4444-5555-666677778888';
      const bm1 = serializeDv([1, 2]);
      b.write(`deletion_vector_${uuid}.bin`, Buffer.concat([dvFile(bm1)]));
      const dv1 = { storageType: 'u', pathOrInlineDv: uuidToZ85(uuid), offset: 1, sizeInBytes: bm1.length, cardinality: 2 };
      const uuid2 = 'bbbbbbbb-3333-4444-5555-666677778888';
      const bm2 = serializeDv([2, 3]);
      b.write(`deletion_vector_${uuid2}.bin`, dvFile(bm2));
      const dv2 = { storageType: 'u', pathOrInlineDv: uuidToZ85(uuid2), offset: 1, sizeInBytes: bm2.length, cardinality: 2 };
      b.log(0, [commitInfo('CREATE'), protocol(3, 7, ['deletionVectors'], ['deletionVectors', 'changeDataFeed']), schema, f]);
      // v1: DELETE rows 1, 2 via a DV.
      b.log(1, [
        commitInfo('DELETE'),
        remove('part%3Da/f.parquet'),
        add('part%3Da/f.parquet', { part: 'a' }, { ...base, deletionVector: dv1 }),
      ]);
      // v2: a DV update that restores row 1 and deletes row 3 (row 2 stays deleted).
      b.log(2, [
        commitInfo('RESTORE'),
        remove('part%3Da/f.parquet', { deletionVector: dv1, partitionValues: { part: 'a' } }),
        add('part%3Da/f.parquet', { part: 'a' }, { ...base, deletionVector: dv2 }),
      ]);
      // v3: OPTIMIZE-like rewrite (dataChange=false) changes nothing.
      b.log(3, [
        commitInfo('OPTIMIZE'),
        remove('part%3Da/f.parquet', { deletionVector: dv2, dataChange: false }),
        add('part%3Da/f.parquet', { part: 'a' }, { ...base, deletionVector: dv2, dataChange: false }),
      ]);
      // v4: the whole file removed by an old-style writer that omits partitionValues.
      b.log(4, [commitInfo('DELETE'), remove('part%3Da/f.parquet', { deletionVector: dv2 })]);
      expect(await changes(b.dir, 0, 4)).toEqual([
        [0, 'insert', 0, 'a'],
        [0, 'insert', 1, 'a'],
        [0, 'insert', 2, 'a'],
        [0, 'insert', 3, 'a'],
        [1, 'delete', 1, 'a'],
        [1, 'delete', 2, 'a'],
        [2, 'delete', 3, 'a'],
        [2, 'insert', 1, 'a'],
        [4, 'delete', 0, 'a'],
        [4, 'delete', 1, 'a'],
      ]);
      const counts = await changeCounts(conn, b.dir, 0, 4);
      expect(counts.versions.map((v) => [v.version, v.operation, v.counts.insert, v.counts.delete])).toEqual([
        [0, 'CREATE', 4, 0],
        [1, 'DELETE', 0, 2],
        [2, 'RESTORE', 1, 1],
        [3, 'OPTIMIZE', 0, 0],
        [4, 'DELETE', 0, 2],
      ]);
      const mtime = Math.trunc(statSync(path.join(b.dir, '_delta_log/00000000000000000002.json')).mtimeMs);
      expect(counts.versions[2].timestamp).toBe(mtime);

      const history = await tableHistory(b.dir);
      expect(history.map((h) => [h.version, h.operation, h.counts.add, h.counts.remove, h.counts.rewrittenAdd])).toEqual([
        [0, 'CREATE', 1, 0, 0],
        [1, 'DELETE', 1, 1, 0],
        [2, 'RESTORE', 1, 1, 0],
        [3, 'OPTIMIZE', 0, 0, 1],
        [4, 'DELETE', 0, 1, 0],
      ]);
      expect(history[0].counts.rowsAdded).toBe(4);
    } finally {
      b.cleanup();
    }
  });

  it('in-commit timestamps are used where enabled', async () => {
    const b = tableBuilder(conn);
    try {
      const f = await b.file('f.parquet', "SELECT 1::BIGINT AS id, 'x' AS part");
      const ict = { ...CDF, 'delta.enableInCommitTimestamps': 'true', 'delta.inCommitTimestampEnablementVersion': '1' };
      b.log(0, [
        commitInfo('CREATE', { inCommitTimestamp: 1000 }),
        protocol(1, 7, undefined, ['inCommitTimestamp']),
        metaData(
          [
            ['id', 'long'],
            ['part', 'string'],
          ],
          [],
          ict,
        ),
      ]);
      b.log(1, [commitInfo('WRITE', { inCommitTimestamp: 1_700_000_000_123 }), f]);
      const tc = await tableChanges(conn, b.dir, 0, 1);
      expect(tc.commits.map((c) => c.inCommitTimestamp)).toEqual([false, true]);
      const [[ms]] = await rows(conn, `SELECT epoch_ms(_commit_timestamp) FROM (${tc.sql})`);
      expect(Number(ms)).toBe(1_700_000_000_123);
    } finally {
      b.cleanup();
    }
  });
});

describe('change data feed must-fail rules', () => {
  it('CDF off at the start or turned off inside the range, schema change, bad ranges, missing commits', async () => {
    const b = tableBuilder(conn);
    try {
      const f = await b.file('f.parquet', "SELECT 1::BIGINT AS id, 'x' AS part");
      const cols: [string, string][] = [
        ['id', 'long'],
        ['part', 'string'],
      ];
      b.log(0, [protocol(), metaData(cols)]);
      b.log(1, [metaData(cols, [], CDF)]);
      b.log(2, [f]);
      b.log(3, [metaData(cols, [], {})]);
      b.log(4, [metaData(cols, [], CDF)]);
      b.log(5, [metaData([...cols, ['extra', 'integer']], [], CDF)]);
      const fails = async (a: number, z: number | undefined, re: RegExp, code = 'E_DELTA') => {
        const e = await relspecErrorOf(() => tableChanges(conn, b.dir, a, z));
        expect(e.code).toBe(code);
        expect(e.message).toMatch(re);
      };
      await fails(0, 2, /change data feed is not enabled in .* at version 0/);
      await fails(1, 3, /not enabled .* at version 3/);
      await fails(4, 5, /schema of .* changes at version 5/, 'E_DELTA_UNSUPPORTED');
      await fails(2, 1, /start version 2 is after end version 1/);
      await fails(1, 9, /end version 9 does not exist/);
      await fails(-1, 2, /not a non-negative integer/);
      expect((await tableChanges(conn, b.dir, 1, 2)).commits.map((c) => c.source)).toEqual(['add/remove', 'add/remove']);
      // Without the CDF requirement, the add/remove rows of any range are available (change tokens).
      const any = await changeCounts(conn, b.dir, 0, 4, { requireChangeDataFeed: false });
      expect(any.versions.map((v) => v.counts.insert)).toEqual([0, 0, 1, 0, 0]);
      expect((await tableChanges(conn, b.dir, 5)).end).toBe(5);
      const { rmSync } = await import('node:fs');
      rmSync(path.join(b.dir, '_delta_log/00000000000000000002.json'));
      await fails(1, 2, /commit 2 is missing/);
    } finally {
      b.cleanup();
    }
  });
});

describe.skipIf(!HAS_CORPUS)('history over the corpus', () => {
  it('cdc_ict_table: operations and In-Commit Timestamps', async () => {
    const h = await tableHistory(path.join(CORPUS, 'delta-rs/data/cdc_ict_table'));
    expect(h.map((e) => e.operation)).toEqual(['CREATE OR REPLACE TABLE', 'WRITE', 'DELETE', 'UPDATE']);
    expect(h.map((e) => e.timestamp)).toEqual([1783874203271, 1683874206883, 1783874212175, 1783874213881]);
    expect(h[2].counts.cdc).toBe(2);
  });
  it('a truncated log lists the commits that exist', async () => {
    const h = await tableHistory(path.join(CORPUS, 'delta-rs/data/checkpoint-cdf-table'));
    expect(h.map((e) => e.version)).toEqual([3, 4, 5]);
  });
});
