import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listLog } from '../../src/delta/log.js';
import { loadSnapshot, snapshotQuery } from '../../src/delta/index.js';
import { add, commitInfo, metaData, protocol, remove, tableBuilder } from './builder.js';
import { count, openDuck, relspecErrorOf } from './helpers.js';

let conn: DuckDBConnection;
let close: () => void;
beforeAll(async () => {
  ({ conn, close } = await openDuck());
});
afterAll(() => close());

const SCHEMA = metaData([['id', 'long']]);
const rowsAt = async (dir: string, version?: number): Promise<number> =>
  count(conn, await snapshotQuery(conn, await loadSnapshot(conn, dir, { version })));

/** A table with commits 0..3 each appending 2 rows (commit 2 also removes commit 1's file). */
async function fourCommits() {
  const b = tableBuilder(conn);
  const a = [] as object[];
  for (let i = 0; i < 4; i++) a.push(await b.file(`part-${i}.parquet`, `SELECT range AS id FROM range(${i * 10}, ${i * 10 + 2})`));
  b.log(0, [commitInfo('CREATE'), protocol(), SCHEMA, a[0]]);
  b.log(1, [a[1]]);
  b.log(2, [remove('part-1.parquet'), a[2]]);
  b.log(3, [a[3]]);
  return { b, adds: a };
}

describe('log listing', () => {
  it('uses anchored names only and ignores checksums, temp files, AppleDouble files and compactions', async () => {
    const { b } = await fourCommits();
    try {
      for (const junk of [
        '._00000000000000000000.json',
        '.00000000000000000003.json.crc',
        '00000000000000000003.crc',
        '00000000000000000004.json.tmp',
        '00000000000000000004.json.3f2a.tmp',
        '00000000000000000000.00000000000000000003.compacted.json',
        '0000000000000000004.json',
        'x00000000000000000004.json',
        '00000000000000000009.checkpoint.parquet.crc',
        '_last_checkpoint',
      ]) {
        b.write(`_delta_log/${junk}`, '{garbage');
      }
      mkdirSync(path.join(b.dir, '_delta_log/_commits'));
      const listing = await listLog(b.dir);
      expect([...listing.commits.keys()].sort()).toEqual([0, 1, 2, 3]);
      expect(listing.checkpoints).toEqual([]);
      expect(listing.latestVersion).toBe(3);
      // A corrupt _last_checkpoint is irrelevant: the listing is the truth.
      expect(await rowsAt(b.dir)).toBe(6);
    } finally {
      b.cleanup();
    }
  });

  it('time travel reconciles removes and adds by (path, deletion vector id)', async () => {
    const { b } = await fourCommits();
    try {
      expect(await Promise.all([0, 1, 2, 3].map((v) => rowsAt(b.dir, v)))).toEqual([2, 4, 4, 6]);
      const s = await loadSnapshot(conn, b.dir, { version: 2 });
      expect(s.files.map((f) => f.path).sort()).toEqual(['part-0.parquet', 'part-2.parquet']);
      expect(s.commits.map((c) => c.version)).toEqual([0, 1, 2]);
      const e = await relspecErrorOf(() => loadSnapshot(conn, b.dir, { version: 4 }));
      expect(e.message).toMatch(/version 4 does not exist \(latest version is 3\)/);
    } finally {
      b.cleanup();
    }
  });
});

