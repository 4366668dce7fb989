import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectTable, loadSnapshot, registerSnapshotView, snapshotQuery } from '../../src/delta/index.js';
import { add, field, metaData, protocol, remove, tableBuilder } from './builder.js';
import { dvFile, serializeDv, uuidToZ85, z85Encode } from './encode.js';
import { count, openDuck, relspecErrorOf, rows } from './helpers.js';

let conn: DuckDBConnection;
let close: () => void;
beforeAll(async () => {
  ({ conn, close } = await openDuck());
  // A non-UTC session zone: UTC instants must not shift, naive timestamps must not be reinterpreted.
  await conn.run("SET TimeZone = 'America/New_York'");
});
afterAll(() => close());

const read = async (dir: string, version?: number): Promise<Record<string, unknown>[]> => {
  const sql = await snapshotQuery(conn, await loadSnapshot(conn, dir, { version }));
  return (await conn.runAndReadAll(`SELECT * FROM (${sql}) ORDER BY ALL`)).getRowObjectsJson() as Record<string, unknown>[];
};
const types = async (dir: string): Promise<string[]> =>
  (await rows(conn, `DESCRIBE ${await snapshotQuery(conn, await loadSnapshot(conn, dir))}`)).map(([n, t]) => `${String(n)} ${String(t)}`);

describe('partition values come from the log, typed per the schema', () => {
  it('empty string and missing key are NULL, "null" is a string, timestamps are UTC, names are decoded', async () => {
    const b = tableBuilder(conn);
    try {
      const schema = metaData(
        [
          ['x', 'integer'],
          ['s', 'string'],
          ['d', 'date'],
          ['ts', 'timestamp'],
          ['ntz', 'timestamp_ntz'],
          ['dec', 'decimal(6,2)'],
          ['flag', 'boolean'],
        ],
        ['s', 'd', 'ts', 'ntz', 'dec', 'flag'],
      );
      // Directory names lie on purpose: values must come from partitionValues, never from paths.
      const f1 = await b.file('s=WRONG/a b%c[1].parquet', 'SELECT 1::INT AS x', {
        partitionValues: { s: 'null', d: '2024-02-29', ts: '2024-01-01 10:00:00', ntz: '2024-01-01 10:00:00', dec: '-12.50', flag: 'true' },
      });
      const f2 = await b.file("d=1999-01-01/it's.parquet", 'SELECT 2::INT AS x', {
        partitionValues: { s: '', d: null, ts: '1970-01-01T00:00:00.123456Z', ntz: '', flag: 'false' },
      });
      b.log(0, [protocol(3, 7, ['timestampNtz'], ['timestampNtz']), schema, f1, f2]);
      const got = await rows(
        conn,
        `SELECT x, s, d::VARCHAR, epoch_us(ts), ntz::VARCHAR, dec::VARCHAR, flag FROM (${await snapshotQuery(conn, await loadSnapshot(conn, b.dir))}) ORDER BY x`,
      );
      expect(got.map((r) => r.map((v) => (v === null ? null : String(v))))).toEqual([
        ['1', 'null', '2024-02-29', String(Date.UTC(2024, 0, 1, 10) * 1000), '2024-01-01 10:00:00', '-12.50', 'true'],
        ['2', null, null, '123456', null, null, 'false'],
      ]);
      expect(await types(b.dir)).toEqual([
        'x INTEGER',
        's VARCHAR',
        'd DATE',
        'ts TIMESTAMP WITH TIME ZONE',
        'ntz TIMESTAMP',
        'dec DECIMAL(6,2)',
        'flag BOOLEAN',
      ]);
    } finally {
      b.cleanup();
    }
  });

  it('a partition value that does not parse as its type is an E_DELTA error naming the file', async () => {
    const b = tableBuilder(conn);
    try {
      const f = await b.file('f.parquet', 'SELECT 1::INT AS x', { partitionValues: { d: '2024-13-99x' } });
      b.log(0, [
        protocol(),
        metaData(
          [
            ['x', 'integer'],
            ['d', 'date'],
          ],
          ['d'],
        ),
        f,
      ]);
      const e = await relspecErrorOf(() => read(b.dir));
      expect(e.code).toBe('E_DELTA');
      expect(e.message).toMatch(/partition value "2024-13-99x" of column d is not a valid date/);
      expect(e.file).toMatch(/f\.parquet$/);
    } finally {
      b.cleanup();
    }
  });

  it('column mapping: partitionValues are keyed by physical name', async () => {
    const b = tableBuilder(conn);
    try {
      const cm = (name: string, id: number, phys: string) =>
        field(name, 'string', { 'delta.columnMapping.id': id, 'delta.columnMapping.physicalName': phys });
      const f = await b.file('p.parquet', 'SELECT \'v\' AS "col-b"', { partitionValues: { 'col-a': 'k' } });
      b.log(0, [
        protocol(2, 5),
        metaData([cm('renamed', 1, 'col-a'), cm('value', 2, 'col-b')], ['renamed'], { 'delta.columnMapping.mode': 'name' }),
        f,
      ]);
      expect(await read(b.dir)).toEqual([{ renamed: 'k', value: 'v' }]);
    } finally {
      b.cleanup();
    }
  });
});

