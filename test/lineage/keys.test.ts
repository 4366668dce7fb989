import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { proveKeysMany, type KeyProof } from '../../src/lineage/keys.js';
import { formatKeyProof, formatKeyRefusal } from '../../src/format/keys.js';
import type { Column } from '../../src/lineage/types.js';

// Three small inputs: f and g share `path` and `sym`, h only `path`.
const SCHEMAS: Record<string, string> = {
  f: 'path VARCHAR, lines INTEGER, sym VARCHAR',
  g: 'path VARCHAR, x INTEGER, sym VARCHAR',
  h: 'path VARCHAR, n INTEGER',
};
const columns = (ddl: string): Column[] =>
  ddl.split(', ').map((c) => {
    const [name, type] = c.split(' ');
    return { name: name!, type: type! };
  });

let instance: DuckDBInstance;
let conn: DuckDBConnection;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
  await conn.run(
    Object.entries(SCHEMAS)
      .map(([t, ddl]) => `CREATE TABLE ${t} (${ddl});`)
      .join('\n'),
  );
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
});

/** The proof of `sql` over the inputs it names (f, g, h). */
async function proof(sql: string, declared?: string[]): Promise<KeyProof> {
  const inputs = new Map(
    Object.keys(SCHEMAS)
      .filter((t) => new RegExp(`\\b${t}\\b`).test(sql))
      .map((t) => [t, columns(SCHEMAS[t]!)] as const),
  );
  const [p] = await proveKeysMany(conn, [{ sql, inputs, ...(declared ? { declared } : {}) }]);
  return p!;
}
const on = (column: string, inputs: Record<string, string>) => ({
  columns: [column],
  inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, [v]])),
});
const refused = (reason: KeyProof['reason']): KeyProof => ({ keys: [], reason });

describe('key proof: projections, filters, CTEs', () => {
  it('a rename and a filter keep every bare column a key', async () => {
    expect(await proof('select path as p, lines from f where lines > 3')).toEqual({
      keys: [on('lines', { f: 'lines' }), on('p', { f: 'path' })],
    });
  });
  it('through CTEs, subqueries in FROM and outer filters', async () => {
    expect(await proof('with a as (select path, lines from f) select path from a where lines > 1')).toEqual({
      keys: [on('path', { f: 'path' })],
    });
    expect(await proof('select t.path from (select path, lines from f where lines > 0) t where t.lines < 10')).toEqual({
      keys: [on('path', { f: 'path' })],
    });
  });
  it('a column computed from the key is not the key: lower(path), path || ""', async () => {
    expect(await proof('select lower(path) as path from f')).toEqual(refused({ kind: 'not_passed_through', column: 'path' }));
    expect(await proof("select path || '' as path from f")).toEqual(refused({ kind: 'not_passed_through', column: 'path' }));
    // Beside the bare key, a computed column changes nothing.
    expect(await proof('select path, lower(path) as lp from f')).toEqual({ keys: [on('path', { f: 'path' })] });
  });
  it('ORDER BY alone, UNNEST in the select list', async () => {
    expect(await proof('select path from f order by lines')).toEqual({ keys: [on('path', { f: 'path' })] });
    expect(await proof('select path, unnest([1, 2]) as u from f')).toEqual({ keys: [on('path', { f: 'path' })] });
  });
  it('no input, LIMIT and SAMPLE', async () => {
    expect(await proof('select 1 as path')).toEqual(refused({ kind: 'no_input' }));
    expect(await proof('select path from f limit 3')).toEqual(refused({ kind: 'limit' }));
    expect(await proof('select * from (select path from f limit 2 offset 1)')).toEqual(refused({ kind: 'limit' }));
    expect(await proof('select path from f using sample 10%')).toEqual(refused({ kind: 'limit' }));
  });
});