describe('corrupt and incomplete logs fail with E_DELTA naming file, line and rule', () => {
  it('a truncated JSON line', async () => {
    const { b } = await fourCommits();
    try {
      b.write(
        '_delta_log/00000000000000000003.json',
        '{"add":{"path":"part-3.parquet","partitionValues":{},"size":1,"modificationTime":0,"dataChange":true}}\n{"add":{"path":"x',
      );
      const e = await relspecErrorOf(() => loadSnapshot(conn, b.dir));
      expect(e.code).toBe('E_DELTA');
      expect(e.file).toBe(path.join(b.dir, '_delta_log/00000000000000000003.json'));
      expect(e.message).toMatch(/line 2/);
      expect(e.message).toMatch(/not valid JSON/);
      // Versions before the broken commit stay readable.
      expect(await rowsAt(b.dir, 2)).toBe(4);
    } finally {
      b.cleanup();
    }
  });

  it('an action with a wrongly typed field', async () => {
    const { b } = await fourCommits();
    try {
      b.log(4, [{ add: { path: 42, partitionValues: {}, size: 1, dataChange: true } }]);
      const e = await relspecErrorOf(() => loadSnapshot(conn, b.dir));
      expect(e.message).toMatch(/invalid add action: field path must be a string/);
      b.log(4, [{ remove: { path: 'a', deletionVector: { storageType: 'z', pathOrInlineDv: 'x', sizeInBytes: 1, cardinality: 1 } } }]);
      expect((await relspecErrorOf(() => loadSnapshot(conn, b.dir))).message).toMatch(/storageType "z"/);
      b.log(4, ['not an object' as unknown as object]);
      expect((await relspecErrorOf(() => loadSnapshot(conn, b.dir))).message).toMatch(/not a JSON object/);
    } finally {
      b.cleanup();
    }
  });

  it('a gap in the commits names the missing version', async () => {
    const { b } = await fourCommits();
    try {
      rmSync(path.join(b.dir, '_delta_log/00000000000000000002.json'));
      const e = await relspecErrorOf(() => loadSnapshot(conn, b.dir));
      expect(e.message).toMatch(/commit 2 is missing/);
      expect(await rowsAt(b.dir, 1)).toBe(4);
    } finally {
      b.cleanup();
    }
  });

  it('missing protocol or metaData, or two metaData in one commit', async () => {
    const b = tableBuilder(conn);
    try {
      b.log(0, [SCHEMA]);
      expect((await relspecErrorOf(() => loadSnapshot(conn, b.dir))).message).toMatch(/no protocol action/);
      b.log(0, [protocol()]);
      expect((await relspecErrorOf(() => loadSnapshot(conn, b.dir))).message).toMatch(/no metaData action/);
      b.log(0, [protocol(), SCHEMA, SCHEMA]);
      expect((await relspecErrorOf(() => loadSnapshot(conn, b.dir))).message).toMatch(/2 metaData actions/);
      b.log(0, [protocol(), metaData([['id', 'long']], ['nope'])]);
      expect((await relspecErrorOf(() => loadSnapshot(conn, b.dir))).message).toMatch(/partition column nope is not in the table schema/);
    } finally {
      b.cleanup();
    }
  });

  it('a directory that is not a table, and an empty log', async () => {
    const b = tableBuilder(conn);
    try {
      expect((await relspecErrorOf(() => loadSnapshot(conn, path.join(b.dir, 'nowhere')))).message).toMatch(/not a Delta table/);
      expect((await relspecErrorOf(() => loadSnapshot(conn, b.dir))).message).toMatch(/no commits and no checkpoints/);
    } finally {
      b.cleanup();
    }
  });

  it('data files missing on disk: the snapshot loads, reading it fails', async () => {
    const { b } = await fourCommits();
    try {
      rmSync(path.join(b.dir, 'part-3.parquet'));
      const s = await loadSnapshot(conn, b.dir);
      const e = await relspecErrorOf(() => snapshotQuery(conn, s));
      expect(e.message).toMatch(/1 data file\(s\) referenced by the log are missing, e.g. part-3.parquet/);
    } finally {
      b.cleanup();
    }
  });
});

