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
 *
 * Up to `concurrency` tasks run at once: a task is decided once every producer of its inputs in
 * this run has settled (then its candidacy and its upstream's statuses are final, as they are at
 * its turn one at a time), and the ready task earliest in the order starts first. Producers of one
 * shared output also wait for the earlier ones: each makes the union view and its tokens from the
 * others' slices and traces, so they build in the order of a serial run. Results are emitted in
 * the schedule's order whatever the order tasks finish in, so records are the same at any
 * concurrency; at 1 this is the serial loop. An abort starts nothing new and waits for the
 * running tasks; a task that throws (the state failing) stops the run once the others finished.
 */
export async function runSchedule(scope: RunScope, cands: Candidates, step: Step, concurrency = 1): Promise<ScheduleResult> {
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
  /** A task's outcome is known: its consumers may become candidates (the serial loop did this at emit). */
  const settleStatus = (r: TaskResult | PlanEntry) => {
    status.set(r.task, r.status);
    if ((r.status === 'failed' || r.status === 'blocked') && g.hasNode(taskId(r.task))) {
      for (const d of downstreamOf(g.getNodeAttribute(taskId(r.task), 'task')!)) candidates.add(d);
    }
  };
  const emit = (r: TaskResult | PlanEntry) => {
    results.push(r);
    step.keep(r);
    opts.onTask?.(r, results.length, total);
  };

  // Tasks with errors outside the graph (unparsable SQL, unknown tables) fail first.
  for (const name of [...taskErrors.keys()].sort()) {
    if (g.hasNode(taskId(name)) || !candidates.has(name)) continue;
    const spec = project.taskByName.get(name)!;
    const e = taskErrors.get(name)!;
    const r: TaskResult = {
      task: name,
      output: spec.options.output,
      status: 'failed',
      causes: [],
      durationMs: 0,
      error: e.oneLine(),
      errorCode: e.code,
      file: spec.file,
    };
    settleStatus(r);
    emit(r);
  }
  for (const name of [...cyclicTasks(g)].sort()) {
    if (!candidates.has(name)) continue;
    const t = g.getNodeAttribute(taskId(name), 'task')!;
    const r: TaskResult = {
      task: name,
      output: t.output,
      status: 'failed',
      causes: [],
      durationMs: 0,
      error: taskErrors.get(name)?.oneLine(),
      errorCode: 'E_GRAPH',
      file: t.file,
    };
    settleStatus(r);
    emit(r);
  }

  const order = generations(g, cands.reachable).flat();
  const { dependents, waiting } = dependencies(order, producers);
  /** undefined: not settled yet; null: settled without a result (not a candidate). */
  const outcome: (TaskResult | PlanEntry | null | undefined)[] = new Array(order.length);
  const ready = new MinHeap();
  const work: number[] = [];
  /** Tasks started, and how many of them are not emitted yet (for the progress index). */
  const started = new Uint8Array(order.length);
  let startedUnemitted = 0;
  let emitted = 0;
  let running = 0;
  let stop = false;
  let interrupted = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;

  const settle = (i: number, r: TaskResult | PlanEntry | null) => {
    outcome[i] = r;
    if (r) settleStatus(r);
    for (const j of dependents[i]!) if (--waiting[j]! === 0) work.push(j);
  };
  const decide = (i: number) => {
    const t = order[i]!;
    if (!candidates.has(t.name) || status.has(t.name)) return settle(i, null);
    if (opts.signal?.aborted) {
      interrupted = stop = true;
      return;
    }
    const base = { task: t.name, output: t.output, causes: [], durationMs: 0, file: t.file };
    const upstream = t.reads.flatMap(producers);
    const badUp = upstream.find((u) => status.get(u) === 'failed' || status.get(u) === 'blocked');
    const lineageBlocked = project.lineage.blocked.get(t.name);
    if (taskErrors.has(t.name)) {
      const e = taskErrors.get(t.name)!;
      settle(i, { ...base, status: 'failed', error: e.oneLine(), errorCode: e.code });
    } else if (badUp) {
      settle(i, {
        ...base,
        status: 'blocked',
        reason: { kind: 'upstream', task: badUp, status: status.get(badUp) as 'failed' | 'blocked' },
      });
    } else if (lineageBlocked) {
      settle(i, { ...base, status: 'blocked', reason: { kind: 'lineage', ...lineageBlocked } });
    } else {
      ready.push(i);
    }
  };
  const start = (i: number) => {
    const t = order[i]!;
    opts.onProgress?.({ kind: 'task_started', task: t.name, index: results.length + startedUnemitted + 1, total });
    started[i] = 1;
    startedUnemitted++;
    running++;
    step
      .take(t, t.reads.flatMap(producers), status)
      .then(
        ({ result, marksConsumers }) => {
          if (marksConsumers) for (const d of downstreamOf(t)) candidates.add(d);
          settle(i, result);
        },
        (error: unknown) => {
          failure ??= { error };
          stop = true;
        },
      )
      .finally(() => {
        running--;
        wake?.();
      });
  };

  const flush = (upTo: (i: number) => boolean) => {
    for (; emitted < order.length && upTo(emitted); emitted++) {
      if (started[emitted]) startedUnemitted--;
      if (outcome[emitted]) emit(outcome[emitted]!);
    }
  };
  for (let i = 0; i < order.length; i++) if (waiting[i] === 0) work.push(i);
  for (;;) {
    // Decide what can be decided; the worklist keeps a long blocked chain off the stack.
    let head = 0;
    while (head < work.length && !stop) decide(work[head++]!);
    work.splice(0, head);
    flush((i) => outcome[i] !== undefined);
    while (!stop && running < concurrency && ready.size > 0) {
      if (opts.signal?.aborted) interrupted = stop = true;
      else start(ready.pop());
    }
    if (running === 0) break;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
  if (failure) throw failure.error;
  // Stopped early: what did finish is reported (and recorded), in order.
  flush(() => true);
  return { results, status, interrupted };
}

/**
 * For each task of `order`, the tasks of `order` that wait on it, and how many it waits on: the
 * producers of its inputs, and the producer of its own output just before it (see runSchedule).
 */
function dependencies(order: readonly GraphTask[], producers: (ds: string) => string[]): { dependents: number[][]; waiting: Int32Array } {
  const index = new Map(order.map((t, i) => [t.name, i]));
  const dependents: number[][] = order.map(() => []);
  const waiting = new Int32Array(order.length);
  const lastProducer = new Map<string, number>();
  const add = (from: number, to: number) => {
    dependents[from]!.push(to);
    waiting[to]!++;
  };
  order.forEach((t, i) => {
    const ups = new Set<number>();
    for (const u of t.reads.flatMap(producers)) {
      const j = index.get(u);
      if (j !== undefined && j !== i) ups.add(j);
    }
    if (producers(t.output).length > 1) {
      const prev = lastProducer.get(t.output);
      if (prev !== undefined) ups.add(prev);
      lastProducer.set(t.output, i);
    }
    for (const j of ups) add(j, i);
  });
  return { dependents, waiting };
}

/** The ready tasks by their place in the order: the earliest starts first. */
class MinHeap {
  private readonly a: number[] = [];

  get size(): number {
    return this.a.length;
  }

  push(x: number): void {
    const a = this.a;
    let i = a.push(x) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= x) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = x;
  }

  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const c = l + 1 < a.length && a[l + 1]! < a[l]! ? l + 1 : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
