import { cyclicTasks, generations, outputId, taskId, type GraphTask } from '../graph/index.js';
import type { PlanStatus, TaskResult, TaskStatus } from '../records/types.js';
import type { Candidates } from './candidates.js';
import type { PlanEntry } from './runTypes.js';
import type { RunScope } from './runScope.js';

/** What a task's turn produced, and whether its direct consumers must be verified after it. */
export interface StepResult {
  result: TaskResult | PlanEntry;
  marksConsumers: boolean;
}

/**
 * How a run and a plan differ once a task's turn comes: a run verifies and builds it (and records
 * what it did), a plan verifies it and says what would happen (src/incremental/steps.ts).
 */
export interface Step {
  /** The task is not blocked: decide what it needs, and for a run, do it. `upstream`: the producers of its inputs. */
  take(t: GraphTask, upstream: string[], status: ReadonlyMap<string, TaskStatus | PlanStatus>): Promise<StepResult>;
  /** Every result passes here in order (a run records the ones its builds did not). */
  keep(r: TaskResult | PlanEntry): void;
}

export interface ScheduleResult {
  results: (TaskResult | PlanEntry)[];
  status: Map<string, TaskStatus | PlanStatus>;
  interrupted: boolean;
}

/**
 * Phase 3 of a run: tasks in topological order, each verified only when something may have
 * reached it. A failed or blocked task's consumers are reported blocked for this run.
 */
export async function runSchedule(scope: RunScope, cands: Candidates, step: Step): Promise<ScheduleResult> {
  const { g, project, opts, inSel, producers } = scope;
  const { set: candidates, taskErrors } = cands;
  const results: (TaskResult | PlanEntry)[] = [];
  const status = new Map<string, TaskStatus | PlanStatus>();
  // Candidates grow as builds mark their consumers: count every task this run may reach.
  const total = cands.reachable.size;
  const downstreamOf = (t: GraphTask): string[] => {
    const out: string[] = [];
    g.forEachOutNeighbor(outputId(t.output), (_, a) => {
      if (a.kind === 'task' && inSel(a.name)) out.push(a.name);
    });
    return out;
  };
  const emit = (r: TaskResult | PlanEntry) => {
    results.push(r);
    status.set(r.task, r.status);
    if ((r.status === 'failed' || r.status === 'blocked') && g.hasNode(taskId(r.task))) {
      for (const d of downstreamOf(g.getNodeAttribute(taskId(r.task), 'task')!)) candidates.add(d);
    }
    step.keep(r);
    opts.onTask?.(r, results.length, total);
  };

  // Tasks with errors outside the graph (unparsable SQL, unknown tables) fail first.
  for (const name of [...taskErrors.keys()].sort()) {
    if (g.hasNode(taskId(name)) || !candidates.has(name)) continue;
    const spec = project.taskByName.get(name)!;
    const e = taskErrors.get(name)!;
    emit({
      task: name,
      output: spec.options.output,
      status: 'failed',
      causes: [],
      durationMs: 0,
      error: e.oneLine(),
      errorCode: e.code,
      file: spec.file,
    });
  }
  for (const name of [...cyclicTasks(g)].sort()) {
    if (!candidates.has(name)) continue;
    const t = g.getNodeAttribute(taskId(name), 'task')!;
    emit({
      task: name,
      output: t.output,
      status: 'failed',
      causes: [],
      durationMs: 0,
      error: taskErrors.get(name)?.oneLine(),
      errorCode: 'E_GRAPH',
      file: t.file,
    });
  }

  for (const t of generations(g, cands.reachable).flat()) {
    if (!candidates.has(t.name) || status.has(t.name)) continue;
    if (opts.signal?.aborted) return { results, status, interrupted: true };
    const base = { task: t.name, output: t.output, causes: [], durationMs: 0, file: t.file };
    const upstream = t.reads.flatMap(producers);
    const badUp = upstream.find((u) => status.get(u) === 'failed' || status.get(u) === 'blocked');
    const lineageBlocked = project.lineage.blocked.get(t.name);
    if (taskErrors.has(t.name)) {
      const e = taskErrors.get(t.name)!;
      emit({ ...base, status: 'failed', error: e.oneLine(), errorCode: e.code });
    } else if (badUp) {
      emit({ ...base, status: 'blocked', reason: { kind: 'upstream', task: badUp, status: status.get(badUp) as 'failed' | 'blocked' } });
    } else if (lineageBlocked) {
      emit({ ...base, status: 'blocked', reason: { kind: 'lineage', ...lineageBlocked } });
    } else {
      opts.onProgress?.({ kind: 'task_started', task: t.name, index: results.length + 1, total });
      const { result, marksConsumers } = await step.take(t, upstream, status);
      if (marksConsumers) for (const d of downstreamOf(t)) candidates.add(d);
      emit(result);
    }
  }
  return { results, status, interrupted: false };
}
