import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import { physicalName } from '../catalog/names.js';
import { describeMany } from './plan.js';
import { isObj, arity, type Json, type Obj } from './keyPlan.js';
import { proveKey, type Failure } from './keyProve.js';
import type { Column } from './types.js';

/** Why a task is not key-scoped on a key, as data (printed by src/format/keys.ts). */
export type KeyRefusal =
  /** The key is not carried unchanged from every scan of every input (`input`: the dataset where it is lost). */
  | { kind: 'not_passed_through'; column: string; input?: string }
  /**
   * A join ('inner', 'left', 'cross', …) whose condition lacks the key; `on`: the columns it equates instead;
   * `nullable`: the key comes from the side of an outer join that is NULL where rows do not match.
   */
  | { kind: 'join_not_on_key'; join: string; on?: string[]; nullable?: boolean }
  | { kind: 'aggregate_without_key' }
  | { kind: 'window_without_key' }
  | { kind: 'limit' }
  /** A subquery (IN, EXISTS, scalar) not correlated on the key: it reads rows of other keys. */
  | { kind: 'subquery' }
  /** A plan operator the proof does not model (a recursive CTE, a table function, …). */
  | { kind: 'operator'; operator: string }
  | { kind: 'no_input' }
  /** `-- @key` names a column the output lacks. */
  | { kind: 'unknown_column'; column: string }
  /** DuckDB could not serialize the plan (its message). */
  | { kind: 'plan_unavailable'; message: string };

export interface ProvenKey {
  /** Output columns, in declared order (or the single inferred column). */
  columns: string[];
  /** Per input dataset (the keys of `inputs`), the input column each key column equals, same order. */
  inputs: Record<string, string[]>;
}

export interface KeyProof {
  /** Proven single-column keys (inferred), sorted by column name, plus the declared key when proven (first). */
  keys: ProvenKey[];
  /** The `-- @key` columns, when declared, and the result of proving them. */
  declared?: { columns: string[]; proven: boolean; reason?: KeyRefusal };
  /** Why no single column is a key, when `keys` is empty (the most telling refusal: the one found deepest in the plan). */
  reason?: KeyRefusal;
}

export interface KeyItem {
  sql: string;
  inputs: ReadonlyMap<string, readonly Column[]>;
  declared?: readonly string[];
  /** The output columns when the caller knows them (lineage does); otherwise they are described here. */
  output?: readonly Column[];
}

/** A serialized plan, or DuckDB's message where the serializer cannot handle the query. */
export type KeyPlan = { plans: Json } | { error: string };

/**
 * The unoptimized plans of many queries in ONE DuckDB call. Unoptimized, because over empty stub tables
 * the optimizer folds whole queries to LOGICAL_EMPTY_RESULT (statistics say no rows), and because the
 * unoptimized plan keeps the SQL's own structure: the joins, groups and windows the proof judges.
 */
export async function serializePlans(conn: DuckDBConnection, sqls: readonly string[]): Promise<KeyPlan[]> {
  if (sqls.length === 0) return [];
  const r = await conn.runAndReadAll(
    `SELECT i::INTEGER, json_serialize_plan(l[i], optimize := false) FROM (SELECT $1::VARCHAR[] AS l), range(1, len(l) + 1) r(i)`,
    [listValue([...sqls])],
  );
  const out = new Array<KeyPlan>(sqls.length).fill({ error: 'no plan' });
  for (const [i, j] of r.getRows() as [number, string][]) {
    const p = JSON.parse(j) as Obj;
    out[i - 1] = p.error ? { error: String(p.error_message ?? p.error_type ?? 'error') } : { plans: p.plans ?? null };
  }
  return out;
}

/** Key proofs for many queries: one call to serialize their plans (and one to describe those without `output`). */
export async function proveKeysMany(conn: DuckDBConnection, items: readonly KeyItem[]): Promise<KeyProof[]> {
  const plans = await serializePlans(
    conn,
    items.map((x) => x.sql),
  );
  const need = items.flatMap((x, i) => (x.output ? [] : [i]));
  const described = await describeMany(
    conn,
    need.map((i) => items[i]!.sql),
  );
  const outputs = items.map((x) => x.output?.map((c) => c.name));
  need.forEach((i, k) => {
    const d = described[k]!;
    outputs[i] = d instanceof Error ? [] : d.map((c) => c.name);
  });
  return items.map((x, i) => proveKeys(plans[i]!, x.inputs, outputs[i]!, x.declared));
}

