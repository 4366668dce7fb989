import { renameSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, loadSnapshot, snapshotQuery, writeTable } from '../../src/delta/index.js';
import { add, commitInfo, metaData, protocol, tableBuilder } from './builder.js';
import { openDuck, relspecErrorOf, sqlPath } from './helpers.js';
import { createTempTree } from '../helpers/tempTree.js';

let conn: DuckDBConnection;
let close: () => void;
const trees: { dispose: () => void }[] = [];
beforeAll(async () => {
  ({ conn, close } = await openDuck());
});
afterAll(() => {
  close();
  for (const t of trees) t.dispose();
});

const newDir = (): string => {
  const t = createTempTree({}, { prefix: 'relspec-delta-layout-' });
  trees.push(t);
  return path.join(t.root, 'table');
};
const rows = async (sql: string): Promise<unknown[][]> => (await conn.runAndReadAll(sql)).getRowsJson() as unknown[][];
const read = async (dir: string): Promise<unknown[][]> =>
  rows(`SELECT * FROM (${await snapshotQuery(conn, await loadSnapshot(conn, dir))}) ORDER BY ALL`);
/** Each live file's rows of `col` in file order. */
const fileColumns = async (dir: string, col: string): Promise<unknown[][]> => {
  const snap = await loadSnapshot(conn, dir);
  const out: unknown[][] = [];
  for (const f of snap.files) out.push((await rows(`SELECT ${col} FROM read_parquet(${sqlPath(f.absPath)})`)).map((r) => r[0]));
  return out.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
};
const SCHEMA = [
  { name: 'k', type: 'VARCHAR' },
  { name: 'n', type: 'BIGINT' },
];
/** 1,000 rows over 100 keys, inserted in a scrambled order; keys are long paths (past the 32-character stats prefix). */
const KEY = (i: number): string => `packages/some-package/src/deeply/nested/dir/file-${String(i).padStart(3, '0')}.ts`;
const SCRAMBLED = `SELECT 'packages/some-package/src/deeply/nested/dir/file-' || lpad(((range * 37) % 100)::VARCHAR, 3, '0') || '.ts' AS k, range AS n FROM range(1000)`;