describe('deletion vectors are applied by file_row_number', () => {
  it('u (with prefix), p and i storage; and a DV update replaces the old DV', async () => {
    const b = tableBuilder(conn);
    try {
      const f = await b.file('data.parquet', 'SELECT range AS id FROM range(10)');
      const uuid = '11112222-3333-4444-5555-666677778888';
      const bm1 = serializeDv([0, 9]);
      b.write(`dv/deletion_vector_${uuid}.bin`, dvFile(bm1));
      const dvU = { storageType: 'u', pathOrInlineDv: `dv${uuidToZ85(uuid)}`, offset: 1, sizeInBytes: bm1.length, cardinality: 2 };
      const bm2 = serializeDv([0, 1, 2, 9], 'run');
      const dvI = { storageType: 'i', pathOrInlineDv: z85Encode(bm2), sizeInBytes: bm2.length, cardinality: 4 };
      const base = (f as { add: Record<string, unknown> }).add;
      b.log(0, [protocol(3, 7, ['deletionVectors'], ['deletionVectors']), metaData([['id', 'long']]), f]);
      b.log(1, [remove('data.parquet'), add('data.parquet', {}, { ...base, deletionVector: dvU })]);
      b.log(2, [remove('data.parquet', { deletionVector: dvU }), add('data.parquet', {}, { ...base, deletionVector: dvI })]);
      const ids = async (v: number) => (await read(b.dir, v)).map((r) => Number(r.id));
      expect(await ids(0)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await ids(1)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(await ids(2)).toEqual([3, 4, 5, 6, 7, 8]);
      const info = await inspectTable(conn, b.dir);
      expect(info.numRows).toBe(6);
      expect(info.features).toContain('deletionVectors');
      const p = b.write('abs/dv.bin', dvFile(bm1));
      b.log(3, [
        remove('data.parquet', { deletionVector: dvI }),
        add('data.parquet', {}, { ...base, deletionVector: { ...dvU, storageType: 'p', pathOrInlineDv: `file://${p}` } }),
      ]);
      expect(await ids(3)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    } finally {
      b.cleanup();
    }
  });

  it('large DVs go through a temp table with the same result', async () => {
    const b = tableBuilder(conn);
    try {
      const f = await b.file('big.parquet', 'SELECT range AS id FROM range(50000)');
      const deleted = Array.from({ length: 30000 }, (_, i) => i * 2 - (i % 2 === 0 ? 0 : 1) + 1).filter((x) => x < 50000);
      const uniq = [...new Set(deleted)].sort((a, c) => a - c);
      const bm = serializeDv(uniq);
      const uuid = '99999999-3333-4444-5555-666677778888';
      b.write(`deletion_vector_${uuid}.bin`, dvFile(bm));
      const base = (f as { add: Record<string, unknown> }).add;
      const dv = { storageType: 'u', pathOrInlineDv: uuidToZ85(uuid), offset: 1, sizeInBytes: bm.length, cardinality: uniq.length };
      b.log(0, [
        protocol(3, 7, ['deletionVectors'], ['deletionVectors']),
        metaData([['id', 'long']]),
        add('big.parquet', {}, { ...base, deletionVector: dv }),
      ]);
      const snap = await loadSnapshot(conn, b.dir);
      const viaTemp = await snapshotQuery(conn, snap);
      expect(viaTemp).toMatch(/temp\.main\."__relspec_delta_rows_/);
      const inline = await snapshotQuery(conn, snap, { inlineRowsLimit: Infinity });
      expect(inline).not.toMatch(/__relspec_delta_rows_/);
      const want = 50000 - uniq.length;
      expect(await count(conn, viaTemp)).toBe(want);
      expect(await count(conn, inline)).toBe(want);
      const [[sum]] = await rows(conn, `SELECT sum(id) FROM (${viaTemp})`);
      const drop = new Set(uniq);
      expect(Number(sum)).toBe(
        Array.from({ length: 50000 }, (_, i) => i)
          .filter((i) => !drop.has(i))
          .reduce((a, c) => a + c, 0),
      );
    } finally {
      b.cleanup();
    }
  });
});

describe('schema: column mapping, evolution, types', () => {
  const nestedSchema = (mode: 'name' | 'id') => {
    const m = (id: number, phys: string) => ({ 'delta.columnMapping.id': id, 'delta.columnMapping.physicalName': phys });
    return metaData(
      [
        field('id', 'long', m(1, 'c1')),
        field(
          'info',
          { type: 'struct', fields: [field('first', 'string', m(3, 'c3')), field('added', 'integer', m(4, 'c4'))] },
          m(2, 'c2'),
        ),
        field(
          'tags',
          { type: 'array', elementType: { type: 'struct', fields: [field('k', 'string', m(6, 'c6'))] }, containsNull: true },
          m(5, 'c5'),
        ),
        field('later', 'double', m(7, 'c7')),
        field(
          'attrs',
          {
            type: 'map',
            keyType: 'string',
            valueType: { type: 'struct', fields: [field('v', 'integer', m(9, 'c9'))] },
            valueContainsNull: true,
          },
          m(8, 'c8'),
        ),
      ],
      [],
      { 'delta.columnMapping.mode': mode },
    );
  };
  const want = [
    { id: '1', info: { first: 'a', added: null }, tags: [{ k: 'x' }], later: null, attrs: [{ key: 'a', value: { v: 5 } }] },
    { id: '2', info: null, tags: null, later: null, attrs: null },
  ];

  it('name mode resolves physical names at every depth; missing columns and fields are NULL', async () => {
    const b = tableBuilder(conn);
    try {
      const f = await b.file(
        'f.parquet',
        "SELECT * FROM (VALUES (1::BIGINT, {'c3': 'a'}, [{'c6': 'x'}], MAP {'a': {'c9': 5::INT}}), (2, NULL, NULL, NULL)) v(c1, c2, c5, c8)",
      );
      b.log(0, [protocol(2, 5), nestedSchema('name'), f]);
      expect(await read(b.dir)).toEqual(want);
      expect(await types(b.dir)).toEqual([
        'id BIGINT',
        'info STRUCT("first" VARCHAR, added INTEGER)',
        'tags STRUCT(k VARCHAR)[]',
        'later DOUBLE',
        'attrs MAP(VARCHAR, STRUCT(v INTEGER))',
      ]);
    } finally {
      b.cleanup();
    }
  });

  it('id mode resolves parquet field ids, whatever the column names', async () => {
    const b = tableBuilder(conn);
    try {
      const f = await b.file(
        'f.parquet',
        "SELECT * FROM (VALUES (1::BIGINT, {'zz': 'a'}, [{'yy': 'x'}], MAP {'a': {'ww': 5::INT}}), (2, NULL, NULL, NULL)) v(q1, q2, q5, q8)",
        {
          fieldIds:
            '{q1: 1, q2: {__duckdb_field_id: 2, zz: 3}, q5: {__duckdb_field_id: 5, element: {__duckdb_field_id: 99, yy: 6}}, q8: {__duckdb_field_id: 8, key: 100, value: {__duckdb_field_id: 101, ww: 9}}}',
        },
      );
      b.log(0, [protocol(3, 7, ['columnMapping'], ['columnMapping']), nestedSchema('id'), f]);
      expect(await read(b.dir)).toEqual(want);
      const noIds = await b.file('g.parquet', 'SELECT 3::BIGINT AS c1');
      b.log(1, [noIds]);
      const e = await relspecErrorOf(() => read(b.dir));
      expect(e.message).toMatch(/no parquet field ids/);
    } finally {
      b.cleanup();
    }
  });

  it('type widening casts old files to the table type; unsupported changes are refused', async () => {
    const b = tableBuilder(conn);
    try {
      const old = await b.file('old.parquet', 'SELECT 7::INT AS n');
      const widened = field('n', 'long', { 'delta.typeChanges': [{ fromType: 'integer', toType: 'long' }] });
      b.log(0, [protocol(3, 7, ['typeWidening'], ['typeWidening']), metaData([widened]), old]);
      expect(await read(b.dir)).toEqual([{ n: '7' }]);
      expect(await types(b.dir)).toEqual(['n BIGINT']);
      b.log(1, [metaData([field('n', 'long', { 'delta.typeChanges': [{ fromType: 'string', toType: 'long' }] })])]);
      const e = await relspecErrorOf(() => loadSnapshot(conn, b.dir));
      expect(e.code).toBe('E_DELTA_UNSUPPORTED');
      expect(e.message).toMatch(/type change string -> long/);
    } finally {
      b.cleanup();
    }
  });

  it('naive parquet timestamps in a timestamp column are UTC instants, not session-local', async () => {
    const b = tableBuilder(conn);
    try {
      const f = await b.file('t.parquet', "SELECT TIMESTAMP '2020-01-01 00:00:00' AS t, {'inner': TIMESTAMP '2020-01-01 00:00:00'} AS s");
      b.log(0, [
        protocol(),
        metaData([
          ['t', 'timestamp'],
          ['s', { type: 'struct', fields: [field('inner', 'timestamp')] }],
        ]),
        f,
      ]);
      const [[t, inner]] = await rows(
        conn,
        `SELECT epoch_ms(t), epoch_ms(s.inner) FROM (${await snapshotQuery(conn, await loadSnapshot(conn, b.dir))})`,
      );
      expect(Number(t)).toBe(Date.UTC(2020, 0, 1));
      expect(Number(inner)).toBe(Date.UTC(2020, 0, 1));
    } finally {
      b.cleanup();
    }
  });

  it('a table with no live files is a typed empty relation; views register', async () => {
    const b = tableBuilder(conn);
    try {
      b.log(0, [
        protocol(),
        metaData([
          ['a', 'integer'],
          ['m', { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }],
        ]),
      ]);
      expect(await types(b.dir)).toEqual(['a INTEGER', 'm MAP(VARCHAR, BIGINT)']);
      expect(await read(b.dir)).toEqual([]);
      const f = await b.file('f.parquet', "SELECT 5::INT AS a, MAP {'k': 1::BIGINT} AS m");
      b.log(1, [f]);
      const snap = await loadSnapshot(conn, b.dir);
      await registerSnapshotView(conn, 'my delta', snap);
      expect(await rows(conn, 'SELECT a, m[\'k\'] FROM "my delta"')).toEqual([[5, 1n]]);
      await registerSnapshotView(conn, 'persisted', snap, { temporary: false });
      expect(await count(conn, 'SELECT * FROM persisted')).toBe(1);
    } finally {
      b.cleanup();
    }
  });
});
