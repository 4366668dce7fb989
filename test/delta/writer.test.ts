import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  changeCounts,
  commitWrite,
  createTable,
  DeltaCommitConflict,
  listLog,
  loadSnapshot,
  prepareWrite,
  snapshotQuery,
  tableChanges,
  writeTable,
  type WriteOptions,
} from '../../src/delta/index.js';
import { add, commitInfo, metaData, protocol, tableBuilder } from './builder.js';
import { dvFile, serializeDv, uuidToZ85 } from './encode.js';
import { openDuck, relspecErrorOf, sqlPath } from './helpers.js';
import { createTempTree } from '../helpers/tempTree.js';

let conn: DuckDBConnection;
let close: () => void;
// Every table stays until afterAll: the protocol self-check at the end reads them all.
const tables: string[] = [];
beforeAll(async () => {
  ({ conn, close } = await openDuck());
});
afterAll(() => {
  close();
  for (const t of tables) rmSync(t, { recursive: true, force: true });
});

const newDir = (): string => {
  const d = createTempTree({}, { prefix: 'relspec-delta-writer-' }).root;
  tables.push(d);
  return path.join(d, 'table');
};
const json = async (sql: string, c = conn): Promise<unknown[][]> => (await c.runAndReadAll(sql)).getRowsJson() as unknown[][];
/** The table's rows at `version` through our reader, as JSON values, sorted. */
const read = async (dir: string, version?: number, c = conn): Promise<unknown[][]> =>
  json(`SELECT * FROM (${await snapshotQuery(c, await loadSnapshot(c, dir, { version }))}) ORDER BY ALL`, c);
/** CDF rows (version, change type, columns) over [a, b]. */
const changes = async (dir: string, a: number, b: number, cols: string): Promise<unknown[][]> =>
  json(`SELECT _commit_version::INTEGER, _change_type, ${cols} FROM (${(await tableChanges(conn, dir, a, b)).sql}) ORDER BY ALL`);
const countsOf = async (dir: string, v: number): Promise<Record<string, number>> => {
  const { counts } = (await changeCounts(conn, dir, v, v)).versions[0];
  return { insert: counts.insert, delete: counts.delete };
};
const rowsSql = (rows: string[], cols: string): string => `SELECT * FROM (VALUES ${rows.join(', ')}) AS t(${cols})`;

const ITEM_SCHEMA = [
  { name: 'id', type: 'BIGINT' },
  { name: 'name', type: 'VARCHAR' },
  { name: 'amount', type: 'DECIMAL(10,2)' },
  { name: 'day', type: 'DATE' },
];
const item = (id: number, name: string, amount = `${id}.50`, day = '2024-01-0' + ((id % 9) + 1)): string =>
  `(${id}, '${name}', ${amount}, DATE '${day}')`;
const itemRow = (id: number, name: string): unknown[] => [String(id), name, `${id}.50`, `2024-01-0${(id % 9) + 1}`];
const items = (specs: [number, string][]): string =>
  rowsSql(
    specs.map(([i, n]) => item(i, n)),
    'id, name, amount, day',
  );