describe('key proof: joins', () => {
  it('inner and left joins on the key, and on the key plus other columns', async () => {
    expect(await proof('select f.path, g.x from f join g on f.path = g.path')).toEqual({ keys: [on('path', { f: 'path', g: 'path' })] });
    expect(await proof('select f.path, g.x from f left join g on f.path = g.path')).toEqual({
      keys: [on('path', { f: 'path', g: 'path' })],
    });
    expect(await proof('select f.path, g.x from f join g on f.path = g.path and f.lines < g.x and f.sym = g.sym')).toEqual({
      keys: [on('path', { f: 'path', g: 'path' })],
    });
  });
  it('a join not on the key, and a self-join on another column', async () => {
    expect(await proof('select f.path, g.x from f join g on f.sym = g.sym')).toEqual(
      refused({ kind: 'join_not_on_key', join: 'inner', on: ['sym'] }),
    );
    expect(await proof('select a.path from f a join f b on a.sym = b.path')).toEqual(
      refused({ kind: 'join_not_on_key', join: 'inner', on: ['sym'] }),
    );
  });
  it('a self-join on the key', async () => {
    expect(await proof('select a.path, b.lines from f a join f b on a.path = b.path')).toEqual({ keys: [on('path', { f: 'path' })] });
  });
  it('cross joins, and comma joins whose WHERE equates the key', async () => {
    expect(await proof('select * from f cross join g')).toEqual(refused({ kind: 'join_not_on_key', join: 'cross' }));
    expect(await proof('select f.path, g.x from f, g where f.path = g.path and g.x > 1')).toEqual({
      keys: [on('path', { f: 'path', g: 'path' })],
    });
    expect(await proof('select f.path from f, g, h where f.path = g.path and g.path = h.path')).toEqual({
      keys: [on('path', { f: 'path', g: 'path', h: 'path' })],
    });
  });
  it('a later join on a column an earlier join equated with the key', async () => {
    expect(await proof('select f.path, g.x, h.n from f join g on f.path = g.path left join h on h.path = g.path')).toEqual({
      keys: [on('path', { f: 'path', g: 'path', h: 'path' })],
    });
  });
  it('the key from the NULL-extended side of an outer join', async () => {
    expect(await proof('select g.path, f.lines from f left join g on f.path = g.path')).toEqual(
      refused({ kind: 'join_not_on_key', join: 'left', nullable: true }),
    );
    expect(await proof('select g.path from f right join g on f.path = g.path')).toEqual({ keys: [on('path', { f: 'path', g: 'path' })] });
  });
  it('coalesce(a.path, b.path) from a full join: refused (an expression; either side may be NULL)', async () => {
    expect(await proof('select coalesce(f.path, g.path) as path from f full join g using (path)')).toEqual(
      refused({ kind: 'not_passed_through', column: 'path' }),
    );
    expect(await proof('select f.path from f full join g on f.path = g.path')).toEqual(
      refused({ kind: 'join_not_on_key', join: 'full', nullable: true }),
    );
  });
  it('SEMI, ANTI and ASOF joins on the key; a join condition with OR', async () => {
    expect(await proof('select path from f semi join g on f.path = g.path')).toEqual({ keys: [on('path', { f: 'path', g: 'path' })] });
    expect(await proof('select path from f anti join g on f.path = g.path')).toEqual({ keys: [on('path', { f: 'path', g: 'path' })] });
    expect(await proof('select f.path from f asof join g on f.path = g.path and f.lines >= g.x')).toEqual({
      keys: [on('path', { f: 'path', g: 'path' })],
    });
    expect(await proof('select f.path from f join g on f.path = g.path or f.lines = g.x')).toEqual(
      refused({ kind: 'join_not_on_key', join: 'inner' }),
    );
  });
});

