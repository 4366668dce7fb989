import { existsSync, readdirSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelspecError } from '../../src/errors.js';
import { formatCsv } from '../../src/format/csv.js';
import { prepareReadOnly } from '../../src/query/check.js';
import { runQuery } from '../../src/query/run.js';
import { createTempTree } from '../helpers/tempTree.js';

/** prepareReadOnly and runQuery on a real DuckDB file: what passes, what is refused, and that nothing changed. */
const tree = createTempTree({}, { prefix: 'relspec-query-' });
let instance: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(tree.path('w.duckdb'));
  conn = await instance.connect();
  await conn.run(`CREATE TABLE people AS SELECT range::INTEGER AS id, 'p' || range AS name FROM range(5)`);
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
  tree.dispose();
});

/** Every relation with its row count, and the attached databases: what a refused statement must leave alone. */
async function snapshot(): Promise<unknown> {
  const tables = await conn.runAndReadAll(`SELECT schema_name, table_name, estimated_size FROM duckdb_tables() ORDER BY ALL`);
  const views = await conn.runAndReadAll(`SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal ORDER BY ALL`);
  const dbs = await conn.runAndReadAll(`SELECT database_name FROM duckdb_databases() ORDER BY ALL`);
  const rows = await conn.runAndReadAll(`SELECT * FROM people ORDER BY id`);
  const setting = await conn.runAndReadAll(`SELECT current_setting('threads')`);
  return [
    tables.getRowsJson(),
    views.getRowsJson(),
    dbs.getRowsJson(),
    rows.getRowsJson(),
    setting.getRowsJson(),
    readdirSync(tree.root).sort(),
  ];
}

async function refusal(sql: string): Promise<RelspecError> {
  try {
    (await prepareReadOnly(conn, sql)).destroySync();
  } catch (e) {
    expect(e).toBeInstanceOf(RelspecError);
    return e as RelspecError;
  }
  throw new Error(`not refused: ${sql}`);
}

describe('prepareReadOnly', () => {
  it.each([
    ['SELECT', 'select count(*) as n from people'],
    ['WITH', 'with t as (select id from people) select max(id) from t'],
    ['FROM-first', 'from people select name where id = 2'],
    ['VALUES', 'values (1, 2), (3, 4)'],
  ])('lets a %s query through', async (_kind, sql) => {
    const p = await prepareReadOnly(conn, sql);
    p.destroySync();
  });

  it.each([
    ['INSERT', `insert into people values (9, 'x')`],
    ['CREATE', 'create table t2 as select 1'],
    ['DROP', 'drop table people'],
    ['COPY', `copy people to '${tree.path('out.csv')}'`],
    ['ATTACH', `attach '${tree.path('other.duckdb')}' as other`],
    ['PRAGMA', 'pragma threads = 1'],
    ['SET', 'set threads = 1'],
    ['CALL', 'call pragma_version()'],
    ['EXPORT', `export database '${tree.path('exported')}'`],
  ])('refuses %s with E_QUERY naming it, and nothing changes', async (kind, sql) => {
    const before = await snapshot();
    const e = await refusal(sql);
    expect(e.code).toBe('E_QUERY');
    expect(e.message).toContain(kind);
    expect(await snapshot()).toEqual(before);
    expect(existsSync(tree.path('out.csv')) || existsSync(tree.path('other.duckdb')) || existsSync(tree.path('exported'))).toBe(false);
  });

  it('refuses two statements, even when both are SELECTs', async () => {
    const before = await snapshot();
    for (const sql of ['select 1; select 2', 'select 1; drop table people']) {
      const e = await refusal(sql);
      expect(e.code).toBe('E_QUERY');
      expect(e.message).toBe('refused: 2 statements');
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('runQuery', () => {
  it('reads at most --limit rows and says more existed', async () => {
    const r = await runQuery(conn, 'select id from people order by id', { limit: 2 });
    expect(r.rows).toEqual([[0], [1]]);
    expect(r.truncated).toBe(true);
    expect(r.columns).toEqual([{ name: 'id', type: 'INTEGER' }]);
    const all = await runQuery(conn, 'select id from people', { limit: 5 });
    expect(all.rows).toHaveLength(5);
    expect(all.truncated).toBe(false);
    expect((await runQuery(conn, 'select id from people', { limit: 0 })).rows).toEqual([]);
  });

  it('a query that fails on the data is E_QUERY', async () => {
    await expect(runQuery(conn, 'select * from nowhere')).rejects.toMatchObject({ code: 'E_QUERY' });
  });

  it('--csv quotes commas, quotes and line breaks, and prints NULL as empty', async () => {
    const r = await runQuery(conn, `select 'a,b' as x, 'say "hi"' as y, E'two\\nlines' as z, null as n, 7 as k`);
    expect(
      formatCsv(
        r.columns.map((c) => c.name),
        r.rows,
      ),
    ).toBe('x,y,z,n,k\r\n"a,b","say ""hi""","two\nlines",,7\r\n');
  });
});
