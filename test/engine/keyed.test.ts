import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANGE_VERSION, changesTable, collectKeys, countKeysMany, refreshKeys, selectKeys } from '../../src/engine/keyed.js';
import { keyInfo, restrictToKeys } from '../../src/engine/keyedSql.js';
import { columnSetKey, tokenSelect, tokensFromRow } from '../../src/engine/tokens.js';

let inst: DuckDBInstance;
let c: DuckDBConnection;
const rows = async (sql: string) =>
  (await c.runAndReadAll(sql)).getRows().map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)));

beforeAll(async () => {
  inst = await DuckDBInstance.create(':memory:');
  c = await inst.connect();
  await c.run(`CREATE SCHEMA code; CREATE SCHEMA relspec_changes;
    CREATE TABLE code."references" AS SELECT 'f' || (i % 10) || '.ts' AS path, i AS pos, CASE WHEN i % 7 = 0 THEN NULL ELSE 'x' END AS role FROM range(200) t(i);
    CREATE TABLE "sym bols ü" AS SELECT 'f' || (i % 10) || '.ts' AS "the path", i AS id FROM range(50) t(i);
    INSERT INTO code."references" VALUES (NULL, 1000, 'n'), ('it''s ü.ts', 1001, 'x');`);
});
afterAll(() => {
  c.closeSync();
  inst.closeSync();
});

async function keys(values: (string | null)[]) {
  await collectKeys(c, 'ks', [
    `SELECT * FROM (VALUES ${values.map((v) => `(${v === null ? 'NULL' : `'${v.replace(/'/g, "''")}'`})`).join(', ')}) v(k0)`,
  ]);
}