describe('checkpoints', () => {
  async function withCheckpoint(parts: number) {
    const { b, adds } = await fourCommits();
    const state = [protocol(), SCHEMA, adds[0], adds[2], { txn: { appId: 'app', version: 7, lastUpdated: 0 } }];
    await b.checkpoint(2, state, parts);
    return b;
  }

  it('classic checkpoint: replay starts there; commits before it may be gone', async () => {
    const b = await withCheckpoint(1);
    try {
      for (const v of [0, 1, 2]) rmSync(path.join(b.dir, `_delta_log/${String(v).padStart(20, '0')}.json`));
      const s = await loadSnapshot(conn, b.dir);
      expect(s.checkpointVersion).toBe(2);
      expect(s.appTransactions).toEqual({ app: 7 });
      expect(await rowsAt(b.dir)).toBe(6);
      expect(await rowsAt(b.dir, 2)).toBe(4);
      // Before the checkpoint, with the commits gone, the version cannot be rebuilt.
      expect((await relspecErrorOf(() => loadSnapshot(conn, b.dir, { version: 1 }))).message).toMatch(
        /commit 0 is missing and no checkpoint exists at or before version 1/,
      );
    } finally {
      b.cleanup();
    }
  });

  it('multi-part checkpoint: used when complete, ignored when a part is missing', async () => {
    const b = await withCheckpoint(3);
    try {
      expect((await loadSnapshot(conn, b.dir)).checkpointVersion).toBe(2);
      rmSync(path.join(b.dir, '_delta_log/00000000000000000002.checkpoint.0000000002.0000000003.parquet'));
      const s = await loadSnapshot(conn, b.dir);
      expect(s.checkpointVersion).toBeUndefined();
      expect(await rowsAt(b.dir)).toBe(6);
    } finally {
      b.cleanup();
    }
  });

  it('a corrupt checkpoint falls back to replaying the commits, or fails clearly without them', async () => {
    const b = await withCheckpoint(1);
    try {
      writeFileSync(path.join(b.dir, '_delta_log/00000000000000000002.checkpoint.parquet'), 'PAR1 not really parquet');
      const s = await loadSnapshot(conn, b.dir);
      expect(s.checkpointVersion).toBeUndefined();
      expect(await rowsAt(b.dir)).toBe(6);
      rmSync(path.join(b.dir, '_delta_log/00000000000000000000.json'));
      const e = await relspecErrorOf(() => loadSnapshot(conn, b.dir));
      expect(e.code).toBe('E_DELTA');
      expect(e.message).toMatch(/cannot read checkpoint file/);
      expect(e.file).toMatch(/00000000000000000002\.checkpoint\.parquet$/);
      // With commit 0 back but commit 1 gone, the fallback cannot work either: both causes are named.
      b.log(0, [protocol(), SCHEMA]);
      rmSync(path.join(b.dir, '_delta_log/00000000000000000001.json'));
      const both = await relspecErrorOf(() => loadSnapshot(conn, b.dir));
      expect(both.message).toMatch(/needs commit 1, which is missing.*cannot read checkpoint file/);
    } finally {
      b.cleanup();
    }
  });

  it('UUID-named v2 parquet checkpoint with a sidecar holding the file actions', async () => {
    const { b, adds } = await fourCommits();
    try {
      await b.actionsParquet('_delta_log/_sidecars/side-1.parquet', [adds[0], adds[2]]);
      await b.actionsParquet('_delta_log/00000000000000000002.checkpoint.3a0d65cd-4056-49b8-937b-95f9e3ee90e5.parquet', [
        { checkpointMetadata: { version: 2, tags: {} } },
        protocol(3, 7, ['v2Checkpoint'], ['v2Checkpoint']),
        SCHEMA,
        { sidecar: { path: 'side-1.parquet', sizeInBytes: 1, modificationTime: 0 } },
      ]);
      for (const v of [0, 1, 2]) rmSync(path.join(b.dir, `_delta_log/${String(v).padStart(20, '0')}.json`));
      const s = await loadSnapshot(conn, b.dir);
      expect(s.checkpointVersion).toBe(2);
      expect(await rowsAt(b.dir)).toBe(6);
      rmSync(path.join(b.dir, '_delta_log/_sidecars/side-1.parquet'));
      expect((await relspecErrorOf(() => loadSnapshot(conn, b.dir))).message).toMatch(/missing sidecar/);
    } finally {
      b.cleanup();
    }
  });

  it('absolute file: URIs in add paths', async () => {
    const b = tableBuilder(conn);
    try {
      const f = (await b.file('x y.parquet', 'SELECT 1::BIGINT AS id')) as { add: Record<string, unknown> };
      b.log(0, [
        protocol(),
        SCHEMA,
        add(`file://${b.dir.split('/').map(encodeURIComponent).join('/')}/x%20y.parquet`, {}, { size: f.add.size }),
      ]);
      expect(await rowsAt(b.dir)).toBe(1);
      b.log(1, [add('s3://bucket/t/z.parquet')]);
      expect((await relspecErrorOf(() => loadSnapshot(conn, b.dir))).code).toBe('E_DELTA_UNSUPPORTED');
    } finally {
      b.cleanup();
    }
  });
});

describe('protocol gate', () => {
  const gate = async (p: object, schema: object = SCHEMA) => {
    const b = tableBuilder(conn);
    try {
      b.log(0, [p, schema]);
      return await loadSnapshot(conn, b.dir);
    } finally {
      b.cleanup();
    }
  };
  it('accepts supported reader features', async () => {
    for (const f of ['deletionVectors', 'columnMapping', 'timestampNtz', 'v2Checkpoint', 'vacuumProtocolCheck', 'typeWidening']) {
      await expect(gate(protocol(3, 7, [f], [f]))).resolves.toBeDefined();
    }
    // Writer-only features never block reads.
    await expect(
      gate(protocol(1, 7, undefined, ['rowTracking', 'domainMetadata', 'inCommitTimestamp', 'clustering'])),
    ).resolves.toBeDefined();
  });
  it('refuses unknown features and reader versions with E_DELTA_UNSUPPORTED', async () => {
    const e = await relspecErrorOf(() => gate(protocol(3, 7, ['deletionVectors', 'catalogManaged'], [])));
    expect(e.code).toBe('E_DELTA_UNSUPPORTED');
    expect(e.message).toMatch(/^unsupported Delta reader feature catalogManaged in .* at version 0 \(minReaderVersion 3\)$/);
    expect(e.fix).toMatch(/catalog/);
    const v4 = await relspecErrorOf(() => gate(protocol(4, 7)));
    expect(v4.code).toBe('E_DELTA_UNSUPPORTED');
    expect(v4.message).toMatch(/minReaderVersion 4/);
    expect((await relspecErrorOf(() => gate(protocol(3, 7)))).message).toMatch(/without readerFeatures/);
    const variant = await relspecErrorOf(() => gate(protocol(1, 2), metaData([['v', 'variant']])));
    expect(variant.code).toBe('E_DELTA_UNSUPPORTED');
  });
});