const better = (a: Failure, b: Failure | undefined) =>
  b === undefined ||
  a.depth > b.depth ||
  (a.depth === b.depth && a.reason.kind !== 'not_passed_through' && b.reason.kind === 'not_passed_through');

/** The proof over one plan: every output column as a candidate, and the declared key. */
export function proveKeys(
  plan: KeyPlan,
  inputs: ReadonlyMap<string, readonly Column[]>,
  output: readonly string[],
  declared?: readonly string[],
): KeyProof {
  const decl = declared ? [...declared] : undefined;
  const refuse = (reason: KeyRefusal): KeyProof => ({
    keys: [],
    ...(decl ? { declared: { columns: decl, proven: false, reason } } : {}),
    reason,
  });
  if ('error' in plan) return refuse({ kind: 'plan_unavailable', message: String(plan.error) });
  const roots = Array.isArray(plan.plans) ? plan.plans.filter(isObj) : [];
  const root = roots[0];
  if (roots.length !== 1 || !root) return refuse({ kind: 'operator', operator: 'plans' });
  // The model of operator widths must agree with DuckDB's output: if it does not, nothing below is trusted.
  if (arity(root) !== output.length) return refuse({ kind: 'operator', operator: String(root.type).replace(/^LOGICAL_/, '') });
  if (inputs.size === 0) return refuse({ kind: 'no_input' });

  const byTable = new Map<string, string>();
  for (const ds of inputs.keys()) byTable.set(physicalName(ds).join('.').toLowerCase(), ds);
  const prove = (positions: number[]) => {
    const r = proveKey(
      root,
      positions,
      positions.map((p) => output[p]!),
      byTable,
    );
    if ('reason' in r) return r;
    const missing = [...inputs.keys()].sort().find((ds) => !r.scans.has(ds));
    if (missing !== undefined)
      return { reason: { kind: 'not_passed_through', column: output[positions[0]!]!, input: missing }, depth: 0 } satisfies Failure;
    const key: ProvenKey = { columns: positions.map((p) => output[p]!), inputs: {} };
    for (const ds of [...inputs.keys()].sort()) key.inputs[ds] = r.scans.get(ds)!;
    return key;
  };

  const firstAt = new Map<string, number>();
  output.forEach((name, i) => {
    if (!firstAt.has(name.toLowerCase())) firstAt.set(name.toLowerCase(), i);
  });
  const keys: ProvenKey[] = [];
  let worst: Failure | undefined;
  for (const [, i] of firstAt) {
    const r = prove([i]);
    if ('reason' in r) {
      if (better(r, worst)) worst = r;
    } else keys.push(r);
  }
  keys.sort((a, b) => (a.columns[0]! < b.columns[0]! ? -1 : a.columns[0]! > b.columns[0]! ? 1 : 0));

  let declaredResult: KeyProof['declared'];
  if (decl) {
    const positions = decl.map((c) => firstAt.get(c.toLowerCase()));
    const unknown = decl.find((_, i) => positions[i] === undefined);
    if (unknown !== undefined) {
      declaredResult = { columns: decl, proven: false, reason: { kind: 'unknown_column', column: unknown } };
    } else {
      const r = prove(positions as number[]);
      if ('reason' in r) declaredResult = { columns: decl, proven: false, reason: r.reason };
      else {
        declaredResult = { columns: decl, proven: true };
        const same = (k: ProvenKey) => k.columns.length === r.columns.length && k.columns.every((c, i) => c === r.columns[i]);
        const rest = keys.filter((k) => !same(k));
        keys.splice(0, keys.length, r, ...rest);
      }
    }
  }
  return {
    keys,
    ...(declaredResult ? { declared: declaredResult } : {}),
    ...(keys.length === 0 && worst ? { reason: worst.reason } : {}),
  };
}
