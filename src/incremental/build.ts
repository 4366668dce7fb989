import { sqlName } from '../catalog/names.js';
import { derivedToken } from '../engine/tokens.js';
import { sliceName, type Warehouse } from '../engine/warehouse.js';
import { materializeDelta } from '../engine/deltaOutput.js';
import { RelspecError } from '../errors.js';
import type { GraphTask } from '../graph/index.js';
import type { Project } from '../project/load.js';
import type { Store } from '../state/store.js';
import { PARTS_KEY, VIEW_KEY, type TokenBook } from './tokenbook.js';
import type { Cause, TaskResult, Trace, TraceInput } from '../records/types.js';
import { writeOutput } from './keyedBuild.js';
import { writingMark } from './keyedRefresh.js';
import { taskCaveats } from './caveats.js';

export interface BuildContext {
  project: Project;
  store: Store;
  /** The task's own handle on the warehouse (its own connection when tasks build at once: Warehouse.lease). */
  warehouse: Warehouse;
  book: TokenBook;
  runId: number;
  engineVersion: string;
  traces: Map<string, Trace>;
  producers: (ds: string) => string[];
  /** task → root change ids it is pending on (in memory; mirrors the pending table). */
  pending: Map<string, string[]>;
  /** Tasks that read a dataset directly. */
  consumers: (ds: string) => string[];
}

/** Where a task writes: the output itself, or its slice when the output has several producers. */
export function targetOf(task: GraphTask, producers: (ds: string) => string[]): string {
  return producers(task.output).length > 1 ? sliceName(task.name) : sqlName(task.output);
}

/**
 * Materializes the task, computes its output tokens, then — and only then — writes evidence, trace,
 * task run and causes in one SQLite transaction (docs/ARCHITECTURE.md invariant 4: a trace is never newer than the
 * output it describes; a crash in between re-runs the task, which is idempotent).
 * Returns the result and whether the output's content changed.
 */
export async function buildTask(
  task: GraphTask,
  current: Record<string, TraceInput>,
  causes: Cause[],
  ctx: BuildContext,
  /** Files read through table functions, as hashed before the build (verify.ts). */
  files: Record<string, string> = {},
): Promise<{ result: TaskResult; changed: boolean }> {
  const { project, warehouse, book, store } = ctx;
  const spec = project.taskByName.get(task.name)!;
  const schema = task.outputSchema ?? [];
  const producers = ctx.producers(task.output);
  if (task.materialize === 'delta' && producers.length > 1) {
    throw new RelspecError('E_TASK', `@materialize delta needs a single producer, but ${producers.length} tasks write ${task.output}`, {
      file: spec.file,
      fix: 'use @materialize table for the producers of a shared output, and a delta task over it',
    });
  }
  const target = targetOf(task, ctx.producers);
  const outSchema = book.schemaOf(task.output);
  const sets = book.consumerSets(task.output, outSchema);
  // The SQL with file literals made absolute (lineage/taskFiles.ts): the same files from any cwd.
  const sql = task.execSql ?? spec.sql;
  const t0 = performance.now();
  await warehouse.ensureSchema(task.output);
  const contract = task.contract ? { task: task.name, file: spec.file, contract: task.contract } : undefined;
  const kind = task.materialize;
  const ev = book.evidence.get(task.output);
  const replaceView = (query: string) => warehouse.replaceView(target, query);
  const w = {
    target,
    sets,
    schema,
    contract,
    nextVersion: (ev?.version ?? 0) + 1,
    ...(kind === 'delta' ? { delta: { outputsDir: project.config.outputsDir, replaceView } } : {}),
  };
  const refreshCtx = {
    conn: warehouse.conn,
    project,
    book,
    store,
    producers: ctx.producers,
    trace: ctx.traces.get(task.name),
    runId: ctx.runId,
    has: (relation: string) => warehouse.has(relation),
    changeKey: (ds: string) => changeKeyOf(ds, project, ctx),
  };
  const { res, refresh, keys } = await writeOutput(task, causes, w, refreshCtx, (sortBy, extra) =>
    kind === 'delta'
      ? materializeDelta(
          warehouse.conn,
          project.config.outputsDir,
          task.output,
          sql,
          sets,
          schema,
          project.deltaCache,
          replaceView,
          contract,
          sortBy,
        )
      : warehouse.materialize(target, kind, sql, sets, schema, contract, extra),
  );
  // A view reads its files when queried: their hashes are part of its token, or its readers would cut off.
  const inputTokens = {
    ...Object.fromEntries(Object.entries(current).map(([ds, i]) => [ds, i.token])),
    ...Object.fromEntries(Object.entries(files).map(([p, h]) => [`file:${p}`, h])),
  };
  const sliceTokens = task.materialize === 'view' ? { [VIEW_KEY]: derivedToken(task.fingerprint!, inputTokens) } : res.tokens;

  let outputTokens = sliceTokens;
  const rows = res.rows;
  let outputRows = rows;
  if (producers.length > 1) {
    await refreshUnion(warehouse, book, task.output, { task: task.name });
    ({ tokens: outputTokens, rows: outputRows } = await book.unionTokens(
      task.output,
      sets,
      { task: task.name, tokens: sliceTokens },
      warehouse,
    ));
  }
  const durationMs = performance.now() - t0;
  const result: TaskResult = { task: task.name, output: task.output, status: 'built', causes, durationMs, rows, file: spec.file, refresh };
  // Each input's evidence version as read: where its change rows start at the next key-scoped refresh.
  const inputs = Object.fromEntries(Object.entries(current).map(([ds, i]) => [ds, { ...i, version: book.evidence.get(ds)?.version }]));
  const trace: Trace = {
    task: task.name,
    fingerprint: task.fingerprint!,
    engineVersion: ctx.engineVersion,
    inputs,
    output: task.output,
    outputTokens: sliceTokens,
    runId: ctx.runId,
    sql: spec.sql,
    ...(task.files?.length ? { files } : {}),
    ...(taskCaveats(task).length ? { caveats: taskCaveats(task) } : {}),
    ...(keys ? { keys } : {}),
  };
  let changed = false;
  store.tx(() => {
    changed = book.set(task.output, 'output', outputTokens, outputRows, ctx.runId);
    store.putEvidence(book.evidence.get(task.output)!);
    book.dirty.delete(task.output);
    store.putTrace(trace);
    store.recordTaskRun(ctx.runId, result);
    store.clearPending(task.name);
    if (keys) store.setMeta(writingMark(task.name), '');
    if (changed) {
      // The next level is stale now: mark it in the same transaction, so a crash after this
      // commit still rebuilds it (observe only marks the first level).
      const roots = ctx.pending.get(task.name) ?? [`build:${task.name}@r${ctx.runId}`];
      const marks = ctx.consumers(task.output).flatMap((c) => roots.map((r) => [c, r] as [string, string]));
      store.addPending(marks);
      for (const [c, r] of marks) ctx.pending.set(c, [...new Set([...(ctx.pending.get(c) ?? []), r])]);
    }
  });
  ctx.pending.delete(task.name);
  ctx.traces.set(task.name, trace);
  return { result, changed };
}