describe('restrictToKeys', () => {
  const restrictions = [
    { dataset: 'code.references', columns: ['path'] },
    { dataset: 'sym bols ü', columns: ['the path'] },
  ];
  const cases: [string, string][] = [
    ['unaliased, quoted, qualified', `select "references".path, count(*) as n from code."references" group by all`],
    ['aliased', `select r.path, s.id from code.references r join "sym bols ü" s on s."the path" = r.path`],
    ['non-ASCII before the reference (byte offsets)', `select 'ünïcødé ✓' as label, path from code."references" where role = 'x'`],
    [
      'self-join and a CTE named like the table',
      `with "references" as (select * from code."references") select a.path from "references" a join code."references" b using (path, pos)`,
    ],
  ];
  for (const [name, sql] of cases) {
    for (const listed of [false, true]) {
      it(`${name}${listed ? ', keys as literals' : ''}: the restricted query gives the full query's rows of those keys`, async () => {
        await keys(['f3.ts', null, "it's ü.ts"]);
        const info = listed ? await keyInfo(c, 'ks', 1) : { hasNull: true };
        if (listed) expect(info).toEqual({ list: expect.arrayContaining(["'f3.ts'::VARCHAR", "'it''s ü.ts'::VARCHAR"]), hasNull: true });
        const restricted = await restrictToKeys(c, sql, restrictions, 'ks', info);
        expect(restricted).toBeDefined();
        expect(restricted).toContain(listed ? `IN ('` : 'SEMI JOIN ks');
        const want = await rows(`SELECT * FROM (${sql}) t WHERE path IN ('f3.ts', 'it''s ü.ts') OR path IS NULL ORDER BY ALL`);
        expect(await rows(`SELECT * FROM (${restricted!}) t ORDER BY ALL`)).toEqual(want);
        expect(want.length).toBeGreaterThan(0);
      });
    }
  }

  it('keys become literals only when one scalar column of at most 1024 keys; NULL among them is seen', async () => {
    await collectKeys(c, 'ki', ['SELECT * FROM (VALUES (3), (NULL), (-7)) v(k0)']);
    expect(await keyInfo(c, 'ki', 1)).toEqual({ list: expect.arrayContaining(["'3'::INTEGER", "'-7'::INTEGER"]), hasNull: true });
    await collectKeys(c, 'kn', ['SELECT NULL::VARCHAR AS k0']);
    expect(await keyInfo(c, 'kn', 1)).toEqual({ list: [], hasNull: true });
    await collectKeys(c, 'km', ['SELECT range AS k0 FROM range(1025)']);
    expect(await keyInfo(c, 'km', 1)).toEqual({ hasNull: false });
    await collectKeys(c, 'kl', ['SELECT [1, 2] AS k0']);
    expect(await keyInfo(c, 'kl', 1)).toEqual({ hasNull: false });
    await collectKeys(c, 'k2', ["SELECT * FROM (VALUES ('a', 1), ('b', NULL)) v(k0, k1)"]);
    expect(await keyInfo(c, 'k2', 2)).toEqual({ hasNull: true });
  });

  it('a joined key set without NULL matches by `=`, with NULL by IS NOT DISTINCT FROM: the same rows either way', async () => {
    const sql = `select path, count(*) as n from code."references" group by path`;
    const cases: [(string | null)[], string, string][] = [
      [['f3.ts', 'f4.ts'], ' = ', `path IN ('f3.ts', 'f4.ts')`],
      [['f3.ts', null], ' IS NOT DISTINCT FROM ', `path = 'f3.ts' OR path IS NULL`],
    ];
    for (const [values, eq, where] of cases) {
      await keys(values);
      const info = { hasNull: (await keyInfo(c, 'ks', 1)).hasNull };
      const restricted = (await restrictToKeys(c, sql, restrictions, 'ks', info))!;
      expect(restricted).toMatch(new RegExp(`SEMI JOIN ks AS __k ON __r\\.("?)path\\1${eq}__k\\.k0\\)`));
      const want = await rows(`SELECT * FROM (${sql}) t WHERE ${where} ORDER BY ALL`);
      expect(want.length).toBe(2);
      expect(await rows(`SELECT * FROM (${restricted}) t ORDER BY ALL`)).toEqual(want);
    }
  });

  it('a query with no restricted input, or a catalog-qualified one, is not rewritten', async () => {
    expect(await restrictToKeys(c, 'select 1 as path', restrictions, 'ks')).toBeUndefined();
    expect(await restrictToKeys(c, 'select * from memory.code."references"', restrictions, 'ks')).toBeUndefined();
  });
});

