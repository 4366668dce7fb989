import { tasksOf, type GraphTask, type RelGraph } from '../graph/index.js';
import type { TaskCaveat } from '../lineage/types.js';
import type { Store } from '../state/store.js';

/** A caveat of one task, where validate, run and status show it. */
export interface TaskWarning {
  task: string;
  file: string;
  caveat: TaskCaveat;
}

/** What a build of this task cannot promise (stored on its trace, shown by validate, run, status, why). */
export function taskCaveats(task: Pick<GraphTask, 'untracked' | 'volatileFunctions' | 'volatile'>): TaskCaveat[] {
  const out: TaskCaveat[] = (task.untracked ?? []).map((u) => ({ kind: 'untracked_read', fn: u.fn, call: u.call }));
  if (task.volatileFunctions?.length)
    out.push({ kind: 'volatile', functions: [...task.volatileFunctions], rebuildEachRun: task.volatile ?? false });
  return out;
}

/** Every task's caveats that ask for the user's eye (a `-- @volatile` task was handled: not warned). */
export function projectWarnings(g: RelGraph): TaskWarning[] {
  return tasksOf(g).flatMap((t) =>
    taskCaveats(t)
      .filter((c) => !(c.kind === 'volatile' && c.rebuildEachRun))
      .map((caveat) => ({ task: t.name, file: t.file, caveat })),
  );
}

/** A build's caveats as `why` shows them: with the time of the build (its run's start) for a kept volatile output. */
export interface BuildCaveats {
  runId: number;
  builtAt: string | null;
  caveats: TaskCaveat[];
}

export function buildCaveats(store: Store, task: string): BuildCaveats | undefined {
  const trace = store.traces().get(task);
  if (!trace?.caveats?.length) return undefined;
  return { runId: trace.runId, builtAt: store.run(trace.runId)?.startedAt ?? null, caveats: trace.caveats };
}
