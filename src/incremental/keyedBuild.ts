import type { DuckDBConnection } from '@duckdb/node-api';
import { changesTable, countKeysMany, keyCountSelect, refreshKeys } from '../engine/keyed.js';
import type { ContractCheck } from '../engine/contracts.js';
import { deltaKeyedWrite } from '../engine/deltaOutput.js';
import type { MaterializeResult } from '../engine/warehouse.js';
import { tasksOf, type GraphTask, type RelGraph } from '../graph/index.js';
import type { ProvenKey } from '../lineage/keys.js';
import type { Column } from '../lineage/types.js';
import type { Cause, Refresh, Trace } from '../records/types.js';
import { KEYS_TABLE, planRefresh, taskKey, writingMark, type RefreshContext } from './keyedRefresh.js';

export interface OutputWrite {
  /** Where the rows go: the output table, its slice, or (delta) the view over the table. */
  target: string;
  sets: readonly (readonly string[])[];
  schema: readonly Column[];
  contract?: ContractCheck;
  /** The evidence version the output will have if this write changes it. */
  nextVersion: number;
  /** A Delta output: where its tables live and how its view moves. */
  delta?: { outputsDir: string; replaceView: (query: string) => Promise<void> };
}

/**
 * The columns an input's changes come grouped by, when known: a code source's tables change by file
 * (`path`), a partitioned Delta source by partition, an upstream key-scoped output by its chosen key.
 */
export type ChangeKeyOf = (dataset: string) => readonly string[] | undefined;

/** True when, for every input whose change key is known (at least one), the key is carried by exactly those columns. */
function alignedWithInputs(k: ProvenKey, changeKey: ChangeKeyOf | undefined): boolean {
  if (!changeKey) return false;
  let known = 0;
  for (const [ds, cols] of Object.entries(k.inputs)) {
    const ck = changeKey(ds);
    if (!ck) continue;
    if (ck.length !== cols.length || ck.some((c, i) => c !== cols[i])) return false;
    known++;
  }
  return known > 0;
}

export interface Written {
  res: MaterializeResult;
  refresh: Refresh;
  keys?: Trace['keys'];
}

/**
 * Whether some task could refresh by key from `output`'s change rows (keyedRefresh.ts changedKeys):
 * a key-scoped reader one of whose proven keys maps a column of the output. A shared output's slices
 * are never read that way (a consumer needs the output's one producer).
 */
export function hasKeyedReader(g: RelGraph, output: string): boolean {
  return tasksOf(g).some(
    (t) => t.materialize !== 'view' && 'key' in taskKey(t) && (t.keys?.keys ?? []).some((k) => k.inputs[output] !== undefined),
  );
}

/**
 * The key a full write lays its rows out by (a Delta output's files are sorted by it): the key the
 * last full build chose while the proof still holds for it, else the first candidate that follows
 * the inputs' change keys, else the first candidate — the one later keyed refreshes most likely use.
 */
function layoutKey(task: GraphTask, trace: Trace | undefined, changeKey: ChangeKeyOf | undefined): readonly string[] | undefined {
  const keys = task.keys?.keys ?? [];
  const chosen = trace?.keys && keys.find((k) => k.columns.join('\0') === trace.keys!.columns.join('\0'));
  return (chosen ?? keys.find((k) => alignedWithInputs(k, changeKey)) ?? keys[0])?.columns;
}

/** Candidate keys counted at a full build: past this many, the first ones (the proof's order). */
const MAX_CANDIDATES = 16;

/**
 * Writes a task's output by key where planRefresh allows it, else in full (`writeFull`); either
 * way the refresh record says which and why. After a full write of a key-scoped task its keys are
 * counted and, when several columns are proven keys, the one that follows the inputs' change keys
 * (ChangeKeyOf), else the one with the most distinct values, is kept; later refreshes use that key. The
 * change rows of an earlier refresh are dropped, since they no longer lead to the output's version.
 */