describe('refreshKeys', () => {
  const sets = [['n', 'path'], ['path']];
  const schema = [
    { name: 'path', type: 'VARCHAR' },
    { name: 'n', type: 'BIGINT' },
  ];
  const task = `select path, count(*)::BIGINT as n from code."references" group by path`;
  const scan = async (rel: string) =>
    tokensFromRow((await c.runAndReadAll(`SELECT ${tokenSelect(sets, ['path', 'n'])} FROM ${rel}`)).getRows()[0]!, sets, schema).tokens;

  it('deletes and inserts the rows of the changed keys; tokens and change rows equal a full rebuild', async () => {
    await c.run(`CREATE OR REPLACE TABLE out AS ${task}`);
    const before = await scan('out');
    expect(await countKeysMany(c, 'out', [['path'], ['path', 'n']])).toEqual([12, 12]);
    // f3 gains rows, f4 loses all of its rows, NULL changes, f99 is new.
    await c.run(`INSERT INTO code."references" VALUES ('f3.ts', 5000, 'x'), (NULL, 5001, 'y'), ('f99.ts', 5002, 'z');
                 DELETE FROM code."references" WHERE path = 'f4.ts';`);
    await keys(['f3.ts', 'f4.ts', null, 'f99.ts', 'f5.ts']);
    const sql = (await restrictToKeys(c, task, [{ dataset: 'code.references', columns: ['path'] }], 'ks'))!;
    const r = await refreshKeys({
      conn: c,
      target: 'out',
      output: 'out',
      sql,
      keysTable: 'ks',
      key: ['path'],
      sets,
      schema,
      before,
      version: 2,
    });
    expect(await rows('SELECT * FROM out ORDER BY ALL')).toEqual(await rows(`${task} ORDER BY ALL`));
    expect(r.tokens).toEqual(await scan(`(${task})`));
    expect(r.tokens[columnSetKey(['path'])]).not.toBe(before[columnSetKey(['path'])]);
    // f5 was recomputed to the same row: not a change. f4 gone, f99 new, f3 and NULL moved.
    expect({ dKeys: r.dKeys, dRows: r.dRows, inserted: r.inserted, removed: r.removed, changes: r.changes }).toEqual({
      dKeys: 0,
      dRows: 0,
      inserted: 4,
      removed: 4,
      changes: 6,
    });
    expect(
      await rows(`SELECT _change_type, count(*) FROM ${changesTable('out')} WHERE ${CHANGE_VERSION} = 2 GROUP BY ALL ORDER BY ALL`),
    ).toEqual([
      ['delete', 3],
      ['insert', 3],
    ]);
    expect(await rows(selectKeys(changesTable('out'), ['path']) + ' ORDER BY ALL')).toEqual([['f3.ts'], ['f4.ts'], ['f99.ts'], [null]]);
  });

  it('a failing refresh rolls back: the output and the change rows stand', async () => {
    const before = await rows('SELECT * FROM out ORDER BY ALL');
    const changes = await rows(`SELECT count(*) FROM ${changesTable('out')}`);
    await keys(['f3.ts']);
    const bad = `select path, error('boom')::BIGINT as n from (select * from code."references" semi join ks k on path = k.k0)`;
    await expect(
      refreshKeys({
        conn: c,
        target: 'out',
        output: 'out',
        sql: bad,
        keysTable: 'ks',
        key: ['path'],
        sets,
        schema,
        before: {},
        version: 3,
      }),
    ).rejects.toThrow(/refreshing out by key: .*boom/);
    expect(await rows('SELECT * FROM out ORDER BY ALL')).toEqual(before);
    expect(await rows(`SELECT count(*) FROM ${changesTable('out')}`)).toEqual(changes);
  });

  it('with no key-scoped reader (changeRows false) the change table goes, and the rows read beforehand (oldTable) are not read again', async () => {
    const before = await scan('out');
    await c.run(`INSERT INTO code."references" VALUES ('f6.ts', 6000, 'x')`);
    await keys(['f6.ts', 'f7.ts']);
    const info = await keyInfo(c, 'ks', 1);
    const sql = (await restrictToKeys(c, task, [{ dataset: 'code.references', columns: ['path'] }], 'ks', info))!;
    // The old rows as planRefresh leaves them; one changed on purpose, to see that they, not the output, are read.
    await c.run(`CREATE OR REPLACE TEMP TABLE pre_old AS SELECT * FROM out WHERE path IN ('f6.ts', 'f7.ts')`);
    await c.run(`UPDATE pre_old SET n = n + 100 WHERE path = 'f7.ts'`);
    const r = await refreshKeys({
      conn: c,
      target: 'out',
      output: 'out',
      sql,
      keysTable: 'ks',
      info,
      key: ['path'],
      sets,
      schema,
      before,
      version: 4,
      changeRows: false,
      oldTable: 'pre_old',
    });
    expect(await rows('SELECT * FROM out ORDER BY ALL')).toEqual(await rows(`${task} ORDER BY ALL`));
    expect(r.changes).toBeUndefined();
    expect(await rows(`SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'relspec_changes' AND table_name = 'out'`)).toEqual([[0]]);
    // Tokens moved by the rows read from pre_old: f7's (changed) row counted as removed, so they differ from a rescan by exactly that.
    expect(r.tokens).not.toEqual(await scan(`(${task})`));
    expect(await rows(`SELECT count(*) FROM duckdb_tables() WHERE table_name = 'pre_old'`)).toEqual([[0]]);
  });
});
