import type { Warehouse } from '../engine/warehouse.js';
import type { GraphTask } from '../graph/index.js';
import type { Store, TaskRunRow } from '../state/store.js';
import type { TokenBook } from './tokenbook.js';
import type { Cause, Trace, TraceInput } from '../records/types.js';
import { currentFiles, fileCauses, type FileBook } from './fileInputs.js';

export interface VerifyContext {
  store: Store;
  book: TokenBook;
  traces: Map<string, Trace>;
  engineVersion: string;
  fullRefresh: boolean;
  /** Does the task's output (or slice) exist in the warehouse? */
  outputExists: (task: GraphTask) => boolean;
  /** Producers of a dataset (empty for a source). */
  producers: (ds: string) => string[];
  /** Task runs of this run so far: producer → run id that rebuilt it. */
  builtThisRun: Map<string, number>;
  /** task → pending root change ids. */
  pending: Map<string, string[]>;
  /** The latest recorded run of each task (loaded once per run). */
  latest: Map<string, TaskRunRow>;
  /** Content hashes of files read through table functions (absent: such inputs are not checked). */
  files?: FileBook;
}

export interface Verdict {
  current: Record<string, TraceInput>;
  causes: Cause[];
  /** Inputs whose token is unknown (an upstream output that does not exist yet). */
  unknown: string[];
  /** Files read through table functions: path (or glob listing) → content hash now. */
  files: Record<string, string>;
}

/**
 * A task is up to date exactly when its current trace (plan fingerprint, engine version, each
 * input's token over the task's required columns) equals its stored trace. Each difference is a
 * cause, linked to the root change or upstream task run that produced it.
 */
export async function verify(
  task: GraphTask,
  ctx: VerifyContext,
  /** The task's own warehouse handle when tasks build at once (default: the book's). */
  wh?: Warehouse,
): Promise<Verdict> {
  const current: Record<string, TraceInput> = {};
  const unknown: string[] = [];
  for (const ds of task.reads) {
    const columns = [...(task.columns?.[ds] ?? [])].sort();
    const token = await ctx.book.token(ds, columns, wh);
    if (token === undefined) unknown.push(ds);
    current[ds] = { columns, token: token ?? '?' };
  }
  const files = ctx.files && task.files?.length ? await currentFiles(task, ctx.files) : {};
  const causes: Cause[] = [];
  const trace = ctx.traces.get(task.name);
  // The latest edit is the one whose SQL is being built.
  const taskRoot = ctx.pending.get(task.name)?.findLast((id) => id.startsWith(`task:${task.name}@`));
  if (!trace) {
    causes.push({ kind: 'new', ...(taskRoot ? { root: taskRoot } : {}) });
  } else {
    if (trace.fingerprint !== task.fingerprint) {
      causes.push({ kind: 'plan_changed', from: trace.fingerprint, to: task.fingerprint!, ...(taskRoot ? { root: taskRoot } : {}) });
    }
    if (trace.engineVersion !== ctx.engineVersion)
      causes.push({ kind: 'engine_changed', from: trace.engineVersion, to: ctx.engineVersion });
    for (const ds of Object.keys(current).sort()) {
      const was = trace.inputs[ds];
      const now = current[ds]!;
      if (was && was.token === now.token && was.columns.join('\0') === now.columns.join('\0')) continue;
      const producers = ctx.producers(ds);
      const cause: Cause = { kind: 'input_changed', input: ds, columns: now.columns, from: was?.token ?? null, to: now.token };
      if (producers.length === 0) {
        const root = ctx.book.evidence.get(ds)?.changeId;
        if (root) cause.root = root;
      } else {
        const built = producers.find((p) => ctx.builtThisRun.has(p));
        const up = built ?? producers.find((p) => ctx.traces.has(p));
        if (up) cause.upstream = { task: up, runId: ctx.builtThisRun.get(up) ?? ctx.traces.get(up)!.runId };
      }
      causes.push(cause);
    }
    // A trace from before files were tracked has none: every file reads as new (one rebuild).
    causes.push(...fileCauses(trace.files ?? {}, files));
    const last = ctx.latest.get(task.name);
    if (last?.status === 'failed') causes.push({ kind: 'previous_failure', runId: last.runId });
    if (!ctx.outputExists(task)) causes.push({ kind: 'output_missing' });
  }
  if (task.volatile && causes.length === 0) causes.push({ kind: 'volatile' });
  if (ctx.fullRefresh && causes.length === 0) causes.push({ kind: 'forced' });
  return { current, causes, unknown, files };
}
