/**
 * Key-scoped tasks and per-key Delta changes for the differential generator (issue 15, "Correctness";
 * see differential.ts for the harness). The shapes read Delta sources (key column `k`) and each other's
 * outputs, so chains refresh from upstream change rows; most are key-scoped on `k` by the proof
 * (projection + filter, GROUP BY k, equi-joins on k — inner and left, UNION ALL, windows PARTITION BY
 * k), a few must be refused (LIMIT, a window over everything, a join on `g` under a declared `@key k`).
 * The per-key steps are in differentialKeyedSteps.ts.
 */
import type { ProjectModel, Rand } from './differential.js';

type AggFn = 'sum' | 'max' | 'min' | 'count';
export type KeyDecl = false | 'k' | 'k, g';
type KPred = { col: 'v'; op: '>' | '<=' | '<>'; c: number } | { col: 'g'; op: '<>' | '='; c: string };

/**
 * A key-scoped (or deliberately not) task shape; `declare` adds `-- @key k` or the composite
 * `-- @key k, g` (proven where g passes through too, refused where it is computed: GROUP BY k's max(g)).
 */
export type KeyedShape = { kind: 'keyed'; declare: KeyDecl } & (
  | { op: 'proj'; from: string; shift: number; pred: KPred }
  | { op: 'agg'; from: string; by: 'k' | 'kg'; fn: AggFn; having: number | null }
  | { op: 'join'; left: string; right: string; how: 'inner' | 'left'; by: 'k' | 'kg'; fn: 'max' | 'count'; keyFrom: 'a' | 'b' }
  | { op: 'union'; a: string; b: string; pred: KPred }
  | { op: 'window'; from: string; variant: 'psum' | 'rank' | 'count' }
  /** Refused by the proof: LIMIT; a window over all rows; a join on g (with `@key k`, declare is forced). */
  | { op: 'limit'; from: string; n: number }
  | { op: 'window_all'; from: string }
  | { op: 'join_g'; left: string; right: string }
);

export const GROUPS = ['a', 'b', 'c', 'd'];
/** Keys of the generator are 0..11; per-key steps may add keys up to here ("new keys"). */
export const KEY_MAX = 14;
const bounded = (e: string) => `((${e}) % 10007)::BIGINT`;
const predSql = (p: KPred) => (p.col === 'g' ? `g ${p.op} '${p.c}'` : `v ${p.op} ${p.c}`);

export function keyedInputs(s: KeyedShape): string[] {
  switch (s.op) {
    case 'join':
    case 'join_g':
      return [s.left, s.right];
    case 'union':
      return [s.a, s.b];
    default:
      return [s.from];
  }
}

/** An upper bound of the output's rows from the inputs' bounds (invalidity's row cap). */
export function keyedBound(s: KeyedShape, ins: readonly number[]): number {
  if (s.op === 'union') return ins[0]! + ins[1]!;
  if (s.op === 'agg') return Math.min(ins[0]!, (KEY_MAX + 1) * (s.by === 'kg' ? GROUPS.length : 1));
  if (s.op === 'limit') return Math.min(ins[0]!, s.n);
  // Joins: the right side is aggregated by its join columns, so a left row matches at most once.
  return ins[0]!;
}

export function keyedClauses(s: KeyedShape): string[] {
  switch (s.op) {
    case 'proj':
      return [`select k, ${s.shift === 0 ? 'v' : bounded(`v + ${s.shift}`)} as v, g`, `from ${s.from}`, `where ${predSql(s.pred)}`];
    case 'agg': {
      const agg = bounded(s.fn === 'count' ? 'count(*)' : `${s.fn}(v)`);
      return [
        s.by === 'kg' ? `select k, g, ${agg} as v, count(*) as n` : `select k, ${agg} as v, max(g) as g, count(*) as n`,
        `from ${s.from}`,
        `group by ${s.by === 'kg' ? 'k, g' : 'k'}`,
        ...(s.having !== null ? [`having count(*) > ${s.having}`] : []),
      ];
    }
    case 'join': {
      const cols = s.by === 'kg' ? 'k, g' : 'k';
      // Inner joins may take the key from either side; a left join's right side is NULL where unmatched.
      const q = s.how === 'inner' ? s.keyFrom : 'a';
      return [
        `select ${q}.k, a.g, ${bounded(`a.v + coalesce(b.v, 0)`)} as v`,
        `from ${s.left} as a`,
        `${s.how} join (select ${cols}, ${s.fn === 'max' ? 'max(v)' : 'count(*)'} as v from ${s.right} group by ${cols}) as b`,
        `on a.k = b.k${s.by === 'kg' ? ' and a.g = b.g' : ''}`,
      ];
    }
    case 'union':
      return [`select k, v, g from ${s.a} where ${predSql(s.pred)}`, 'union all', `select k, ${bounded('v + 1')} as v, g from ${s.b}`];
    case 'window':
      return s.variant === 'psum'
        ? [`select k, g, ${bounded('sum(v) over (partition by k)')} as v`, `from ${s.from}`]
        : s.variant === 'rank'
          ? [`select k, v, g, rank() over (partition by k order by v, g) as rn`, `from ${s.from}`]
          : [`select k, v, g, count(*) over (partition by k, g) as n`, `from ${s.from}`];
    case 'limit':
      return [`select k, v, g`, `from ${s.from}`, `order by k, v, g`, `limit ${s.n}`];
    case 'window_all':
      return [`select k, v, g, count(*) over () as n`, `from ${s.from}`];
    case 'join_g':
      return [
        `select a.k, a.g, ${bounded('a.v + coalesce(b.v, 0)')} as v`,
        `from ${s.left} as a`,
        `left join (select g, max(v) as v from ${s.right} group by g) as b`,
        'on a.g = b.g',
      ];
  }
}

