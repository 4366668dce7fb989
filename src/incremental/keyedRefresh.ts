import type { DuckDBConnection } from '@duckdb/node-api';
import { tableChanges } from '../delta/index.js';
import { CHANGE_VERSION, changesTable, collectKeys, OLD_TABLE, selectKeys } from '../engine/keyed.js';
import { keyedRows, keyInfo, restrictToKeys, type KeyInfo } from '../engine/keyedSql.js';
import { columnSetKey } from '../engine/tokens.js';
import type { GraphTask } from '../graph/index.js';
import type { ProvenKey } from '../lineage/keys.js';
import type { Project } from '../project/load.js';
import type { Cause, RefreshReason, Trace } from '../records/types.js';
import type { Store } from '../state/store.js';
import type { TokenBook } from './tokenbook.js';

/**
 * Above this fraction of changed keys a key-scoped task refreshes in full (engine.keyThreshold sets
 * it). bench/keyed.ts measures where full becomes cheaper: on its 10M-row, 100k-key chain (2026-12-04,
 * 2 cores under a load average of ~10) by key / in full was 0.14× at 0.1% of keys, 0.49× at 5%, 0.86×
 * at 10%, 1.6× at 20% and 3.1× at 30%; the crossover lies between 10% and 20%. So 0.3 is too high
 * for that chain (a refresh just under it costs about 3× a full one), while the CPG's edits touch
 * well under 1% of files either way. Kept at 0.3 until an idle-machine run confirms it (the cost per
 * changed key depends on the key joins, see the bench's README paragraph); ~0.1 is what the data points to.
 */
export const KEYED_THRESHOLD = 0.3;
/** The connection's temp table of changed keys (one refresh at a time per connection). */
export const KEYS_TABLE = '__relspec_keys';
/** Set in the state before a key-scoped task's output is written, cleared with its trace: a crash in between is seen. */
export const writingMark = (task: string): string => `writing:${task}`;

export type RefreshPlan =
  | {
      mode: 'keys';
      key: ProvenKey;
      keys: number;
      of: number;
      sql: string;
      info: KeyInfo;
      /** The temp table holding the output's current rows of the changed keys, when counted (refreshKeys reads it). */
      old?: string;
    }
  | { mode: 'full'; reason: RefreshReason; key?: ProvenKey };

export interface RefreshContext {
  conn: DuckDBConnection;
  project: Project;
  book: TokenBook;
  store: Store;
  producers: (ds: string) => string[];
  trace: Trace | undefined;
  /** The consumer column sets whose tokens the build keeps. */
  sets: readonly (readonly string[])[];
  /** Where the output's rows are read (its table, slice or Delta view). */
  target: string;
  /** engine.keyThreshold; absent: KEYED_THRESHOLD. */
  threshold?: number | undefined;
}

/** The key a task would be refreshed by, or why it has none. */
export function taskKey(task: GraphTask): { key: ProvenKey } | { reason: RefreshReason } {
  const proof = task.keys;
  const declared = proof?.declared;
  if (declared && !declared.proven)
    return { reason: { kind: 'declared_key_refused', columns: declared.columns, refusal: declared.reason } };
  const key = proof?.keys[0];
  return key ? { key } : { reason: { kind: 'not_key_scoped', ...(proof?.reason ? { refusal: proof.reason } : {}) } };
}

/**
 * Decides how a built task refreshes: by key when it is proven key-scoped (lineage/keys.ts), only
 * its inputs moved, every moved input can say which keys moved (its change rows), and the changed
 * keys are few enough; otherwise in full, with the reason as data. On 'keys' the connection holds
 * the changed keys in KEYS_TABLE and `sql` reads only their input rows.
 */