/** The union view of a shared output over the slices that exist (and `own`'s, being built). */
export async function refreshUnion(warehouse: Warehouse, book: TokenBook, output: string, own?: { task: string }): Promise<void> {
  const present = book.producers(output).filter((p) => p === own?.task || warehouse.has(sliceName(p)));
  if (present.length > 0) await warehouse.unionView(output, present);
  else await warehouse.drop(sqlName(output));
}

/**
 * Brings every shared output's union view in line with the slices that exist: a producer removed
 * (its slice dropped), or a crash between dropping a slice and recording it. An output whose parts
 * moved gets new tokens from its slices, and its readers are marked stale when they changed.
 */
export async function reconcileUnions(
  ctx: Pick<BuildContext, 'project' | 'store' | 'warehouse' | 'book' | 'runId' | 'pending' | 'consumers'>,
  outputs: Iterable<string>,
  rootOf: (output: string) => string,
): Promise<void> {
  const { warehouse, book, store } = ctx;
  for (const output of outputs) {
    const producers = book.producers(output);
    if (producers.length < 2) continue;
    const present = producers.filter((p) => warehouse.has(sliceName(p)));
    const ev = book.evidence.get(output);
    if (ev && ev.tokens[PARTS_KEY] === JSON.stringify(present) && (present.length === 0 || warehouse.has(sqlName(output)))) continue;
    if (!ev && present.length === 0) continue;
    await refreshUnion(warehouse, book, output);
    const { tokens, rows } = await book.unionTokens(output, book.consumerSets(output, book.schemaOf(output)));
    store.tx(() => {
      const changed = book.set(output, 'output', tokens, rows, ctx.runId);
      store.putEvidence(book.evidence.get(output)!);
      book.dirty.delete(output);
      if (!changed) return;
      const root = rootOf(output);
      const marks = ctx.consumers(output).map((c) => [c, root] as [string, string]);
      store.addPending(marks);
      for (const [c, r] of marks) ctx.pending.set(c, [...new Set([...(ctx.pending.get(c) ?? []), r])]);
    });
  }
}

/** How `ds`'s changes come grouped (keyedBuild.ts ChangeKeyOf): by file, by Delta partition, by the producer's key. */
function changeKeyOf(ds: string, project: Project, ctx: BuildContext): readonly string[] | undefined {
  const src = project.sources.get(ds);
  if (src?.code) return src.schema.some((c) => c.name === 'path') ? ['path'] : undefined;
  if (src) return src.delta?.partitionColumns.length ? src.delta.partitionColumns : undefined;
  const producers = ctx.producers(ds);
  return producers.length === 1 ? ctx.traces.get(producers[0]!)?.keys?.columns : undefined;
}