/** The header line of a declared key, or none. */
export const keyedHeader = (s: KeyedShape): string | undefined => s.declare || undefined;

const keyedOutputs = (m: ProjectModel): string[] => {
  const outs = new Set(m.tasks.map((t) => t.output));
  return [...outs].filter((o) => {
    const ps = m.tasks.filter((t) => t.output === o);
    return ps.every((t) => t.shape.kind === 'keyed' && !t.extra?.length);
  });
};

/** Delta sources first, then outputs of key-scoped tasks (chains), sometimes whatever `fallback` picks. */
function pickKeyedInput(r: Rand, m: ProjectModel, fallback: () => string, exclude?: string): string {
  const deltas = m.sources.filter((s) => s.delta).map((s) => s.name);
  const outs = keyedOutputs(m).filter((o) => o !== exclude);
  const x = r.float();
  if (outs.length > 0 && (x < 0.5 || deltas.length === 0)) return r.chance(0.6) ? outs[outs.length - 1]! : r.pick(outs);
  if (deltas.length > 0 && x < 0.9) return r.pick(deltas);
  return fallback();
}

function randomKPred(r: Rand): KPred {
  return r.chance(0.6)
    ? { col: 'v', op: r.pick(['>', '<=', '<>'] as const), c: r.int(-2, 30) }
    : { col: 'g', op: r.pick(['<>', '='] as const), c: r.pick(GROUPS) };
}

/** A random key-scoped shape (about one in eight refused by design). */
export function randomKeyedShape(r: Rand, m: ProjectModel, fallback: () => string): KeyedShape {
  const input = () => pickKeyedInput(r, m, fallback);
  const d = r.weighted({ none: 6, k: 2, kg: 1.5 });
  const declare: KeyDecl = d === 'none' ? false : d === 'k' ? 'k' : 'k, g';
  const op = r.weighted({ proj: 3, agg: 3, join: 3, union: 2, window: 2, limit: 0.5, window_all: 0.5, join_g: 0.5 });
  switch (op) {
    case 'proj':
      return { kind: 'keyed', declare, op, from: input(), shift: r.chance(0.3) ? 0 : r.int(1, 9), pred: randomKPred(r) };
    case 'agg':
      return {
        kind: 'keyed',
        declare,
        op,
        from: input(),
        by: r.pick(['k', 'kg'] as const),
        fn: r.pick(['sum', 'max', 'min', 'count'] as const),
        having: r.chance(0.3) ? r.int(0, 2) : null,
      };
    case 'join':
      return {
        kind: 'keyed',
        declare,
        op,
        left: input(),
        right: input(),
        how: r.pick(['inner', 'left'] as const),
        by: r.pick(['k', 'kg'] as const),
        fn: r.pick(['max', 'count'] as const),
        keyFrom: r.pick(['a', 'b'] as const),
      };
    case 'union':
      return { kind: 'keyed', declare, op, a: input(), b: input(), pred: randomKPred(r) };
    case 'window':
      return { kind: 'keyed', declare, op, from: input(), variant: r.pick(['psum', 'rank', 'count'] as const) };
    case 'limit':
      return { kind: 'keyed', declare, op, from: input(), n: r.int(3, 20) };
    case 'window_all':
      return { kind: 'keyed', declare, op, from: input() };
    case 'join_g':
      // Without `@key k` the proof would find the key g (the join's column, in the output): declare k.
      return { kind: 'keyed', declare: 'k', op, left: input(), right: input() };
  }
}

/** A semantic edit of one parameter (the harness checks the SQL changed and the model stays valid). */
export function editKeyedShape(r: Rand, s: KeyedShape, reroute: (cur: string) => string): void {
  switch (s.op) {
    case 'proj':
      if (r.chance(0.5)) s.pred = randomKPred(r);
      else if (r.chance(0.5)) s.shift = (s.shift + r.int(1, 5)) % 10;
      else s.from = reroute(s.from);
      break;
    case 'agg':
      if (r.chance(0.4)) s.fn = r.pick(['sum', 'max', 'min', 'count'] as const);
      else if (r.chance(0.5)) s.having = s.having === null ? r.int(0, 2) : null;
      else s.from = reroute(s.from);
      break;
    case 'join':
      if (r.chance(0.3)) s.how = s.how === 'left' ? 'inner' : 'left';
      else if (r.chance(0.3)) s.by = s.by === 'k' ? 'kg' : 'k';
      else if (r.chance(0.3)) s.fn = s.fn === 'max' ? 'count' : 'max';
      else if (r.chance(0.5)) s.left = reroute(s.left);
      else s.right = reroute(s.right);
      break;
    case 'union':
      if (r.chance(0.5)) s.pred = randomKPred(r);
      else s.b = reroute(s.b);
      break;
    case 'window':
      s.variant = r.pick(['psum', 'rank', 'count'] as const);
      break;
    case 'limit':
      s.n = s.n + r.int(1, 5);
      break;
    case 'window_all':
    case 'join_g':
      s.declare = s.declare === false || s.op === 'join_g' ? 'k' : false;
      if (s.op === 'window_all') s.from = reroute(s.from);
      else s.right = reroute(s.right);
      break;
  }
}
