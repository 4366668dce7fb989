/**
 * Reading DuckDB's serialized logical plan (`json_serialize_plan(sql, optimize := false)`) for the key proof
 * (keyProve.ts): the shapes of its operators and expressions. In this plan every column reference is a
 * `BOUND_REF`, a position in the operator's input (for a join, the left child's columns then the right's),
 * so following a column down the tree needs each operator's output width — `arity` below.
 */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = { [k: string]: Json };

export const isObj = (v: Json | undefined): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
export const list = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
export const objs = (v: Json | undefined): Obj[] => list(v).filter(isObj);
export const kids = (n: Obj): Obj[] => objs(n.children);
export const opName = (n: Obj): string => String(n.type ?? '').replace(/^LOGICAL_/, '');

/** The input position an expression is, when it is a bare column reference; undefined for anything computed. */
export function refIndex(e: Json | undefined): number | undefined {
  if (!isObj(e) || e.expression_class !== 'BOUND_REF') return undefined;
  const i = Number(e.index);
  return Number.isInteger(i) && i >= 0 ? i : undefined;
}

/** Integer lists (projection maps, projection ids, grouping sets); undefined when an entry is not a number. */
export function ints(v: Json | undefined): number[] | undefined {
  const out = list(v).map(Number);
  return out.every((x) => Number.isInteger(x) && x >= 0) ? out : undefined;
}

const EQUAL = new Set(['COMPARE_EQUAL', 'COMPARE_NOT_DISTINCT_FROM']);

/** `a = b` (or IS NOT DISTINCT FROM) between two bare references, as a pair of positions. */
export function equality(e: Json | undefined): [number, number] | undefined {
  if (!isObj(e) || e.expression_class !== 'BOUND_COMPARISON' || !EQUAL.has(String(e.type))) return undefined;
  const l = refIndex(e.left);
  const r = refIndex(e.right);
  return l !== undefined && r !== undefined ? [l, r] : undefined;
}

/** The equalities among the conjuncts of a predicate (AND flattened); other conjuncts only filter rows. */
export function conjunctEqualities(exprs: readonly Json[]): [number, number][] {
  const out: [number, number][] = [];
  const visit = (e: Json) => {
    if (isObj(e) && e.expression_class === 'BOUND_CONJUNCTION' && e.type === 'CONJUNCTION_AND') return list(e.children).forEach(visit);
    const eq = equality(e);
    if (eq) out.push(eq);
  };
  exprs.forEach(visit);
  return out;
}

/**
 * A comparison join's equi-conditions as [left position, right position]: each side's reference is a
 * position in that side's child.
 */
export function joinEqualities(n: Obj): [number, number][] {
  const out: [number, number][] = [];
  for (const c of objs(n.conditions)) {
    if (!EQUAL.has(String(c.comparison))) continue;
    const l = refIndex(c.left);
    const r = refIndex(c.right);
    if (l !== undefined && r !== undefined) out.push([l, r]);
  }
  return out;
}

export const joinType = (n: Obj): string => (n.type === 'LOGICAL_CROSS_PRODUCT' ? 'cross' : String(n.join_type ?? 'unknown').toLowerCase());

/** Output width of the part of a join that a child contributes (its projection map, else all of it). */
function side(n: Obj, child: Obj | undefined, mapKey: string): number {
  const map = ints(n[mapKey]);
  if (map === undefined) return NaN;
  return map.length > 0 ? map.length : child ? arity(child) : NaN;
}

export function joinWidths(n: Obj): { left: number; right: number } {
  const [l, r] = kids(n);
  return { left: side(n, l, 'left_projection_map'), right: side(n, r, 'right_projection_map') };
}

/**
 * Output width of an operator; NaN for one this module does not model (the proof then refuses). Kept on the
 * node (the plan is parsed for the proof alone): each candidate key asks it again at every join.
 */
export function arity(n: Obj): number {
  const memo = n[WIDTH];
  if (typeof memo === 'number') return memo;
  const w = width(n);
  n[WIDTH] = w;
  return w;
}
const WIDTH = '\u0000width';

function width(n: Obj): number {
  const [c0, c1] = kids(n);
  const child = () => (c0 ? arity(c0) : NaN);
  const len = (k: string) => list(n[k]).length;
  switch (n.type) {
    case 'LOGICAL_GET':
      return len('projection_ids') > 0 ? len('projection_ids') : len('column_indexes');
    case 'LOGICAL_PROJECTION':
      return len('expressions');
    case 'LOGICAL_FILTER':
      return len('projection_map') > 0 ? len('projection_map') : child();
    case 'LOGICAL_AGGREGATE_AND_GROUP_BY':
      return len('groups') + len('expressions') + len('grouping_functions');
    case 'LOGICAL_WINDOW':
    case 'LOGICAL_UNNEST':
      return child() + len('expressions');
    case 'LOGICAL_ORDER_BY':
      return len('projections') > 0 ? len('projections') : child();
    case 'LOGICAL_DISTINCT':
    case 'LOGICAL_LIMIT':
    case 'LOGICAL_SAMPLE':
    case 'LOGICAL_TOP_N':
      return child();
    case 'LOGICAL_UNION':
    case 'LOGICAL_EXCEPT':
    case 'LOGICAL_INTERSECT':
    case 'LOGICAL_RECURSIVE_CTE':
      return Number(n.column_count);
    case 'LOGICAL_MATERIALIZED_CTE':
      return c1 ? arity(c1) : NaN;
    case 'LOGICAL_CTE_REF':
    case 'LOGICAL_DELIM_GET':
      return len('chunk_types');
    case 'LOGICAL_EXPRESSION_GET':
      return len('expr_types');
    case 'LOGICAL_EMPTY_RESULT':
      return len('return_types');
    case 'LOGICAL_DUMMY_SCAN':
      return 0;
    case 'LOGICAL_CROSS_PRODUCT':
    case 'LOGICAL_POSITIONAL_JOIN':
      return (c0 ? arity(c0) : NaN) + (c1 ? arity(c1) : NaN);
    case 'LOGICAL_COMPARISON_JOIN':
    case 'LOGICAL_DELIM_JOIN':
    case 'LOGICAL_ASOF_JOIN':
    case 'LOGICAL_ANY_JOIN': {
      const { left, right } = joinWidths(n);
      const t = joinType(n);
      if (t === 'semi' || t === 'anti' || t === 'right_semi' || t === 'right_anti') return t.startsWith('right') ? right : left;
      return t === 'mark' ? left + 1 : left + right;
    }
    default:
      return NaN;
  }
}

/**
 * The right side of a cross product that an uncorrelated scalar subquery plans to: a projection (the
 * "more than one row" check) over an aggregate without groups. Only to name the refusal well.
 */
export function looksLikeScalarSubquery(n: Obj | undefined): boolean {
  const c = n && kids(n)[0];
  return n?.type === 'LOGICAL_PROJECTION' && c?.type === 'LOGICAL_AGGREGATE_AND_GROUP_BY' && list(c.groups).length === 0;
}