describe('Delta writer: round trip through our reader', () => {
  it('create, append, replace-by-key (incl. delete-only keys), overwrite, empty writes', async () => {
    const dir = newDir();
    expect(await createTable(conn, dir, { schema: ITEM_SCHEMA })).toBe(0);
    expect(await read(dir)).toEqual([]);
    const v1 = await writeTable(conn, dir, {
      mode: 'append',
      sql: items([
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
        [4, 'd'],
      ]),
    });
    expect(v1).toMatchObject({ version: 1, committed: true, counts: { insert: 4, delete: 0, copied: 0 }, removedFiles: [], cdcFiles: [] });
    const v2 = await writeTable(conn, dir, {
      mode: 'append',
      sql: items([
        [5, 'e'],
        [6, 'f'],
      ]),
    });
    expect(v2.version).toBe(2);
    expect(await read(dir)).toEqual(
      [
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
        [4, 'd'],
        [5, 'e'],
        [6, 'f'],
      ].map(([i, n]) => itemRow(i as number, n as string)),
    );

    // Only the file holding key 2 is rewritten: survivors 1, 3, 4 are copied; v2's file is untouched.
    const v3 = await writeTable(conn, dir, {
      mode: 'replace',
      keys: ['id'],
      sql: items([
        [2, 'B'],
        [7, 'g'],
      ]),
    });
    expect(v3).toMatchObject({ version: 3, counts: { insert: 2, delete: 1, copied: 3 }, removedFiles: v1.addedFiles });
    expect(v3.cdcFiles.length).toBe(1);
    expect(await read(dir)).toEqual(
      [
        [1, 'a'],
        [2, 'B'],
        [3, 'c'],
        [4, 'd'],
        [5, 'e'],
        [6, 'f'],
        [7, 'g'],
      ].map(([i, n]) => itemRow(i as number, n as string)),
    );
    const live = (await loadSnapshot(conn, dir)).files.map((f) => f.path);
    expect(live).toContain(v2.addedFiles[0]);

    // Delete keys without new rows (the SELECT may return no rows; deleteKeysSql columns by position).
    const v4 = await writeTable(conn, dir, {
      mode: 'replace',
      keys: ['id'],
      sql: `${items([[0, 'x']])} WHERE false`,
      deleteKeysSql: 'SELECT 5 AS k UNION ALL SELECT 99',
    });
    expect(v4).toMatchObject({ version: 4, counts: { insert: 0, delete: 1, copied: 1 }, removedFiles: v2.addedFiles });
    expect((await read(dir)).map((r) => r[0])).toEqual(['1', '2', '3', '4', '6', '7']);

    const v5 = await writeTable(conn, dir, {
      mode: 'overwrite',
      sql: items([
        [10, 'j'],
        [11, 'k'],
      ]),
    });
    expect(v5).toMatchObject({ version: 5, counts: { insert: 2, delete: 6, copied: 0 } });
    expect(await read(dir)).toEqual([itemRow(10, 'j'), itemRow(11, 'k')]);

    // Empty writes commit nothing and return the current version.
    for (const opts of [
      { mode: 'append', sql: `${items([[0, 'x']])} WHERE false` },
      { mode: 'replace', keys: ['id'], sql: `${items([[0, 'x']])} WHERE false`, deleteKeysSql: 'SELECT 42' },
    ] as WriteOptions[]) {
      expect(await writeTable(conn, dir, opts)).toMatchObject({ version: 5, committed: false });
    }
    expect((await listLog(dir)).latestVersion).toBe(5);
    // Time travel still reads every version.
    expect((await read(dir, 3)).length).toBe(7);

    // CDF: appends from adds; replace/overwrite from cdc files (delete + insert).
    expect(await changes(dir, 1, 5, 'id, name')).toEqual([
      [1, 'insert', '1', 'a'],
      [1, 'insert', '2', 'b'],
      [1, 'insert', '3', 'c'],
      [1, 'insert', '4', 'd'],
      [2, 'insert', '5', 'e'],
      [2, 'insert', '6', 'f'],
      [3, 'delete', '2', 'b'],
      [3, 'insert', '2', 'B'],
      [3, 'insert', '7', 'g'],
      [4, 'delete', '5', 'e'],
      ...['1', '2', '3', '4', '6', '7'].map((i) => [5, 'delete', i, i === '2' ? 'B' : i === '7' ? 'g' : 'abcdef'[Number(i) - 1]]),
      [5, 'insert', '10', 'j'],
      [5, 'insert', '11', 'k'],
    ]);
    const sources = (await tableChanges(conn, dir, 1, 5)).commits.map((c) => c.source);
    expect(sources).toEqual(['add/remove', 'add/remove', 'cdc', 'cdc', 'cdc']);
    expect(await countsOf(dir, 4)).toEqual({ insert: 0, delete: 1 });
  });

  it('a replace whose new rows equal the old rows still commits; its change rows cancel out', async () => {
    const dir = newDir();
    await createTable(conn, dir, { schema: ITEM_SCHEMA });
    await writeTable(conn, dir, {
      mode: 'append',
      sql: items([
        [1, 'a'],
        [2, 'b'],
      ]),
    });
    const r = await writeTable(conn, dir, { mode: 'replace', keys: ['id'], sql: items([[1, 'a']]) });
    expect(r).toMatchObject({ version: 2, committed: true, counts: { insert: 1, delete: 1, copied: 1 } });
    expect(await read(dir, 1)).toEqual(await read(dir, 2));
    expect(await countsOf(dir, 2)).toEqual({ insert: 1, delete: 1 });
    const tc = (await tableChanges(conn, dir, 2, 2)).sql;
    const signed = await json(
      `SELECT id, name, sum(CASE _change_type WHEN 'insert' THEN 1 ELSE -1 END) AS n FROM (${tc}) GROUP BY ALL HAVING n <> 0`,
    );
    expect(signed).toEqual([]);
  });

  it('replace by a multi-column key matches NULL keys and keeps unaffected rows of the same file', async () => {
    const dir = newDir();
    await createTable(conn, dir, {
      schema: [
        { name: 'a', type: 'INTEGER' },
        { name: 'b', type: 'VARCHAR' },
        { name: 'v', type: 'DOUBLE' },
      ],
    });
    await writeTable(conn, dir, {
      mode: 'append',
      sql: rowsSql(["(1, 'x', 1.0)", "(1, 'y', 2.0)", "(NULL, 'x', 3.0)", '(2, NULL, 4.0)'], 'a, b, v'),
    });
    const r = await writeTable(conn, dir, {
      mode: 'replace',
      keys: ['a', 'b'],
      sql: rowsSql(["(1, 'y', 20.0)", "(NULL, 'x', 30.0)"], 'a, b, v'),
      deleteKeysSql: 'SELECT 2 AS a, NULL AS b',
    });
    expect(r.counts).toEqual({ insert: 2, delete: 3, copied: 1 });
    expect(await read(dir)).toEqual([
      [1, 'x', 1],
      [1, 'y', 20],
      [null, 'x', 30],
    ]);
  });

  it('types round trip: timestamps (tz and ntz), decimals, nested types, binary, booleans', async () => {
    const dir = newDir();
    const schema = [
      { name: 'id', type: 'INTEGER', nullable: false },
      { name: 'ts', type: 'TIMESTAMPTZ' },
      { name: 'ntz', type: 'TIMESTAMP' },
      { name: 'dec', type: 'DECIMAL(20,5)' },
      { name: 'tags', type: 'VARCHAR[]' },
      { name: 's', type: 'STRUCT(x INTEGER, "y z" VARCHAR)' },
      { name: 'm', type: 'MAP(VARCHAR, BIGINT)' },
      { name: 'bin', type: 'BLOB' },
      { name: 'ok', type: 'BOOLEAN' },
      { name: 'f', type: 'FLOAT' },
      { name: 'small', type: 'SMALLINT' },
      { name: 'tiny', type: 'TINYINT' },
    ];
    await createTable(conn, dir, { schema, partitionColumns: ['ts'] });
    const snap = await loadSnapshot(conn, dir);
    expect(snap.protocol).toEqual({
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['timestampNtz'],
      writerFeatures: ['timestampNtz', 'changeDataFeed'],
    });
    const src = `SELECT 1 AS id, TIMESTAMPTZ '2024-03-01 12:34:56.789+00' AS ts, TIMESTAMP '2024-03-01 01:02:03.456789' AS ntz, -2342342.23423 AS dec,
        ['a', NULL] AS tags, {'x': 1, 'y z': 'q'} AS s, MAP {'k': 5} AS m, '\\x00\\xFF'::BLOB AS bin, true AS ok, 1.5::FLOAT AS f, 3 AS small, -4 AS tiny
      UNION ALL SELECT 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`;
    await writeTable(conn, dir, { mode: 'append', sql: src });
    const cast = schema.map((c) => `CAST(${c.name === 's' ? 's' : c.name} AS ${c.type}) AS ${c.name}`).join(', ');
    const expected = await json(`SELECT to_json(t)::VARCHAR FROM (SELECT ${cast} FROM (${src})) t ORDER BY 1`);
    const actual = await json(`SELECT to_json(t)::VARCHAR FROM (${await snapshotQuery(conn, await loadSnapshot(conn, dir))}) t ORDER BY 1`);
    expect(actual).toEqual(expected);
    const add1 = logLines(dir, 1).find(
      (l) => l.add && (l.add as { partitionValues: Record<string, unknown> }).partitionValues.ts !== null,
    )!;
    expect((add1.add as { partitionValues: unknown }).partitionValues).toEqual({ ts: '2024-03-01T12:34:56.789000Z' });
    const stats = JSON.parse((add1.add as { stats: string }).stats);
    expect(stats).toMatchObject({
      numRecords: 1,
      minValues: { id: 1, dec: -2342342.23423, ntz: '2024-03-01T01:02:03.456' },
      nullCount: { id: 0, ok: 0 },
    });
    const e = await relspecErrorOf(() => writeTable(conn, dir, { mode: 'append', sql: src.replace('SELECT 2,', 'SELECT NULL,') }));
    expect(e.message).toMatch(/NULL in non-nullable column\(s\) id/);
  });
});

