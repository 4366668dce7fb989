import { RelspecError, errorMessage } from '../errors.js';
import { isStateFault } from '../state/faults.js';
import type { PlanStatus, SkipReason, TaskResult } from '../records/types.js';
import { buildTask, targetOf } from './build.js';
import { relationKey, type Warehouse } from '../engine/warehouse.js';
import type { RunScope, RunStart } from './runScope.js';
import type { GraphTask } from '../graph/index.js';
import type { Step, StepResult } from './schedule.js';
import { verify, type VerifyContext } from './verify.js';

/**
 * A run's turn for a task: verify it, skip it when its trace still holds, else build it — on a
 * warehouse handle of its own (Warehouse.lease), as several tasks may run at once.
 */
export function buildStep(scope: RunScope, start: RunStart, ctx: VerifyContext): Step {
  const { project, store, warehouse: root, producers, consumers, engineVersion } = scope;
  const { runId, book, traces, pending, relations } = start;
  // A build records its task run when it finishes (with its trace); results come to keep() in the
  // schedule's order. A build that finished before an earlier task's result is recorded again here,
  // so the run's rows read in the schedule's order (task_runs by rowid) at any concurrency.
  const rowidOf = store.db.prepare('SELECT rowid FROM task_runs WHERE run_id = ? AND task = ?').pluck();
  let lastRowid = -1;
  return {
    take(t, upstream) {
      return root.lease((warehouse) => buildOn(warehouse, t, upstream));
    },
    keep(r) {
      let at = r.status === 'built' ? (rowidOf.get(runId, r.task) as number | undefined) : undefined;
      if (at === undefined || at < lastRowid) {
        store.recordTaskRun(runId, r as TaskResult);
        at = rowidOf.get(runId, r.task) as number;
      }
      lastRowid = at;
    },
  };

  async function buildOn(warehouse: Warehouse, t: GraphTask, upstream: string[]): Promise<StepResult> {
    const base = { task: t.name, output: t.output, causes: [], durationMs: 0, file: t.file };
    const verdict = await verify(t, ctx, warehouse);
    if (verdict.causes.length === 0) {
      const upstreamMoved = pending.has(t.name) || upstream.some((u) => ctx.builtThisRun.has(u));
      const reason: SkipReason = upstreamMoved
        ? { kind: 'cut_off', inputs: Object.entries(verdict.current).map(([input, v]) => ({ input, columns: v.columns })) }
        : { kind: 'up_to_date' };
      store.clearPending(t.name);
      return { result: { ...base, status: 'skipped', reason }, marksConsumers: false };
    }
    try {
      const { result } = await buildTask(
        t,
        verdict.current,
        verdict.causes,
        { project, store, warehouse, book, runId, engineVersion, traces, producers, pending, consumers },
        verdict.files,
      );
      relations.set(relationKey(targetOf(t, producers)), t.materialize === 'table' ? 'table' : 'view');
      ctx.builtThisRun.set(t.name, runId);
      // Direct consumers are verified either way: the cheap token compare shows the cutoff.
      return { result, marksConsumers: true };
    } catch (e) {
      // The state failing (disk full, corrupt warehouse) is not this task's fault: the run stops.
      if (isStateFault(e, project.config.stateDir)) throw e;
      const known = e instanceof RelspecError ? e : new RelspecError('E_TASK_RUN', errorMessage(e).split('\n')[0]!);
      const error = new RelspecError(known.code, known.message, { file: known.file ?? t.file, fix: known.fix }).oneLine();
      return { result: { ...base, status: 'failed', causes: verdict.causes, error }, marksConsumers: false };
    }
  }
}

const mayBuild = (s: string | undefined) => s === 'would_build' || s === 'would_build_unless_cutoff';

/**
 * A plan's turn for a task: what it would do. A task whose only causes come from upstream tasks that
 * would build may still be cut off, so it is `would_build_unless_cutoff`, waiting on them.
 */
export function planStep(scope: RunScope, ctx: VerifyContext): Step {
  return {
    async take(t, upstream, status) {
      const verdict = await verify(t, ctx);
      const own = verdict.causes.filter((c) => !(c.kind === 'input_changed' && scope.producers(c.input).some((p) => status.has(p))));
      const waitsOn = [...new Set(upstream.filter((u) => mayBuild(status.get(u))))];
      const st: PlanStatus =
        own.length > 0
          ? 'would_build'
          : waitsOn.length > 0
            ? 'would_build_unless_cutoff'
            : verdict.causes.length > 0
              ? 'would_build'
              : 'skipped';
      const result = {
        task: t.name,
        output: t.output,
        status: st,
        causes: verdict.causes,
        durationMs: 0,
        file: t.file,
        ...(st === 'would_build_unless_cutoff' ? { reason: { kind: 'waits_on' as const, tasks: waitsOn } } : {}),
      };
      return { result, marksConsumers: st !== 'skipped' };
    },
    keep() {
      /* a plan records nothing */
    },
  };
}
