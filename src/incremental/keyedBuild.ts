import type { DuckDBConnection } from '@duckdb/node-api';
import { changesTable, countKeys, refreshKeys } from '../engine/keyed.js';
import type { ContractCheck } from '../engine/contracts.js';
import type { MaterializeResult } from '../engine/warehouse.js';
import type { GraphTask } from '../graph/index.js';
import type { Column } from '../lineage/types.js';
import type { Cause, Refresh, Trace } from '../records/types.js';
import { planRefresh, taskKey, writingMark, type RefreshContext } from './keyedRefresh.js';
import { ROWS_KEY } from './tokenbook.js';

export interface OutputWrite {
  target: string;
  sets: readonly (readonly string[])[];
  schema: readonly Column[];
  contract?: ContractCheck;
  /** The evidence version the output will have if this write changes it. */
  nextVersion: number;
  /** The output's row count before (its evidence). */
  rowsBefore?: number;
}

export interface Written {
  res: MaterializeResult;
  refresh: Refresh;
  keys?: Trace['keys'];
}

/**
 * Writes a task's output by key where planRefresh allows it, else in full (`writeFull`); either
 * way the refresh record says which and why. A key-scoped table counts its keys after a full write
 * (the `of` of later refreshes); the change rows of an earlier refresh are dropped, since they no
 * longer lead to the output's version.
 */
export async function writeOutput(
  task: GraphTask,
  causes: readonly Cause[],
  w: OutputWrite,
  ctx: Omit<RefreshContext, 'sets' | 'conn'> & { conn: DuckDBConnection; runId: number },
  writeFull: () => Promise<MaterializeResult>,
): Promise<Written> {
  const keyed = 'key' in taskKey(task) && task.materialize === 'table' && ctx.producers(task.output).length === 1;
  const plan = await planRefresh(task, causes, { ...ctx, sets: w.sets });
  // The mark is cleared with the trace (build.ts): still set at the next build means this write may
  // have committed without its trace, so the stored tokens and key count cannot be extended.
  if (keyed) ctx.store.setMeta(writingMark(task.name), String(ctx.runId));
  if (plan.mode === 'keys') {
    const r = await refreshKeys({
      conn: ctx.conn,
      target: w.target,
      output: task.output,
      sql: plan.sql,
      keysTable: '__relspec_keys',
      key: plan.key.columns,
      sets: w.sets,
      schema: w.schema,
      before: ctx.trace!.outputTokens,
      version: w.nextVersion,
      contract: w.contract,
    });
    const rows = w.rowsBefore === undefined ? undefined : w.rowsBefore + r.dRows;
    return {
      res: { rows, tokens: r.tokens },
      refresh: { mode: 'keys', key: plan.key.columns, keys: plan.keys, of: plan.of, rows: r.inserted },
      keys: { columns: plan.key.columns, count: plan.of + r.dKeys },
    };
  }
  if (keyed) await ctx.conn.run(`DROP TABLE IF EXISTS ${changesTable(task.output)}`);
  const res = await writeFull();
  const refresh: Refresh = { mode: 'full', ...(plan.key ? { key: plan.key.columns } : {}), reason: plan.reason };
  if (!keyed || !plan.key) return { res, refresh };
  const count = await countKeys(ctx.conn, w.target, plan.key.columns);
  return { res, refresh: { ...refresh, of: count }, keys: { columns: plan.key.columns, count } };
}

export const rowsOf = (tokens: Record<string, string> | undefined): number | undefined =>
  tokens?.[ROWS_KEY] === undefined ? undefined : Number(tokens[ROWS_KEY]);
