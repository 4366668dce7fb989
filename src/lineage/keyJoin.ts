import {
  arity,
  conjunctEqualities,
  ints,
  isObj,
  objs,
  joinEqualities,
  joinType,
  joinWidths,
  kids,
  list,
  looksLikeScalarSubquery,
  opName,
  refIndex,
  type Obj,
} from './keyPlan.js';
import type { Ctx, Failure, Prove } from './keyProve.js';
import { closure, knownEqualities } from './keyEqs.js';

/** Which sides of a join keep every row of theirs (the other side's columns may be NULL-extended). */
const PRESERVED: Record<string, readonly ('L' | 'R')[]> = {
  inner: ['L', 'R'],
  cross: ['L', 'R'],
  left: ['L'],
  single: ['L'],
  right: ['R'],
  full: [],
  outer: [],
  semi: ['L'],
  anti: ['L'],
  mark: ['L'],
  right_semi: ['R'],
  right_anti: ['R'],
};
/** Joins that only the planning of a subquery (IN, EXISTS, ANY, a scalar subquery) produces. */
const FROM_SUBQUERY = new Set(['mark', 'single']);
/** Enough alternatives for a key that several equalities name; the proof is cheap but not free. */
const MAX_TRIES = 16;

/**
 * A join is key-scoped when, for every key column, its condition equates that column on one side with a
 * column on the other (then each output row pairs rows of one key), the key column comes from a side
 * whose rows are kept (an outer join's other side is NULL where unmatched), and both sides are key-scoped
 * on those columns. Positions: left child 0…Lc-1, right child Lc…, as a comparison join's output is.
 */