describe('key proof: groups, windows, set operations', () => {
  it('GROUP BY the key, GROUP BY ALL, GROUPING SETS that all hold the key', async () => {
    expect(await proof('select path, count(*) as c from g group by path')).toEqual({ keys: [on('path', { g: 'path' })] });
    expect(await proof('select path, max(lines) as m from f group by all')).toEqual({ keys: [on('path', { f: 'path' })] });
    expect(await proof('select path, sum(lines) as s from f group by grouping sets ((path), (path, sym))')).toEqual({
      keys: [on('path', { f: 'path' })],
    });
  });
  it('an aggregate without the key: no GROUP BY, GROUP BY another column, ROLLUP', async () => {
    expect(await proof('select max(path) as m from f')).toEqual(refused({ kind: 'aggregate_without_key' }));
    expect(await proof('select sym, max(path) as path from f group by sym', ['path'])).toEqual({
      keys: [on('sym', { f: 'sym' })],
      declared: { columns: ['path'], proven: false, reason: { kind: 'not_passed_through', column: 'path' } },
    });
    expect(await proof('select path, sum(lines) as s from f group by rollup(path)')).toEqual(refused({ kind: 'aggregate_without_key' }));
  });
  it('windows partitioned by the key (and more); without it', async () => {
    expect(await proof('select path, sum(x) over (partition by path order by x) as s from g')).toEqual({
      keys: [on('path', { g: 'path' })],
    });
    expect(await proof('select path, sum(x) over (partition by path, sym) as s from g')).toEqual({ keys: [on('path', { g: 'path' })] });
    expect(await proof('select path, sum(x) over () as s from g')).toEqual(refused({ kind: 'window_without_key' }));
  });
  it('QUALIFY over a window by the key; over all rows', async () => {
    expect(await proof('select path, x from g qualify row_number() over (partition by path order by x) = 1')).toEqual({
      keys: [on('path', { g: 'path' })],
    });
    expect(await proof('select path, x from g qualify row_number() over (order by x) = 1')).toEqual(
      refused({ kind: 'window_without_key' }),
    );
  });
  it('DISTINCT (every column a candidate) and DISTINCT ON (only its targets)', async () => {
    expect(await proof('select distinct path, sym from f')).toEqual({ keys: [on('path', { f: 'path' }), on('sym', { f: 'sym' })] });
    expect(await proof('select distinct on (path) path, lines from f order by path, lines')).toEqual({ keys: [on('path', { f: 'path' })] });
    expect(await proof('select distinct on (sym) path, sym from f order by sym')).toEqual({ keys: [on('sym', { f: 'sym' })] });
  });
  it('UNION ALL with the key in both branches; a branch with the key computed or constant', async () => {
    expect(await proof('select path from f union all select path from g')).toEqual({ keys: [on('path', { f: 'path', g: 'path' })] });
    expect(await proof('select path from f union all select lower(path) from g')).toEqual(
      refused({ kind: 'not_passed_through', column: 'path' }),
    );
    expect(await proof("select path from f union all select 'x'")).toEqual(refused({ kind: 'not_passed_through', column: 'path' }));
  });
  it('UNION, EXCEPT, INTERSECT compare whole rows, the key included', async () => {
    const both = { keys: [on('path', { f: 'path', g: 'path' })] };
    expect(await proof('select path from f union select path from g')).toEqual(both);
    expect(await proof('select path from f except select path from g')).toEqual(both);
    expect(await proof('select path from f intersect select path from g')).toEqual(both);
  });
});

describe('key proof: subqueries', () => {
  it('an uncorrelated scalar subquery reads every key', async () => {
    expect(await proof('select path from f where lines > (select max(x) from g)')).toEqual(refused({ kind: 'subquery' }));
    expect(await proof('select path from f where path = (select max(path) from g)')).toEqual(refused({ kind: 'subquery' }));
  });
  it('IN (subquery) not on the key is refused; on the key it scopes the subquery by its column', async () => {
    expect(await proof('select path from f where sym in (select sym from g)')).toEqual(refused({ kind: 'subquery' }));
    expect(await proof('select path from f where path in (select sym from g)')).toEqual({ keys: [on('path', { f: 'path', g: 'sym' })] });
    // NOT IN is NULL for every key once the subquery holds a NULL: that row is of another key. So is an IN in the select list.
    expect(await proof('select path from f where path not in (select sym from g)')).toEqual(refused({ kind: 'subquery' }));
    expect(await proof('select path, path in (select sym from g) as b from f')).toEqual(refused({ kind: 'subquery' }));
    expect(await proof('select path from f where not exists (select 1 from g where g.path = f.path)')).toEqual({
      keys: [on('path', { f: 'path', g: 'path' })],
    });
    expect(await proof('select path from f where lines > any (select x from g where g.path = f.path)')).toEqual({
      keys: [on('path', { f: 'path', g: 'path' })],
    });
  });
  it('correlated EXISTS, scalar and LATERAL subqueries on the key are accepted; on another column refused', async () => {
    expect(await proof('select path from f where exists (select 1 from g where g.path = f.path)')).toEqual({
      keys: [on('path', { f: 'path', g: 'path' })],
    });
    expect(await proof('select path, (select max(x) from g where g.path = f.path) as m from f')).toEqual({
      keys: [on('path', { f: 'path', g: 'path' })],
    });
    expect(await proof('select f.path, t.m from f, lateral (select max(x) as m from g where g.path = f.path) t')).toEqual({
      keys: [on('path', { f: 'path', g: 'path' })],
    });
    expect(await proof('select path from f where exists (select 1 from g where g.sym = f.sym)')).toEqual(refused({ kind: 'subquery' }));
    expect(await proof('select path, (select max(x) from g where g.sym = f.sym) as m from f')).toEqual(refused({ kind: 'subquery' }));
  });
});

