import type { KeyRefusal } from './keys.js';
import { arity, conjunctEqualities, ints, isObj, kids, list, objs, opName, refIndex, type Obj } from './keyPlan.js';
import { proveJoin } from './keyJoin.js';

export interface Failure {
  reason: KeyRefusal;
  /** How many operators below the root the proof got: the deepest refusal is the most telling. */
  depth: number;
}

/** Per input dataset, the column each key column equals (every scan of a dataset must agree). */
export type Scans = Map<string, string[]>;

export interface Ctx {
  /** The key columns' output names, for refusals. */
  names: readonly string[];
  /** `schema.table` (lower case) → input dataset. */
  byTable: ReadonlyMap<string, string>;
  /** Materialized CTE index → its definition. */
  ctes: ReadonlyMap<number, Obj>;
  /**
   * Inside the right side of a DELIM_JOIN (a correlated subquery): per key column, the DELIM_GET column
   * holding the outer row's key (-1 when the subquery is not correlated on it).
   */
  delim?: readonly number[];
  /** Positions of the node's output that the filter right above keeps only where TRUE (a bare `WHERE col`). */
  filtered?: ReadonlySet<number>;
  scans: Scans;
}

export type Prove = (n: Obj, key: readonly number[], eqs: readonly [number, number][], ctx: Ctx, depth: number) => Failure | undefined;

const fail = (reason: KeyRefusal, depth: number): Failure => ({ reason, depth });

/**
 * Proves that the output of `root` is key-scoped on the columns at `positions`: walking down, each key
 * column must stay a bare reference to a child column, through every operator, until it reaches a column
 * of every scan. Any operator that combines rows must do so only among rows of one key.
 */
export function proveKey(
  root: Obj,
  positions: readonly number[],
  names: readonly string[],
  byTable: ReadonlyMap<string, string>,
): Failure | { scans: Scans } {
  const ctx: Ctx = { names, byTable, ctes: new Map(), scans: new Map() };
  const r = prove(root, positions, [], ctx, 0);
  return r ?? { scans: ctx.scans };
}

/**
 * `eqs`: equalities between output positions that a filter above guarantees (a comma join's WHERE
 * a.k = b.k makes its cross product an equi-join); only cross products and inner joins use them.
 */