describe('Delta writer: partitioned tables', () => {
  it('writes one file per partition under escaped col=value/ directories, values only in the log', async () => {
    const dir = newDir();
    await createTable(conn, dir, {
      schema: [
        { name: 'id', type: 'INTEGER' },
        { name: 'p', type: 'VARCHAR' },
        { name: 'n', type: 'INTEGER' },
        { name: 'v', type: 'VARCHAR' },
      ],
      partitionColumns: ['p', 'n'],
    });
    const values = [
      "(1, 'a b', 1, 'one')",
      "(2, 'x/y=z%', 1, 'two')",
      "(3, NULL, NULL, 'three')",
      "(4, 'a b', 2, 'four')",
      "(5, 'é', 1, 'five')",
      "(6, '', 3, 'six')",
    ];
    const v1 = await writeTable(conn, dir, { mode: 'append', sql: rowsSql(values, 'id, p, n, v') });
    expect(v1.addedFiles.length).toBe(6);
    expect(v1.addedFiles.some((f) => f.startsWith('p=x%252Fy%253Dz%2525/n=1/'))).toBe(true);
    expect(v1.addedFiles.some((f) => f.startsWith('p=__HIVE_DEFAULT_PARTITION__/n=__HIVE_DEFAULT_PARTITION__/'))).toBe(true);
    // An empty string partition value is a null partition value (**Partition Value Serialization**).
    const all = [
      [1, 'a b', 1, 'one'],
      [2, 'x/y=z%', 1, 'two'],
      [3, null, null, 'three'],
      [4, 'a b', 2, 'four'],
      [5, 'é', 1, 'five'],
      [6, null, 3, 'six'],
    ];
    expect(await read(dir)).toEqual(all.sort(sortRows));
    const snap = await loadSnapshot(conn, dir);
    for (const f of snap.files)
      expect(await json(`SELECT name FROM parquet_schema(${sqlPath(f.absPath)}) WHERE name IN ('p', 'n')`)).toEqual([]);

    // Moving key 1 to another partition: only the 'a b'/1 file is removed; cdc files per partition.
    const v2 = await writeTable(conn, dir, { mode: 'replace', keys: ['id'], sql: rowsSql(["(1, 'new', 9, 'moved')"], 'id, p, n, v') });
    expect(v2.removedFiles.length).toBe(1);
    expect(v2.cdcFiles.map((f) => f.split('/').slice(0, 3).join('/')).sort()).toEqual([
      '_change_data/p=a%20b/n=1',
      '_change_data/p=new/n=9',
    ]);
    expect(await changes(dir, 2, 2, 'id, p, n')).toEqual([
      [2, 'delete', 1, 'a b', 1],
      [2, 'insert', 1, 'new', 9],
    ]);
    expect(await read(dir)).toEqual([[1, 'new', 9, 'moved'], ...all.slice(1)].sort(sortRows));
    await writeTable(conn, dir, { mode: 'overwrite', sql: rowsSql(["(7, 'z', 0, 'seven')"], 'id, p, n, v') });
    expect(await read(dir)).toEqual([[7, 'z', 0, 'seven']]);
    expect(await countsOf(dir, 3)).toEqual({ insert: 1, delete: 6 });
  });
});