describe('Delta writer: sorted files of bounded size, and replace by key reading only the files that may hold a key', () => {
  it('splits into runs of at most maxRowsPerFile rows in sortBy order; a replace rewrites only the file holding the key', async () => {
    const dir = newDir();
    await createTable(conn, dir, { schema: SCHEMA });
    const v1 = await writeTable(conn, dir, { mode: 'append', sql: SCRAMBLED, sortBy: ['k'], maxRowsPerFile: 300 });
    expect(v1.addedFiles).toHaveLength(4);
    const files = await fileColumns(dir, 'k');
    expect(files.map((f) => f.length)).toEqual([300, 300, 300, 100]);
    // Each file is sorted and the files are consecutive runs: no key range overlaps the next.
    for (const f of files) expect(f).toEqual([...f].sort());
    for (let i = 1; i < files.length; i++) expect(String(files[i - 1]!.at(-1)) <= String(files[i]![0])).toBe(true);

    const before = await loadSnapshot(conn, dir);
    const holder = before.files.find((f) => JSON.parse(f.stats!).minValues.k <= KEY(42) && KEY(42) <= JSON.parse(f.stats!).maxValues.k)!;
    const r = await writeTable(conn, dir, {
      mode: 'replace',
      keys: ['k'],
      sql: `SELECT '${KEY(42)}' AS k, -1::BIGINT AS n`,
      sortBy: ['k'],
      maxRowsPerFile: 300,
    });
    // Keys 40–42 straddle no file boundary here: one file read, removed and rewritten.
    expect(r.removedFiles).toEqual([holder.path]);
    expect(r.counts).toEqual({ insert: 1, delete: 10, copied: 290 });
    const all = await read(dir);
    expect(all).toHaveLength(991);
    expect(all.filter((x) => x[0] === KEY(42))).toEqual([[KEY(42), '-1']]);

    // A key no file's range admits: nothing is rewritten, the row goes to a new file.
    const r2 = await writeTable(conn, dir, { mode: 'replace', keys: ['k'], sql: `SELECT 'zzz' AS k, 5::BIGINT AS n`, sortBy: ['k'] });
    expect([r2.removedFiles, r2.addedFiles.length, r2.counts]).toEqual([[], 1, { insert: 1, delete: 0, copied: 0 }]);
    expect(await read(dir)).toHaveLength(992);
  });

  it('files whose statistics exclude every key are not read at all (here: moved away, so reading one would fail)', async () => {
    const dir = newDir();
    await createTable(conn, dir, { schema: SCHEMA });
    await writeTable(conn, dir, { mode: 'append', sql: SCRAMBLED, sortBy: ['k'], maxRowsPerFile: 300 });
    const snap = await loadSnapshot(conn, dir);
    const holds = (f: (typeof snap.files)[number]): boolean => {
      const st = JSON.parse(f.stats!) as { minValues: { k: string }; maxValues: { k: string } };
      return st.minValues.k <= KEY(7) && KEY(7) <= st.maxValues.k;
    };
    const away = snap.files.filter((f) => !holds(f));
    expect(away).toHaveLength(3);
    for (const f of away) renameSync(f.absPath, `${f.absPath}.away`);
    const r = await writeTable(conn, dir, { mode: 'replace', keys: ['k'], sql: `SELECT '${KEY(7)}' AS k, 0::BIGINT AS n` });
    for (const f of away) renameSync(`${f.absPath}.away`, f.absPath);
    expect(r.counts).toEqual({ insert: 1, delete: 10, copied: 290 });
    expect(await read(dir)).toHaveLength(991);
  });

  it('NULL keys reach the files whose nullCount is not 0; integer keys prune by their bounds; strings past 256 characters are unbounded', async () => {
    const dir = newDir();
    await createTable(conn, dir, {
      schema: [
        { name: 'a', type: 'BIGINT' },
        { name: 's', type: 'VARCHAR' },
      ],
    });
    const long = 'x'.repeat(300);
    await writeTable(conn, dir, {
      mode: 'append',
      sql: `SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, NULL), (10, 'c'), (11, '${long}'), (NULL, 'd')) AS t(a, s)`,
      sortBy: ['a'],
      maxRowsPerFile: 2,
    });
    // Sorted NULLS FIRST: [NULL, 1], [2, 3], [10, 11].
    expect((await fileColumns(dir, 'a')).map((f) => f.map((x) => (x === null ? null : Number(x))))).toEqual([
      [10, 11],
      [2, 3],
      [null, 1],
    ]);
    const nullKey = await writeTable(conn, dir, {
      mode: 'replace',
      keys: ['a'],
      sql: 'SELECT 1 AS a, NULL AS s LIMIT 0',
      deleteKeysSql: 'SELECT NULL::BIGINT AS a',
    });
    expect([nullKey.removedFiles.length, nullKey.counts]).toEqual([1, { insert: 0, delete: 1, copied: 1 }]);
    const byString = await writeTable(conn, dir, { mode: 'replace', keys: ['s'], sql: `SELECT 99 AS a, '${long}' AS s` });
    expect(byString.counts).toEqual({ insert: 1, delete: 1, copied: 1 });
    expect(await read(dir)).toEqual([
      ['1', 'a'],
      ['2', 'b'],
      ['3', null],
      ['10', 'c'],
      ['99', long],
    ]);
  });

  it("another writer's string maxima are not trusted: a file whose stats claim max 'a' still gets its 'zzz' row replaced", async () => {
    const b = tableBuilder(conn);
    trees.push({ dispose: b.cleanup });
    const f = (await b.file('f.parquet', "SELECT * FROM (VALUES ('zzz', 1)) AS t(k, n)")) as { add: Record<string, unknown> };
    // Truncated by a writer of its own rules (not an upper bound); numRecords kept.
    const stats = JSON.stringify({ numRecords: 1, minValues: { k: 'a', n: 1 }, maxValues: { k: 'a', n: 1 }, nullCount: { k: 0, n: 0 } });
    b.log(0, [
      commitInfo('CREATE'),
      protocol(1, 2),
      metaData([
        ['k', 'string'],
        ['n', 'long'],
      ]),
      add('f.parquet', {}, { ...f.add, stats }),
    ]);
    const r = await writeTable(conn, b.dir, { mode: 'replace', keys: ['k'], sql: "SELECT 'zzz' AS k, 2::BIGINT AS n" });
    expect(r.counts).toEqual({ insert: 1, delete: 1, copied: 0 });
    expect(await read(b.dir)).toEqual([['zzz', '2']]);
    // Its integer bounds are: a key outside [1, 1] reads no file.
    const r2 = await writeTable(conn, b.dir, { mode: 'replace', keys: ['n'], sql: "SELECT 'q' AS k, 7::BIGINT AS n" });
    expect([r2.removedFiles, r2.counts]).toEqual([[], { insert: 1, delete: 0, copied: 0 }]);
  });

  it('typed errors name the option', async () => {
    const dir = newDir();
    await createTable(conn, dir, { schema: SCHEMA });
    expect((await relspecErrorOf(() => writeTable(conn, dir, { mode: 'append', sql: SCRAMBLED, sortBy: ['nope'] }))).message).toMatch(
      /sort column nope is not a column of the table/,
    );
    expect((await relspecErrorOf(() => writeTable(conn, dir, { mode: 'append', sql: SCRAMBLED, maxRowsPerFile: 0 }))).message).toMatch(
      /maxRowsPerFile must be a positive integer, not 0/,
    );
  });
});
