import { arity, conjunctEqualities, ints, joinEqualities, joinType, kids, list, refIndex, type Obj } from './keyPlan.js';

/**
 * Pairs of output positions of `n` that hold equal values in every row, as far as the plan shows (equi-join
 * conditions, WHERE a = b, a column selected twice). A later join may then be on any of them: in
 * `f JOIN g ON f.path = g.path JOIN h ON h.path = g.path` the second join is on f.path too.
 * Under-approximate: a missed pair only makes the proof refuse.
 */
export function knownEqualities(n: Obj): [number, number][] {
  const [c0, c1] = kids(n);
  switch (n.type) {
    case 'LOGICAL_PROJECTION': {
      const refs = list(n.expressions).map(refIndex);
      const same = closure(c0 ? knownEqualities(c0) : []);
      const out: [number, number][] = [];
      for (let i = 0; i < refs.length; i++) {
        for (let j = i + 1; j < refs.length; j++) {
          const [a, b] = [refs[i], refs[j]];
          if (a !== undefined && b !== undefined && (a === b || same(a) === same(b))) out.push([i, j]);
        }
      }
      return out;
    }
    case 'LOGICAL_FILTER':
      return list(n.projection_map).length > 0 || !c0 ? [] : [...knownEqualities(c0), ...conjunctEqualities(list(n.expressions))];
    case 'LOGICAL_ORDER_BY':
      return list(n.projections).length > 0 || !c0 ? [] : knownEqualities(c0);
    case 'LOGICAL_DISTINCT':
    case 'LOGICAL_LIMIT':
    case 'LOGICAL_SAMPLE':
    case 'LOGICAL_WINDOW':
    case 'LOGICAL_UNNEST':
      return c0 ? knownEqualities(c0) : [];
    case 'LOGICAL_AGGREGATE_AND_GROUP_BY': {
      // Grouping sets put NULL in the columns a set leaves out: equal columns may then differ.
      if (list(n.grouping_sets).length > 1 || !c0) return [];
      const refs = list(n.groups).map(refIndex);
      const same = closure(knownEqualities(c0));
      const out: [number, number][] = [];
      refs.forEach((a, i) =>
        refs.forEach((b, j) => {
          if (i < j && a !== undefined && b !== undefined && same(a) === same(b)) out.push([i, j]);
        }),
      );
      return out;
    }
    case 'LOGICAL_CROSS_PRODUCT':
    case 'LOGICAL_COMPARISON_JOIN': {
      if (!c0 || !c1) return [];
      const t = joinType(n);
      const maps = [...(ints(n.left_projection_map ?? []) ?? [0]), ...(ints(n.right_projection_map ?? []) ?? [0])];
      if (maps.length > 0) return [];
      const left = knownEqualities(c0);
      // Only rows of both sides that matched survive an inner join; an outer join NULL-extends one side.
      if (t === 'semi' || t === 'anti' || t === 'mark' || t === 'left' || t === 'single') return left;
      if (t !== 'inner' && t !== 'cross') return [];
      const lc = arity(c0);
      const shift = ([a, b]: [number, number]): [number, number] => [a + lc, b + lc];
      return [...left, ...knownEqualities(c1).map(shift), ...joinEqualities(n).map(([a, b]) => [a, b + lc] as [number, number])];
    }
    default:
      return [];
  }
}

/** A union-find over positions: `find(x)` names x's class. */
export function closure(pairs: readonly [number, number][]): (x: number) => number {
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    const p = parent.get(x) ?? x;
    if (p === x) return x;
    const root = find(p);
    parent.set(x, root);
    return root;
  };
  for (const [a, b] of pairs) {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) parent.set(ra, rb);
  }
  return find;
}