export async function planRefresh(task: GraphTask, causes: readonly Cause[], ctx: RefreshContext): Promise<RefreshPlan> {
  const k = taskKey(task);
  if ('reason' in k) return { mode: 'full', reason: k.reason };
  const full = (reason: RefreshReason): RefreshPlan => ({ mode: 'full', reason, key: k.key });
  if (task.materialize === 'view') return full({ kind: 'materialization', materialize: 'view' });
  if (task.materialize === 'delta' && task.contract) return full({ kind: 'contract' });
  const trace = ctx.trace;
  // The key the last full build chose (keyedBuild.ts), while the proof still holds for it.
  const chosen = trace?.keys && task.keys?.keys.find((k) => k.columns.join('\0') === trace.keys!.columns.join('\0'));
  if (!trace?.keys || !chosen) return full({ kind: 'first_build' });
  const other = causes.find((c) => c.kind !== 'input_changed');
  if (other) return full({ kind: 'cause', cause: other.kind });
  if (ctx.store.getMeta(writingMark(task.name))) return full({ kind: 'interrupted_write' });
  if (ctx.sets.some((s) => trace.outputTokens[columnSetKey(s)] === undefined)) return full({ kind: 'new_columns' });
  const threshold = ctx.threshold ?? KEYED_THRESHOLD;
  // engine.keyThreshold 0: said as such, and the changed keys are not even collected.
  if (threshold === 0) return full({ kind: 'keys_off' });
  const key = chosen;
  const queries: string[] = [];
  for (const c of causes) {
    if (c.kind !== 'input_changed') continue;
    const cols = key.inputs[c.input];
    const q = cols ? await changedKeys(c.input, cols, trace.inputs[c.input]?.version, ctx) : undefined;
    if (q === undefined) return full({ kind: 'changes_unknown', input: c.input });
    queries.push(q);
  }
  const of = trace.keys.count;
  const keys = queries.length === 0 ? 0 : await collectKeys(ctx.conn, KEYS_TABLE, queries);
  if (queries.length === 0 || of === 0 || keys / of > threshold) return full({ kind: 'too_many_keys', keys, of, threshold });
  const spec = ctx.project.taskByName.get(task.name)!;
  const restrictions = Object.entries(key.inputs).map(([dataset, columns]) => ({ dataset, columns }));
  const info = await keyInfo(ctx.conn, KEYS_TABLE, key.columns.length);
  // Keys are not all the same size: a few keys that hold most of the rows cost more by key (the old
  // and new rows compared, deleted, inserted) than in full. The output's rows of the changed keys
  // go to OLD_TABLE, which the refresh then reads instead of scanning the output again (on a 10M-row
  // output that second filtered scan was ~30 ms of a ~400 ms refresh). At most one row past the
  // threshold is kept, so refusing costs no more than the count did; the exact count is only taken then.
  const total = trace.keys.rows;
  let old: string | undefined;
  if (total !== undefined && total > 0) {
    const cap = threshold >= 1 ? undefined : Math.floor(threshold * total) + 1;
    const rowsOf = (limit?: number) =>
      `${keyedRows(ctx.target, '__t', key.columns, KEYS_TABLE, info)}${limit === undefined ? '' : ` LIMIT ${limit}`}`;
    await ctx.conn.run(`CREATE OR REPLACE TEMP TABLE ${OLD_TABLE} AS ${rowsOf(cap)}`);
    let rows = Number((await ctx.conn.runAndReadAll(`SELECT count(*)::BIGINT FROM ${OLD_TABLE}`)).getRows()[0]![0]);
    if (cap !== undefined && rows >= cap) {
      await ctx.conn.run(`DROP TABLE IF EXISTS ${OLD_TABLE}`);
      rows = Number((await ctx.conn.runAndReadAll(`SELECT count(*)::BIGINT FROM (${rowsOf()})`)).getRows()[0]![0]);
    }
    if (rows / total > threshold) return full({ kind: 'too_many_rows', rows, of: total, threshold });
    old = OLD_TABLE;
  }
  const sql = await restrictToKeys(ctx.conn, task.execSql ?? spec.sql, restrictions, KEYS_TABLE, info);
  if (sql === undefined) {
    if (old) await ctx.conn.run(`DROP TABLE IF EXISTS ${old}`);
    return full({ kind: 'not_rewritable' });
  }
  return { mode: 'keys', key, keys, of, sql, info, ...(old ? { old } : {}) };
}

/**
 * A query of the keys (as k0, k1, …) whose rows of `ds` changed since the task read version `from`,
 * or undefined when relspec has no change rows for that span: a Delta source's commits from+1..now
 * (CDF, or the rows of added and removed files), an upstream output's last key-scoped refresh.
 */
async function changedKeys(
  ds: string,
  cols: readonly string[],
  from: number | undefined,
  ctx: RefreshContext,
): Promise<string | undefined> {
  if (from === undefined) return undefined;
  const ev = ctx.book.evidence.get(ds);
  const src = ctx.project.sources.get(ds);
  if (src) {
    // A rewritten commit (observe's `~hash` change id) is not in the change rows from `from`.
    if (!src.delta || !ev || from >= src.delta.version || (ev.changeId ?? '').includes('~')) return undefined;
    try {
      const ch = await tableChanges(ctx.conn, src.delta.tableDir, from + 1, src.delta.version, {
        requireChangeDataFeed: false,
        cache: ctx.project.deltaCache,
      });
      return selectKeys(`(${ch.sql})`, cols);
    } catch {
      return undefined;
    }
  }
  // One key-scoped refresh of the producer since the task read it: its change rows lead to this version.
  if (!ev || ev.version !== from + 1 || ctx.producers(ds).length !== 1) return undefined;
  try {
    const r = await ctx.conn.runAndReadAll(`SELECT count(*)::BIGINT FROM ${changesTable(ds)} WHERE ${CHANGE_VERSION} = ${ev.version}`);
    if (Number(r.getRows()[0]![0]) === 0) return undefined;
  } catch {
    return undefined;
  }
  return selectKeys(changesTable(ds), cols, `${CHANGE_VERSION} = ${ev.version}`);
}