describe('key proof: declared keys and what the proof does not model', () => {
  it('a composite declared key (a, b) with a join on both', async () => {
    expect(await proof('select f.path, f.sym from f join g on f.path = g.path and f.sym = g.sym', ['path', 'sym'])).toEqual({
      keys: [
        { columns: ['path', 'sym'], inputs: { f: ['path', 'sym'], g: ['path', 'sym'] } },
        on('path', { f: 'path', g: 'path' }),
        on('sym', { f: 'sym', g: 'sym' }),
      ],
      declared: { columns: ['path', 'sym'], proven: true },
    });
  });
  it('a composite key needs the join on every part of it', async () => {
    expect(await proof('select f.path, f.sym from f join g on f.path = g.path', ['path', 'sym'])).toEqual({
      keys: [on('path', { f: 'path', g: 'path' })],
      declared: { columns: ['path', 'sym'], proven: false, reason: { kind: 'join_not_on_key', join: 'inner', on: ['path'] } },
    });
  });
  it('a declared key that fails keeps its reason; a declared key the output lacks', async () => {
    expect(await proof('select path, count(*) over () as n from f', ['path'])).toEqual({
      keys: [],
      declared: { columns: ['path'], proven: false, reason: { kind: 'window_without_key' } },
      reason: { kind: 'window_without_key' },
    });
    expect(await proof('select path, sym from f', ['sym', 'nope'])).toEqual({
      keys: [on('path', { f: 'path' }), on('sym', { f: 'sym' })],
      declared: { columns: ['sym', 'nope'], proven: false, reason: { kind: 'unknown_column', column: 'nope' } },
    });
  });
  it('a declared single key comes first, matched case-insensitively', async () => {
    expect(await proof('select sym, path from f', ['PATH'])).toEqual({
      keys: [on('path', { f: 'path' }), on('sym', { f: 'sym' })],
      declared: { columns: ['PATH'], proven: true },
    });
  });
  it('recursive CTEs, table functions, and plans DuckDB cannot serialize', async () => {
    expect(
      await proof('with recursive r(n) as (select 1 union all select n + 1 from r where n < 3) select path from f where lines in (from r)'),
    ).toEqual(refused({ kind: 'subquery' }));
    expect(
      await proof(
        'select r.n from (with recursive r(n) as (select 1 union all select n + 1 from r where n < 3) from r) r join f on f.path = r.n::VARCHAR',
      ),
    ).toEqual(refused({ kind: 'join_not_on_key', join: 'inner' }));
    expect(
      await proof('with recursive r(path) as (select path from f union all select path from r where false) select path from r'),
    ).toEqual(refused({ kind: 'operator', operator: 'RECURSIVE_CTE' }));
    expect(await proof('select f.path from f join range(3) t(i) on f.path = t.i::VARCHAR', ['path'])).toEqual({
      keys: [],
      declared: { columns: ['path'], proven: false, reason: { kind: 'join_not_on_key', join: 'inner' } },
      reason: { kind: 'join_not_on_key', join: 'inner' },
    });
    expect(await proof('select t.i from f join range(3) t(i) on f.lines = t.i')).toEqual(
      refused({ kind: 'join_not_on_key', join: 'inner' }),
    );
    expect(await proof("select path from read_csv('/nonexistent/*.csv') union all select path from f")).toMatchObject({ keys: [] });
    expect(await proof('pivot f on sym using sum(lines) group by path')).toEqual(
      refused({ kind: 'plan_unavailable', message: 'Cannot plan statement of type MULTI!' }),
    );
  });
});

describe('formatting a proof', () => {
  it('says which key, or why not', async () => {
    expect(formatKeyProof(await proof('select path, count(*) as c from g group by path'))).toBe('key-scoped on path');
    expect(formatKeyProof(await proof('select f.path, g.x from f join g on f.sym = g.sym'))).toBe(
      'not key-scoped: inner join on sym, not on the key',
    );
    expect(formatKeyRefusal({ kind: 'limit' })).toBe('LIMIT reads other keys');
    expect(formatKeyRefusal({ kind: 'aggregate_without_key' })).toBe('aggregate without the key');
  });
});
