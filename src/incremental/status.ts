import { OPENLINEAGE_META, type DeliveryCounts } from '../openlineage/types.js';
import type { Store } from '../state/store.js';
import type { TaskCaveat } from '../lineage/types.js';
import type { StoredRunStatus, TaskReason, TaskStatus } from '../records/types.js';

/** Why a task is stale: what must happen before the state can vouch for its output. */
export type StaleReason =
  | { kind: 'failed'; runId: number }
  | { kind: 'blocked'; runId: number; reason?: TaskReason }
  | { kind: 'never_built' }
  | { kind: 'pending'; changes: string[] };

/** `relspec status` and `relspec history`: what the state says of each task and run. */
export interface TaskState {
  task: string;
  output: string;
  lastBuiltRun: number | null;
  /** Status of its latest task run, and which run that was. */
  lastStatus: TaskStatus | null;
  lastRun: number | null;
  /** `untracked`: nothing is pending, but it reads files relspec cannot follow (docs/ARCHITECTURE.md invariant 8). */
  state: 'fresh' | 'stale' | 'untracked';
  /** Why it is stale. */
  reason?: StaleReason;
  pendingChanges: string[];
  /** What its last build cannot promise (untracked reads, volatile functions kept as built), and its task file. */
  caveats?: TaskCaveat[];
  file?: string;
}

export interface StatusResult {
  /** The latest run: the state is as of this run (plus changes observed since). */
  runId: number | null;
  /** Its status; 'crashed' when it is recorded as running but no live process holds the state. */
  runStatus: StoredRunStatus | null;
  tasks: TaskState[];
  /** OpenLineage delivery summed over runs, once any run emitted. */
  openlineage?: DeliveryCounts;
}

/** Whether a live process holds the state directory: without one, a 'running' run crashed. */
export interface ReadOptions {
  writerAlive?: boolean;
}

export const shownStatus = (status: StoredRunStatus, opts: ReadOptions): StoredRunStatus =>
  status === 'running' && opts.writerAlive === false ? 'crashed' : status;

/**
 * Per task: last build, last status, and whether it is fresh now — stale when a root change
 * awaits verification for it, its last run failed or was blocked, or it has no trace.
 */
export function status(store: Store, opts: ReadOptions = {}): StatusResult {
  const rows = store.tasks();
  const latest = store.latestTaskRuns();
  const traces = store.traces();
  const pending = store.pending();
  const names = new Set(rows.keys());
  // Tasks only seen in task runs (a broken task that never entered the graph), unless removed since.
  // Such a task fails on every run while its file exists, so one that a later full run (no
  // --select, finished) did not report is gone: its file was deleted or it is a stored task now.
  const lastFull = store.runs(50).find((r) => r.selection === null && ['ok', 'noop', 'failed'].includes(r.status))?.id ?? 0;
  for (const [name, r] of latest) {
    if (names.has(name)) continue;
    const removed = store.changesAbout(name).some((c) => c.kind === 'task_removed' && c.runId >= r.runId);
    if (!removed && r.runId >= lastFull) names.add(name);
  }
  const tasks = [...names].sort().map((task): TaskState => {
    const last = latest.get(task);
    const trace = traces.get(task);
    const lastBuiltRun = trace?.runId ?? store.lastTaskRun(task, ['built'])?.runId ?? null;
    const pendingChanges = pending.get(task) ?? [];
    const reason: StaleReason | undefined =
      last?.status === 'failed'
        ? { kind: 'failed', runId: last.runId }
        : last?.status === 'blocked'
          ? { kind: 'blocked', runId: last.runId, ...(last.reason ? { reason: last.reason } : {}) }
          : !trace
            ? { kind: 'never_built' }
            : pendingChanges.length > 0
              ? { kind: 'pending', changes: pendingChanges }
              : undefined;
    return {
      task,
      output: rows.get(task)?.output ?? last?.output ?? task,
      lastBuiltRun,
      lastStatus: last?.status ?? null,
      lastRun: last?.runId ?? null,
      state: reason ? 'stale' : trace?.caveats?.some((c) => c.kind === 'untracked_read') ? 'untracked' : 'fresh',
      ...(reason ? { reason } : {}),
      pendingChanges,
      ...(trace?.caveats?.length ? { caveats: trace.caveats, file: rows.get(task)?.file } : {}),
    };
  });
  const runId = store.lastRunId() ?? null;
  const runStatus = runId === null ? null : shownStatus(store.run(runId)?.status ?? 'running', opts);
  const ol = store.getMeta(OPENLINEAGE_META);
  return { runId, runStatus, tasks, ...(ol ? { openlineage: JSON.parse(ol) as DeliveryCounts } : {}) };
}