const sortRows = (a: unknown[], b: unknown[]): number => Number(a[0]) - Number(b[0]);

describe('Delta writer: concurrent commits', () => {
  it('put-if-absent: the loser gets a typed conflict; retrying re-plans on the new version', async () => {
    const dir = newDir();
    await createTable(conn, dir, { schema: ITEM_SCHEMA });
    await writeTable(conn, dir, {
      mode: 'append',
      sql: items([
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ]),
    });
    const a = await prepareWrite(conn, dir, { mode: 'replace', keys: ['id'], sql: items([[1, 'A']]) });
    const b = await prepareWrite(conn, dir, { mode: 'replace', keys: ['id'], sql: items([[3, 'X']]) });
    const c = await prepareWrite(conn, dir, { mode: 'replace', keys: ['id'], sql: items([[2, 'B']]) });
    expect([a.readVersion, b.readVersion, c.readVersion]).toEqual([1, 1, 1]);
    expect((await commitWrite(conn, a)).version).toBe(2);
    const e = await relspecErrorOf(() => commitWrite(conn, b, { maxRetries: 0 }));
    expect(e).toBeInstanceOf(DeltaCommitConflict);
    expect(e.code).toBe('E_DELTA');
    expect(e.message).toContain(path.resolve(dir));
    expect(e.message).toContain('version 2');
    for (const f of b.written) expect(existsSync(f)).toBe(false); // the loser's files are cleaned up
    const rc = await commitWrite(conn, c);
    expect(rc).toMatchObject({ version: 3, attempts: 2, counts: { insert: 1, delete: 1, copied: 2 } });
    // Re-planned against version 2: the file C removes is the one A wrote, so both writes apply.
    expect(rc.removedFiles).toEqual(a.addedFiles);
    expect(await read(dir)).toEqual([itemRow(1, 'A'), itemRow(2, 'B'), itemRow(3, 'c')]);
  });

  it('a blind append moves to the next version with the same files; parallel writers both land', async () => {
    const dir = newDir();
    await createTable(conn, dir, { schema: ITEM_SCHEMA, partitionColumns: ['name'] });
    const p = await prepareWrite(conn, dir, { mode: 'append', sql: items([[1, 'a']]) });
    await writeTable(conn, dir, { mode: 'append', sql: items([[2, 'b']]) });
    const r = await commitWrite(conn, p);
    expect(r).toMatchObject({ version: 2, attempts: 2, addedFiles: p.addedFiles });

    // Three connections (one per writer), started together: whoever loses a race retries.
    const others = [await openDuck(), await openDuck()];
    try {
      const results = await Promise.all([
        writeTable(conn, dir, {
          mode: 'replace',
          keys: ['id'],
          sql: items([
            [1, 'a'],
            [3, 'c'],
          ]),
        }),
        writeTable(others[0].conn, dir, {
          mode: 'replace',
          keys: ['id'],
          sql: items([
            [2, 'b'],
            [4, 'd'],
          ]),
        }),
        writeTable(others[1].conn, dir, { mode: 'append', sql: items([[5, 'e']]) }),
      ]);
      expect(results.map((x) => x.version).sort()).toEqual([3, 4, 5]);
    } finally {
      for (const o of others) o.close();
    }
    expect(await read(dir)).toEqual([1, 2, 3, 4, 5].map((i) => itemRow(i, 'abcde'[i - 1])));
  });
});