export async function writeOutput(
  task: GraphTask,
  causes: readonly Cause[],
  w: OutputWrite,
  ctx: Omit<RefreshContext, 'sets' | 'conn' | 'target'> & {
    conn: DuckDBConnection;
    runId: number;
    changeKey?: ChangeKeyOf;
    /** The relation is in the warehouse (its catalog as of the run's start, plus what the run made). */
    has: (relation: string) => boolean;
  },
  /**
   * Writes the output in full, its rows laid out by `sortBy` where the task is key-scoped; a table
   * output also returns the values of the `extra` aggregates over the new rows (the key counts).
   */
  writeFull: (sortBy?: readonly string[], extra?: readonly string[]) => Promise<MaterializeResult>,
): Promise<Written> {
  const shared = ctx.producers(task.output).length > 1;
  const keyed = 'key' in taskKey(task) && task.materialize !== 'view';
  const plan = await planRefresh(task, causes, {
    ...ctx,
    sets: w.sets,
    target: w.target,
    threshold: ctx.project.config.engine.keyThreshold,
  });
  const changes = shared ? `slice:${task.name}` : task.output;
  // The mark is cleared with the trace (build.ts): still set at the next build means this write may
  // have committed without its trace, so the stored tokens and key count cannot be extended.
  if (keyed) ctx.store.setMeta(writingMark(task.name), String(ctx.runId));
  if (plan.mode === 'keys') {
    // planRefresh chose keys only over a trace that has them.
    const trace = ctx.trace!;
    const before = trace.keys!;
    const delta = w.delta
      ? await deltaKeyedWrite(
          ctx.conn,
          w.delta.outputsDir,
          task.output,
          KEYS_TABLE,
          plan.key.columns,
          ctx.project.deltaCache,
          w.delta.replaceView,
        )
      : undefined;
    const r = await refreshKeys({
      conn: ctx.conn,
      target: w.target,
      output: task.output,
      changes,
      sql: plan.sql,
      keysTable: KEYS_TABLE,
      info: plan.info,
      key: plan.key.columns,
      sets: w.sets,
      schema: w.schema,
      before: trace.outputTokens,
      version: w.nextVersion,
      contract: w.contract,
      changeRows: !shared && hasKeyedReader(ctx.project.graph, task.output),
      ...(plan.old ? { oldTable: plan.old } : {}),
      ...(delta ? { oldRows: delta.oldRows, apply: delta.apply } : {}),
    });
    const rows = before.rows === undefined ? undefined : before.rows + r.dRows;
    return {
      res: { rows, tokens: r.tokens },
      refresh: { mode: 'keys', key: plan.key.columns, keys: plan.keys, of: plan.of, rows: r.inserted },
      keys: { columns: plan.key.columns, count: plan.of + r.dKeys, ...(rows === undefined ? {} : { rows }) },
    };
  }
  // The change rows of an earlier keyed refresh; a table relspec never made (a first build) needs no DROP.
  if (keyed && ctx.has(changesTable(changes))) await ctx.conn.run(`DROP TABLE IF EXISTS ${changesTable(changes)}`);
  const proof = task.keys;
  const candidates: ProvenKey[] =
    !keyed || !proof ? [] : proof.declared?.proven ? proof.keys.slice(0, 1) : proof.keys.slice(0, MAX_CANDIDATES);
  const countSelect = keyCountSelect(candidates.map((k) => k.columns));
  const res = await writeFull(keyed ? layoutKey(task, ctx.trace, ctx.changeKey) : undefined, countSelect);
  const refresh: Refresh = { mode: 'full', reason: plan.reason };
  if (!keyed || !proof) return { res, refresh };
  // Counted in the token scan for a table; a Delta output's view is scanned again.
  const counts =
    res.extra?.map(Number) ??
    (await countKeysMany(
      ctx.conn,
      w.target,
      candidates.map((k) => k.columns),
    ));
  // Keys that follow how the inputs change come first: a finer key whose values recur across the
  // inputs' change units (a symbol name in every file) recomputes more rows per edit, not fewer.
  const aligned = candidates.map((k) => alignedWithInputs(k, ctx.changeKey));
  const anyAligned = aligned.some(Boolean);
  let best = -1;
  counts.forEach((n, i) => {
    if (anyAligned && !aligned[i]) return;
    if (best < 0 || n > counts[best]!) best = i;
  });
  const key = candidates[best]!.columns;
  const count = counts[best]!;
  return {
    res,
    refresh: { ...refresh, key, of: count },
    keys: { columns: key, count, ...(res.rows === undefined ? {} : { rows: res.rows }) },
  };
}