export function proveJoin(
  n: Obj,
  key: readonly number[],
  eqs: readonly [number, number][],
  outer: Ctx,
  depth: number,
  prove: Prove,
): Failure | undefined {
  const filtered = outer.filtered;
  const ctx: Ctx = { ...outer, filtered: undefined };
  const fail = (reason: Failure['reason'], at = depth): Failure => ({ reason, depth: at });
  const [l, r] = kids(n);
  const t = joinType(n);
  const delim = n.type === 'LOGICAL_DELIM_JOIN';
  const preserved = PRESERVED[t];
  const lmap = ints(n.left_projection_map ?? []);
  const rmap = ints(n.right_projection_map ?? []);
  if (!l || !r || !preserved || !lmap || !rmap || kids(n).length !== 2) return fail({ kind: 'operator', operator: opName(n) });
  // A decorrelated subquery inside another one, or one whose sides were swapped: not modelled.
  if (delim && (n.delim_flipped === true || ctx.delim !== undefined)) return fail({ kind: 'operator', operator: opName(n) });
  const lc = arity(l);
  const { left: lw } = joinWidths(n);
  // IN (subquery) is a MARK join whose `=` is NULL, not false, where the subquery has a NULL key: that one row
  // of another key (NULL) turns NOT IN false for every key. Safe when the mark is only kept where TRUE
  // (WHERE x IN …), or when the equality is IS NOT DISTINCT FROM (EXISTS, correlated subqueries).
  if (t === 'mark' && !filtered?.has(lw) && objs(n.conditions).some((c) => c.comparison === 'COMPARE_EQUAL')) {
    return fail({ kind: 'subquery' });
  }
  const at = (p: number): ['L' | 'R', number] | undefined => {
    if (t === 'right_semi' || t === 'right_anti') return ['R', rmap.length > 0 ? rmap[p]! : p];
    if (p < lw) return ['L', lmap.length > 0 ? lmap[p]! : p];
    if (t === 'mark' || t === 'semi' || t === 'anti') return undefined;
    return ['R', rmap.length > 0 ? rmap[p - lw]! : p - lw];
  };

  // Equalities over the children's positions (right shifted by lc), closed under transitivity.
  const pairs: [number, number][] = joinEqualities(n).map(([a, b]) => [a, lc + b]);
  if (n.type === 'LOGICAL_ANY_JOIN') pairs.push(...conjunctEqualities([n.condition ?? null]));
  const inner = t === 'inner' || t === 'cross';
  // A filter above an inner join or a cross product restricts pairs of rows: its equalities are join conditions.
  if (inner && lmap.length === 0 && rmap.length === 0) pairs.push(...eqs);
  // Columns equal within one side (an earlier join's condition) let a later condition on either stand for the key.
  pairs.push(...knownEqualities(l), ...knownEqualities(r).map(([a, b]) => [a + lc, b + lc] as [number, number]));
  const find = closure(pairs);
  const members = [...new Set(pairs.flat())].sort((a, b) => a - b);

  const options: { left: number; right: number }[][] = [];
  for (const [i, k] of key.entries()) {
    const place = at(k);
    if (place === undefined) return fail({ kind: 'not_passed_through', column: ctx.names[i]! });
    const [sideOf, pos] = place;
    if (!preserved.includes(sideOf)) return fail({ kind: 'join_not_on_key', join: t, nullable: true });
    if (delim && sideOf !== 'L') return fail({ kind: 'subquery' });
    // An uncorrelated scalar subquery is one value computed over every key, even when compared with the key.
    if (t === 'cross' && looksLikeScalarSubquery(sideOf === 'L' ? r : l)) return fail({ kind: 'subquery' });
    const self = sideOf === 'L' ? pos : lc + pos;
    const partners = members.filter((m) => m !== self && (sideOf === 'L' ? m >= lc : m < lc) && find(m) === find(self));
    if (partners.length === 0) {
      const sub = delim || FROM_SUBQUERY.has(t);
      const on = equatedNames(n);
      return fail(sub ? { kind: 'subquery' } : { kind: 'join_not_on_key', join: t, ...(on.length > 0 ? { on } : {}) });
    }
    options.push(partners.map((m) => (sideOf === 'L' ? { left: pos, right: m - lc } : { left: m, right: pos })));
  }
  // Side-local equalities (from a filter above) still matter below: a nested cross product needs its own.
  const within = (lo: number, hi: number, shift: number) =>
    inner
      ? pairs.filter(([a, b]) => a >= lo && a < hi && b >= lo && b < hi).map(([a, b]) => [a - shift, b - shift] as [number, number])
      : [];
  const rc = arity(r);
  const leftEqs = within(0, lc, 0);
  const rightEqs = within(lc, lc + rc, lc);
  const dup = list(n.duplicate_eliminated_columns).map(refIndex);

  let worst: Failure | undefined;
  let tries = 0;
  const combos = (i: number, acc: { left: number; right: number }[]): Failure | undefined => {
    if (i < options.length) {
      let last: Failure | undefined;
      for (const o of options[i]!) {
        if (tries >= MAX_TRIES) break;
        last = combos(i + 1, [...acc, o]);
        if (last === undefined) return undefined;
      }
      return last ?? fail({ kind: 'operator', operator: opName(n) });
    }
    tries++;
    const snapshot = new Map(ctx.scans);
    const lk = acc.map((o) => o.left);
    const rk = acc.map((o) => o.right);
    const rctx: Ctx = delim ? { ...ctx, delim: lk.map((p) => dup.indexOf(p)) } : ctx;
    const res = prove(l, lk, leftEqs, ctx, depth + 1) ?? prove(r, rk, rightEqs, rctx, depth + 1);
    if (res === undefined) return undefined;
    ctx.scans.clear();
    snapshot.forEach((v, k) => ctx.scans.set(k, v));
    if (!worst || res.depth > worst.depth) worst = res;
    return worst;
  };
  return combos(0, []);
}

/** The column names a join's equi-conditions compare (DuckDB keeps each reference's name as its alias). */
function equatedNames(n: Obj): string[] {
  const names = objs(n.conditions)
    .filter((c) => (c.comparison === 'COMPARE_EQUAL' || c.comparison === 'COMPARE_NOT_DISTINCT_FROM') && refIndex(c.right) !== undefined)
    .filter((c) => refIndex(c.left) !== undefined)
    .map((c) => (isObj(c.left) ? String(c.left.alias ?? '') : ''))
    .map((a) => a.split('.').pop()!);
  return names.every((a) => a !== '') ? [...new Set(names)] : [];
}