export const prove: Prove = (n, key, eqs, outer, depth) => {
  const d = depth + 1;
  // `filtered` speaks of this node's output only: its children see none.
  const ctx: Ctx = outer.filtered ? { ...outer, filtered: undefined } : outer;
  const [c0] = kids(n);
  const notPassed = (i: number, input?: string) =>
    fail({ kind: 'not_passed_through', column: ctx.names[i]!, ...(input !== undefined ? { input } : {}) }, depth);
  const width = arity(n);
  if (!Number.isFinite(width) || key.some((k) => k >= width)) return fail({ kind: 'operator', operator: opName(n) }, depth);
  switch (n.type) {
    case 'LOGICAL_PROJECTION': {
      const exprs = list(n.expressions);
      const down = key.map((k) => refIndex(exprs[k]));
      const bad = down.findIndex((x) => x === undefined);
      if (bad >= 0) return notPassed(bad);
      const mapped = eqs.flatMap(([a, b]) => {
        const [x, y] = [refIndex(exprs[a]), refIndex(exprs[b])];
        return x !== undefined && y !== undefined ? [[x, y] as [number, number]] : [];
      });
      return prove(c0!, down as number[], mapped, ctx, d);
    }
    case 'LOGICAL_FILTER': {
      const map = ints(n.projection_map);
      if (map === undefined) return fail({ kind: 'operator', operator: opName(n) }, depth);
      const via = (k: number) => (map.length > 0 ? map[k]! : k);
      const own = conjunctEqualities(list(n.expressions));
      const filtered = new Set(list(n.expressions).flatMap((e) => (refIndex(e) === undefined ? [] : [refIndex(e)!])));
      const down = map.length > 0 || filtered.size === 0 ? ctx : { ...ctx, filtered };
      return prove(c0!, key.map(via), [...own, ...eqs.map(([a, b]) => [via(a), via(b)] as [number, number])], down, d);
    }
    case 'LOGICAL_ORDER_BY':
      // Sorting reorders rows; it neither adds nor drops any. Its own projections would re-map columns: unmodelled.
      if (list(n.projections).length > 0) return fail({ kind: 'operator', operator: opName(n) }, depth);
      return prove(c0!, key, [], ctx, d);
    case 'LOGICAL_LIMIT':
    case 'LOGICAL_TOP_N':
    case 'LOGICAL_SAMPLE':
      return fail({ kind: 'limit' }, depth);
    case 'LOGICAL_DISTINCT': {
      // DISTINCT compares whole rows (its targets are every column), DISTINCT ON its targets: both group rows,
      // which stays within one key exactly when the key is among the targets.
      const targets = list(n.distinct_targets).map(refIndex);
      if (!key.every((k) => targets.includes(k))) return fail({ kind: 'aggregate_without_key' }, depth);
      return prove(c0!, key, [], ctx, d);
    }
    case 'LOGICAL_AGGREGATE_AND_GROUP_BY': {
      const groups = list(n.groups);
      if (groups.length === 0) return fail({ kind: 'aggregate_without_key' }, depth);
      const bad = key.findIndex((k) => k >= groups.length);
      if (bad >= 0) return notPassed(bad);
      // GROUPING SETS / ROLLUP / CUBE: a set without the key makes rows summing over every key.
      const sets = list(n.grouping_sets).map(ints);
      if (sets.some((s) => s === undefined || !key.every((k) => s.includes(k)))) return fail({ kind: 'aggregate_without_key' }, depth);
      const down = key.map((k) => refIndex(groups[k]));
      const computed = down.findIndex((x) => x === undefined);
      if (computed >= 0) return notPassed(computed);
      return prove(c0!, down as number[], [], ctx, d);
    }
    case 'LOGICAL_WINDOW':
    case 'LOGICAL_UNNEST': {
      const childWidth = arity(c0!);
      const bad = key.findIndex((k) => k >= childWidth);
      if (bad >= 0) return notPassed(bad);
      if (n.type === 'LOGICAL_WINDOW') {
        for (const w of objs(n.expressions)) {
          const parts = list(w.partitions).map(refIndex);
          if (w.expression_class !== 'BOUND_WINDOW' || !key.every((k) => parts.includes(k)))
            return fail({ kind: 'window_without_key' }, depth);
        }
      }
      return prove(c0!, key, [], ctx, d);
    }
    case 'LOGICAL_UNION':
    case 'LOGICAL_EXCEPT':
    case 'LOGICAL_INTERSECT': {
      // Set operations line their branches up by position, and compare whole rows (the key included).
      for (const c of kids(n)) {
        const r = prove(c, key, [], ctx, d);
        if (r) return r;
      }
      return undefined;
    }
    case 'LOGICAL_MATERIALIZED_CTE': {
      const [def, body] = kids(n);
      if (!def || !body) return fail({ kind: 'operator', operator: opName(n) }, depth);
      const ctes = new Map(ctx.ctes).set(Number(n.table_index), def);
      return prove(body, key, [], { ...ctx, ctes }, d);
    }
    case 'LOGICAL_CTE_REF': {
      const def = ctx.ctes.get(Number(n.cte_index));
      if (!def) return fail({ kind: 'operator', operator: opName(n) }, depth);
      return prove(def, key, [], ctx, d);
    }
    case 'LOGICAL_GET':
      return scan(n, key, ctx, depth);
    case 'LOGICAL_DELIM_GET': {
      // The outer rows' correlated values: the key itself, when the subquery is correlated on it.
      const delim = ctx.delim;
      if (!delim) return fail({ kind: 'operator', operator: opName(n) }, depth);
      return key.every((k, i) => delim[i] === k) ? undefined : fail({ kind: 'subquery' }, depth);
    }
    case 'LOGICAL_COMPARISON_JOIN':
    case 'LOGICAL_DELIM_JOIN':
    case 'LOGICAL_ASOF_JOIN':
    case 'LOGICAL_ANY_JOIN':
    case 'LOGICAL_CROSS_PRODUCT':
      return proveJoin(n, key, eqs, outer, depth, prove);
    case 'LOGICAL_DUMMY_SCAN':
    case 'LOGICAL_EXPRESSION_GET':
    case 'LOGICAL_EMPTY_RESULT':
      // Constant rows (VALUES, SELECT without FROM): the key comes from no input.
      return notPassed(0);
    default:
      return fail({ kind: 'operator', operator: opName(n) }, depth);
  }
};

/** A scan: each key column must be a real column of an input table, the same one at every scan of it. */
function scan(n: Obj, key: readonly number[], ctx: Ctx, depth: number): Failure | undefined {
  const fd = isObj(n.function_data) ? n.function_data : undefined;
  const table = typeof fd?.table === 'string' ? `${String(fd.schema ?? 'main')}.${fd.table}`.toLowerCase() : undefined;
  const ds = table !== undefined ? ctx.byTable.get(table) : undefined;
  // A table function (read_csv, range, …) or a table that is not an input: not a dataset the refresh can restrict.
  if (ds === undefined) return fail({ kind: 'operator', operator: String(n.name ?? 'scan') }, depth);
  const names = list(n.names).map(String);
  const cols = ints(list(n.column_indexes).map((c) => (isObj(c) ? c.index : NaN)));
  const ids = ints(n.projection_ids);
  if (!cols || !ids) return fail({ kind: 'operator', operator: opName(n) }, depth);
  const columns: string[] = [];
  for (const [i, k] of key.entries()) {
    const c = cols[ids.length > 0 ? ids[k]! : k];
    // Past the table's columns sit virtual ones (rowid): not a key a change can name.
    if (c === undefined || c >= names.length) return fail({ kind: 'not_passed_through', column: ctx.names[i]!, input: ds }, depth);
    columns.push(names[c]!);
  }
  const seen = ctx.scans.get(ds);
  if (seen && seen.some((c, i) => c !== columns[i])) {
    const i = seen.findIndex((c, j) => c !== columns[j]);
    return fail({ kind: 'not_passed_through', column: ctx.names[i]!, input: ds }, depth);
  }
  ctx.scans.set(ds, columns);
  return undefined;
}