describe('Delta writer: checkpoints', () => {
  it('writes classic checkpoints every N commits that read back like a full replay', async () => {
    const dir = newDir();
    await createTable(conn, dir, {
      schema: [
        { name: 'id', type: 'INTEGER' },
        { name: 'p', type: 'VARCHAR' },
      ],
      partitionColumns: ['p'],
    });
    const write = (opts: Omit<WriteOptions, 'checkpointInterval'>) => writeTable(conn, dir, { ...opts, checkpointInterval: 3 });
    const results = [];
    for (let i = 1; i <= 8; i++) {
      results.push(
        await write(
          i % 3 === 0
            ? { mode: 'replace', keys: ['id'], sql: `SELECT ${i - 1} AS id, NULL AS p UNION ALL SELECT ${i} AS id, 'p${i % 2}' AS p` }
            : { mode: 'append', sql: `SELECT ${i} AS id, 'p${i % 2}' AS p` },
        ),
      );
    }
    expect(results.map((r) => r.checkpoint?.version)).toEqual([undefined, undefined, 3, undefined, undefined, 6, undefined, undefined]);
    expect(results.every((r) => !r.checkpoint?.error)).toBe(true);
    const listing = await listLog(dir);
    expect(listing.checkpoints.map((c) => [c.version, c.kind])).toEqual([
      [6, 'classic'],
      [3, 'classic'],
    ]);
    const last = JSON.parse(readFileSync(path.join(dir, '_delta_log', '_last_checkpoint'), 'utf8'));
    expect(last).toMatchObject({
      version: 6,
      size: expect.any(Number),
      sizeInBytes: statSync(path.join(dir, '_delta_log', '00000000000000000006.checkpoint.parquet')).size,
    });
    const [[n]] = await json(
      `SELECT count(*) FROM read_parquet(${sqlPath(path.join(dir, '_delta_log', '00000000000000000006.checkpoint.parquet'))})`,
    );
    expect(last.size).toBe(Number(n));
    for (const version of [3, 4, 6, 8]) {
      const fromCheckpoint = await loadSnapshot(conn, dir, { version });
      const replayed = await loadSnapshot(conn, dir, { version, listing: { ...listing, checkpoints: [] } });
      expect(fromCheckpoint.checkpointVersion).toBe(version >= 6 ? 6 : 3);
      expect(replayed.checkpointVersion).toBeUndefined();
      const files = (s: typeof replayed) =>
        s.files.map((f) => [f.path, f.size, f.partitionValues, f.numRecords, f.modificationTime]).sort();
      expect(files(fromCheckpoint)).toEqual(files(replayed));
      expect([fromCheckpoint.protocol, fromCheckpoint.metadata]).toEqual([replayed.protocol, replayed.metadata]);
      expect(await json(`SELECT * FROM (${await snapshotQuery(conn, fromCheckpoint)}) ORDER BY ALL`)).toEqual(
        await json(`SELECT * FROM (${await snapshotQuery(conn, replayed)}) ORDER BY ALL`),
      );
    }
    // Tombstones of recent removes are kept (for VACUUM); the reader never lets them hide adds.
    const cp = await json(
      `SELECT count(remove), count(add), count(protocol), count(metaData) FROM read_parquet(${sqlPath(path.join(dir, '_delta_log', '00000000000000000006.checkpoint.parquet'))})`,
    );
    expect(cp[0].map(Number)).toEqual([expect.any(Number), (await loadSnapshot(conn, dir, { version: 6 })).files.length, 1, 1]);
    expect(Number(cp[0][0])).toBeGreaterThan(0);
  });

  it('checkpoints at version 10 by default', async () => {
    const dir = newDir();
    await createTable(conn, dir, { schema: [{ name: 'id', type: 'INTEGER' }] });
    let r;
    for (let i = 1; i <= 10; i++) r = await writeTable(conn, dir, { mode: 'append', sql: `SELECT ${i} AS id` });
    expect(r!.checkpoint).toEqual({ version: 10 });
    expect(JSON.parse(readFileSync(path.join(dir, '_delta_log', '_last_checkpoint'), 'utf8'))).toMatchObject({ version: 10, size: 12 });
    expect((await read(dir)).map((x) => x[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});

describe('Delta writer: existing tables and errors', () => {
  it('replace rewrites a file that has a deletion vector, honouring the DV', async () => {
    const b = tableBuilder(conn);
    tables.push(b.dir);
    const f = (await b.file('f.parquet', 'SELECT range::BIGINT AS id, range::VARCHAR AS s FROM range(5)')) as {
      add: Record<string, unknown>;
    };
    const uuid = 'aaaaaaaa-3333-4444-5555-666677778888';
    const bm = serializeDv([1]);
    b.write(`deletion_vector_${uuid}.bin`, dvFile(bm));
    const dv = { storageType: 'u', pathOrInlineDv: uuidToZ85(uuid), offset: 1, sizeInBytes: bm.length, cardinality: 1 };
    b.log(0, [
      commitInfo('CREATE'),
      protocol(3, 7, ['deletionVectors'], ['deletionVectors', 'changeDataFeed']),
      metaData(
        [
          ['id', 'long'],
          ['s', 'string'],
        ],
        [],
        { 'delta.enableChangeDataFeed': 'true' },
      ),
      add('f.parquet', {}, { ...f.add, deletionVector: dv }),
    ]);
    const r = await writeTable(conn, b.dir, { mode: 'replace', keys: ['id'], sql: "SELECT 3 AS id, 'three' AS s" });
    expect(r.counts).toEqual({ insert: 1, delete: 1, copied: 3 });
    expect(logLines(b.dir, 1).find((l) => l.remove)?.remove).toMatchObject({ path: 'f.parquet', deletionVector: dv });
    expect(await read(b.dir)).toEqual([
      ['0', '0'],
      ['2', '2'],
      ['3', 'three'],
      ['4', '4'],
    ]);
  });

  it('without the change data feed: legacy protocol (1, 2) and no cdc files', async () => {
    const dir = newDir();
    await createTable(conn, dir, { schema: ITEM_SCHEMA, configuration: { 'delta.enableChangeDataFeed': 'false' } });
    expect((await loadSnapshot(conn, dir)).protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 2 });
    await writeTable(conn, dir, {
      mode: 'append',
      sql: items([
        [1, 'a'],
        [2, 'b'],
      ]),
    });
    const r = await writeTable(conn, dir, { mode: 'replace', keys: ['id'], sql: items([[2, 'c']]) });
    expect(r).toMatchObject({ version: 2, cdcFiles: [], counts: { insert: 1, delete: 1, copied: 1 } });
    expect(existsSync(path.join(dir, '_change_data'))).toBe(false);
    expect(await read(dir)).toEqual([itemRow(1, 'a'), itemRow(2, 'c')]);
  });

  it('typed errors: existing table, unknown columns, bad keys, append-only, unsupported features', async () => {
    const dir = newDir();
    await createTable(conn, dir, { schema: ITEM_SCHEMA, configuration: { 'delta.appendOnly': 'true' } });
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => createTable(conn, dir, { schema: ITEM_SCHEMA }), /already exists/],
      [() => writeTable(conn, dir, { mode: 'append', sql: 'SELECT 1 AS id' }), /does not return column\(s\) name, amount, day/],
      [
        () => writeTable(conn, dir, { mode: 'append', sql: `SELECT *, 1 AS extra FROM (${items([[1, 'a']])})` }),
        /returns column\(s\) extra/,
      ],
      [() => writeTable(conn, dir, { mode: 'overwrite', sql: items([[1, 'a']]) }), /append-only/],
      [() => writeTable(conn, dir, { mode: 'append', sql: items([[1, 'a']]), keys: ['id'] }), /mode replace only/],
      [() => createTable(conn, newDir(), { schema: [{ name: 'u', type: 'UBIGINT' }] }), /no Delta equivalent/],
      [() => createTable(conn, newDir(), { schema: ITEM_SCHEMA, configuration: { 'delta.columnMapping.mode': 'name' } }), /column mapping/],
      [() => createTable(conn, newDir(), { schema: [{ name: 'a', type: 'INT' }], partitionColumns: ['a'] }), /at least one column/],
    ];
    for (const [fn, re] of cases) expect((await relspecErrorOf(fn)).message).toMatch(re);
    const b = tableBuilder(conn);
    tables.push(b.dir);
    b.log(0, [commitInfo('CREATE'), protocol(1, 7, undefined, ['rowTracking']), metaData([['id', 'long']])]);
    const e = await relspecErrorOf(() => writeTable(conn, b.dir, { mode: 'append', sql: 'SELECT 1 AS id' }));
    expect([e.code, e.message]).toEqual(['E_DELTA_UNSUPPORTED', expect.stringMatching(/writer feature\(s\) rowTracking/)]);
  });
});

type Line = Record<string, Record<string, unknown> | undefined>;
const logLines = (dir: string, v: number): Line[] =>
  readFileSync(path.join(dir, '_delta_log', `${String(v).padStart(20, '0')}.json`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);

/** Checks every commit the writer produced against docs/delta-notes.md §1-§3, §6, §8. */
async function selfCheck(dir: string): Promise<string[]> {
  const problems: string[] = [];
  const bad = (v: number, msg: string): void => void problems.push(`${path.basename(path.dirname(dir))} v${v}: ${msg}`);
  const listing = await listLog(dir);
  const logNames = readdirSync(path.join(dir, '_delta_log'));
  if (logNames.some((n) => n.endsWith('.tmp'))) bad(-1, 'temp files left in _delta_log');
  const live = new Map<string, string>();
  const everAdded = new Set<string>();
  let partitionColumns: string[] = [];
  for (let v = 0; v <= listing.latestVersion; v++) {
    if (!listing.commits.has(v)) {
      bad(v, 'commit missing (versions must be contiguous)');
      continue;
    }
    const lines = logLines(dir, v);
    const kinds = lines.map((l) => Object.keys(l));
    if (kinds.some((k) => k.length !== 1)) bad(v, 'a line must hold exactly one action');
    const of = (k: string) => lines.map((l) => l[k]).filter((x): x is Record<string, unknown> => !!x);
    const [infos, protos, metas, adds, removes, cdcs] = ['commitInfo', 'protocol', 'metaData', 'add', 'remove', 'cdc'].map(of);
    if (infos.length !== 1 || typeof infos[0].operation !== 'string' || typeof infos[0].operationParameters !== 'object')
      bad(v, 'exactly one commitInfo with operation and operationParameters');
    if (v === 0 && (protos.length !== 1 || metas.length !== 1)) bad(v, 'version 0 needs exactly one protocol and one metaData');
    if (v > 0 && (protos.length || metas.length)) bad(v, 'unexpected protocol/metaData after version 0');
    if (v === 0) {
      const m = metas[0] ?? {};
      partitionColumns = m.partitionColumns as string[];
      const fields = (JSON.parse(String(m.schemaString)) as { fields: { name: string }[] }).fields.map((f) => f.name);
      if (!partitionColumns.every((p) => fields.includes(p))) bad(v, 'partition column not in schema');
      if ((m.format as { provider?: string })?.provider !== 'parquet' || typeof m.id !== 'string')
        bad(v, 'metaData needs id and format.provider=parquet');
      if ((m.configuration as Record<string, string>)['delta.enableChangeDataFeed'] === 'true') {
        const p = protos[0] ?? {};
        const wf = (p.writerFeatures as string[] | undefined) ?? [];
        if (!((p.minWriterVersion as number) >= 4 && (p.minWriterVersion as number) < 7) && !wf.includes('changeDataFeed'))
          bad(v, 'CDF enabled without a protocol that supports it');
      }
    }
    if (v > 0) {
      const m = (infos[0]?.operationMetrics ?? {}) as Record<string, string>;
      if (Number(m.numAddedFiles) !== adds.length || Number(m.numRemovedFiles) !== removes.length || m.numOutputRows === undefined)
        bad(v, 'operationMetrics do not match the actions');
    }
    const pathsInCommit = [...adds, ...removes].map((a) => String(a.path));
    if (new Set(pathsInCommit).size !== pathsInCommit.length) bad(v, 'two file actions for one path in one commit');
    for (const r of removes) {
      if (typeof r.deletionTimestamp !== 'number' || r.dataChange !== true)
        bad(v, `remove ${String(r.path)} needs deletionTimestamp and dataChange=true`);
      if (!live.delete(String(r.path))) bad(v, `remove of ${String(r.path)}, which is not live`);
    }
    for (const a of adds) {
      const p = String(a.path);
      const abs = path.join(dir, decodeURIComponent(p));
      if (/^[a-z]+:/i.test(p) || p.startsWith('/')) bad(v, `add path ${p} is not relative`);
      if (typeof a.modificationTime !== 'number' || a.dataChange !== true || typeof a.size !== 'number')
        bad(v, `add ${p} lacks size/modificationTime/dataChange`);
      const pv = a.partitionValues as Record<string, unknown>;
      if (!pv || Object.keys(pv).sort().join() !== [...partitionColumns].sort().join())
        bad(v, `add ${p} partitionValues must name every partition column`);
      if (!existsSync(abs) || statSync(abs).size !== a.size) bad(v, `add ${p}: file missing or size differs`);
      else {
        const [[n]] = await json(`SELECT count(*) FROM read_parquet(${sqlPath(abs.replace(/[[*?]/g, (c) => `[${c}]`))})`);
        if (JSON.parse(String(a.stats)).numRecords !== Number(n)) bad(v, `add ${p}: stats.numRecords differs from the file`);
      }
      if (live.has(p) || everAdded.has(p)) bad(v, `add ${p} re-uses a path`);
      live.set(p, p);
      everAdded.add(p);
    }
    if (cdcs.length && !removes.length) bad(v, 'cdc files in a commit without removes');
    for (const c of cdcs) {
      const p = String(c.path);
      if (c.dataChange !== false || !p.startsWith('_change_data/')) bad(v, `cdc ${p} needs dataChange=false under _change_data/`);
      const pv = c.partitionValues as Record<string, unknown>;
      if (!pv || Object.keys(pv).sort().join() !== [...partitionColumns].sort().join())
        bad(v, `cdc ${p} partitionValues must name every partition column`);
      const types = await json(`SELECT DISTINCT _change_type FROM read_parquet(${sqlPath(path.join(dir, decodeURIComponent(p)))})`);
      if (types.some(([t]) => t !== 'insert' && t !== 'delete')) bad(v, `cdc ${p} has an unexpected _change_type`);
    }
  }
  return problems;
}

describe('Delta writer: protocol self-check', () => {
  it('every commit written by the tests above follows the protocol rules', async () => {
    const written = tables.map((t) => path.join(t, 'table')).filter((t) => existsSync(path.join(t, '_delta_log')));
    expect(written.length).toBeGreaterThanOrEqual(8);
    const problems = (await Promise.all(written.map(selfCheck))).flat();
    expect(problems).toEqual([]);
  });
});
