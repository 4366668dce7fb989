import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { naiveAsUtc, quoteIdent, splitQualified, sqlList, sqlString } from '../../src/util/sql.js';

/** Names and values that break naive quoting: both quote kinds, spaces, a glob bracket, non-ASCII, a dot. */
const AWKWARD = ['plain', 'say "hi"', "it's", 'two  spaces', 'a[1]', 'straße', '数据', '🦆', 'a.b', '""', "''", ''];

describe('sql quoting, round-tripped through DuckDB', () => {
  let inst: DuckDBInstance;
  let conn: DuckDBConnection;
  const rows = async (sql: string) => (await conn.runAndReadAll(sql)).getRows();

  beforeAll(async () => {
    inst = await DuckDBInstance.create(':memory:');
    conn = await inst.connect();
  });
  afterAll(() => {
    conn.closeSync();
    inst.closeSync();
  });

  it('string literals come back as written', async () => {
    for (const v of AWKWARD) expect(await rows(`SELECT ${sqlString(v)}`)).toEqual([[v]]);
  });

  it('list literals come back as written, in order', async () => {
    expect(await rows(`SELECT unnest(${sqlList(AWKWARD)})`)).toEqual(AWKWARD.map((v) => [v]));
    expect(await rows(`SELECT len(${sqlList([])}::VARCHAR[])`)).toEqual([[0n]]);
  });

  it('identifiers name exactly themselves: schemas, tables and columns', async () => {
    const names = AWKWARD.filter((n) => n !== '');
    for (const [i, name] of names.entries()) {
      const table = `${quoteIdent(name)}.${quoteIdent(`t ${name}`)}`;
      await conn.run(`CREATE SCHEMA ${quoteIdent(name)}`);
      await conn.run(`CREATE TABLE ${table} AS SELECT ${i} AS ${quoteIdent(name)}`);
      expect(await rows(`SELECT ${quoteIdent(name)} FROM ${table}`)).toEqual([[i]]);
      expect(await rows(`SELECT column_name FROM (DESCRIBE ${table})`)).toEqual([[name]]);
      expect(splitQualified(table)).toEqual([name, `t ${name}`]);
    }
    const listed = await rows(`SELECT schema_name, table_name FROM duckdb_tables() ORDER BY schema_name`);
    expect(listed.map(([s, t]) => [s, t]).sort()).toEqual(names.map((n) => [n, `t ${n}`]).sort());
  });

  it('splits dotted names, quoted or not', () => {
    expect(splitQualified('"main"."a.b"')).toEqual(['main', 'a.b']);
    expect(splitQualified('"x""y"')).toEqual(['x"y']);
    expect(splitQualified('main.orders')).toEqual(['main', 'orders']);
    expect(splitQualified('temp.main."t"')).toEqual(['temp', 'main', 't']);
  });

  it('reads a naive timestamp as UTC whatever the session time zone', async () => {
    await conn.run(`SET TimeZone = 'America/New_York'`);
    for (const type of ['TIMESTAMP', 'TIMESTAMP_NS', 'TIMESTAMP_MS', 'TIMESTAMP_S']) {
      const expr = naiveAsUtc(`CAST(TIMESTAMP '2024-01-02 03:04:05' AS ${type})`, type)!;
      expect(await rows(`SELECT epoch(${expr})`)).toEqual([[Date.UTC(2024, 0, 2, 3, 4, 5) / 1000]]);
    }
    expect(naiveAsUtc('x', 'TIMESTAMP WITH TIME ZONE')).toBeUndefined();
    expect(naiveAsUtc('x', 'DATE')).toBeUndefined();
  });
});
