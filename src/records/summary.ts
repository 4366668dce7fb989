import type { PlanStatus, TaskStatus } from './types.js';

/** Tasks per status in one run or plan; `skipped` includes the tasks no change could reach. */
export type RunSummary = Record<TaskStatus | PlanStatus, number>;

export function countStatuses(tasks: readonly { status: TaskStatus | PlanStatus }[], unaffected: number): RunSummary {
  const out: RunSummary = { built: 0, skipped: unaffected, failed: 0, blocked: 0, would_build: 0, would_build_unless_cutoff: 0 };
  for (const t of tasks) out[t.status]++;
  return out;
}
