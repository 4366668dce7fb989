import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scratch } from '../../src/lineage/duck.js';
import { parseMany, type ParseResult } from '../../src/lineage/parse.js';

let scratch: Scratch;
beforeAll(async () => {
  scratch = await Scratch.open();
});
afterAll(() => scratch.close());

const parse = async (sql: string) => (await parseMany(scratch, [sql]))[0]!;
const ok = async (sql: string) => {
  const r = await parse(sql);
  if (!r.ok) throw new Error(r.message);
  return r;
};
const tables = async (sql: string) => (await ok(sql)).refs.map((r) => [r.schema, r.table].filter(Boolean).join('.')).sort();

describe('plan fingerprint', () => {
  const base = 'select a, sum(b) as s from t where c > 1 group by a';
  it.each([
    ['whitespace', 'select   a,\n\tsum(b) as s\nfrom t\nwhere c > 1\ngroup by a'],
    ['comments', '-- leading\nselect a, /* inline */ sum(b) as s from t where c > 1 group by a -- trailing'],
    ['keyword case', 'SELECT a, SUM(b) AS s FROM t WHERE c > 1 GROUP BY a'],
    ['trailing semicolon', base + ';'],
  ])('does not change with %s', async (_, variant) => {
    expect((await ok(variant)).treeHash).toBe((await ok(base)).treeHash);
  });
  it.each([
    ['a constant', base.replace('> 1', '> 2')],
    ['a column', base.replace('sum(b)', 'sum(d)')],
    ['an alias', base.replace('as s', 'as total')],
    ['a table', base.replace('from t', 'from u')],
    ['a clause', base + ' order by a'],
  ])('changes with %s', async (_, variant) => {
    expect((await ok(variant)).treeHash).not.toBe((await ok(base)).treeHash);
  });
});

describe('table references', () => {
  it('excludes CTE names only where the CTE is in scope', async () => {
    expect(await tables('with t as (select * from t) select * from t')).toEqual(['t']);
    expect(await tables('with a as (select 1 x), b as (select * from a) select * from b')).toEqual([]);
    expect(await tables('with b as (select * from a), a as (select 1 x) select * from b')).toEqual(['a']);
    expect(await tables('select * from (with x as (select 1 y) select * from x), x')).toEqual(['x']);
    expect(await tables('with recursive r(n) as (select 1 union all select n + 1 from r where n < 3) select * from r')).toEqual([]);
  });
  it('keeps schema-qualified names even when a CTE has the same table name', async () => {
    expect(await tables('with orders as (select 1) select * from main.orders')).toEqual(['main.orders']);
  });
  it('ignores table functions, literals and comments', async () => {
    const r = await ok("select 'from secret' as s, * from range(3) r, t -- join hidden\n/* from other */");
    expect(r.refs.map((x) => x.table)).toEqual(['t']);
    expect(r.tableFunctions).toEqual(['range']);
  });
  it('finds subquery, IN, EXISTS, LATERAL and set-operation tables', async () => {
    expect(
      await tables(
        'select * from a where x in (select x from b) and exists (select 1 from c) union select * from d, lateral (select * from e where e.k = d.k)',
      ),
    ).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
  it('reports file readers as facts, not notes', async () => {
    // Read files are tracked inputs now (lineage/fileReads.ts), not a note.
    const r = await ok("select * from read_parquet('x.parquet')");
    expect(r.notes).toEqual([]);
    expect(r.facts.fileCalls).toEqual([{ fn: 'read_parquet', list: false, args: [{ value: 'x.parquet', location: 27 }] }]);
  });
});

describe('bad task bodies', () => {
  const fail = async (sql: string) => (await parse(sql)) as Extract<ParseResult, { ok: false }>;
  it('rejects DDL', async () => {
    expect(await fail('create table x as select 1')).toMatchObject({
      ok: false,
      kind: 'not_query',
      message: 'the task body is a CREATE statement, not a query',
    });
  });
  it('rejects two statements', async () => {
    expect(await fail('select 1; select 2')).toMatchObject({ ok: false, kind: 'multiple', message: 'the task body has 2 statements' });
  });
  it('rejects syntax errors with DuckDB’s message', async () => {
    const r = await fail('selec 1');
    expect(r.kind).toBe('syntax');
    expect(r.message).toMatch(/syntax error at or near "selec"/);
  });
  it('accepts a dynamic PIVOT as opaque', async () => {
    const r = await ok('pivot t on k using sum(v)');
    expect(r.opaque).toBe(true);
    expect((await ok('PIVOT t ON k USING SUM(v)')).treeHash).toBe(r.treeHash);
  });
});

describe('batching', () => {
  it('parses many queries in one call, in order', async () => {
    const sqls = Array.from({ length: 300 }, (_, i) => (i === 7 ? 'selec' : `select ${i} as x from t${i}`));
    const rs = await parseMany(scratch, sqls);
    expect(rs).toHaveLength(300);
    expect(rs[7]!.ok).toBe(false);
    expect((rs[299] as Extract<ParseResult, { ok: true }>).refs[0]!.table).toBe('t299');
  });
});
