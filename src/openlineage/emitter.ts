import { randomUUID } from 'node:crypto';
import type { RelGraph } from '../graph/index.js';
import { taskId } from '../graph/index.js';
import type { PlanStatus, ProgressEvent, TaskResult } from '../records/types.js';
import type { Delivery } from './delivery.js';
import { taskEvent, type EventContext } from './events.js';
import type { DeliveryCounts } from './types.js';

/** A run's task result, or a plan's (plans emit nothing: their entries only pass through). */
type Entry = Omit<TaskResult, 'status'> & { status: TaskResult['status'] | PlanStatus };

export interface Callbacks {
  onProgress?: (e: ProgressEvent) => void;
  onTask?: (r: Entry, index: number, total: number) => void;
}

/**
 * One relspec run's OpenLineage events: START and COMPLETE or FAIL per task run (sharing one task-run
 * UUID), OTHER for a skipped task only when `emitSkipped` is set. Blocked tasks
 * never started: nothing is emitted for them.
 */
export class LineageRun {
  private readonly started = new Map<string, string>();

  constructor(
    private readonly ctx: EventContext,
    private readonly g: RelGraph,
    private readonly delivery: Delivery,
    private readonly emitSkipped: boolean,
  ) {}

  wrap<T extends Callbacks>(opts: T): T {
    return {
      ...opts,
      onProgress: (e: ProgressEvent) => {
        if (e.kind === 'task_started') this.start(e.task);
        opts.onProgress?.(e);
      },
      onTask: (r: Entry, i: number, n: number) => {
        this.end(r as TaskResult);
        opts.onTask?.(r, i, n);
      },
    };
  }

  flush(deadlineMs: number): Promise<DeliveryCounts> {
    return this.delivery.flush(deadlineMs);
  }

  private task(name: string) {
    return this.g.hasNode(taskId(name)) ? this.g.getNodeAttribute(taskId(name), 'task') : undefined;
  }

  /** The time a task started: its START is sent once the task is known to build (see end()). */
  private start(name: string): void {
    this.started.set(name, new Date().toISOString());
  }

  /**
   * relspec reports a task started before it verifies the task's inputs, and most started tasks turn out
   * to be cut off. A START for those would be a run with no end, so START is sent when the task's outcome
   * is known, stamped with the time it started, just before its COMPLETE or FAIL.
   */
  private end(r: TaskResult): void {
    const t = this.task(r.task);
    if (!t) return;
    const startedAt = this.started.get(r.task);
    this.started.delete(r.task);
    const runId = randomUUID();
    if (r.status === 'built' || r.status === 'failed') {
      // A task that failed before it started (a cycle, a bad header) gets a START too: one per run.
      this.delivery.emit(taskEvent(this.ctx, 'START', t, runId, undefined, startedAt));
      this.delivery.emit(taskEvent(this.ctx, r.status === 'built' ? 'COMPLETE' : 'FAIL', t, runId, r));
    } else if (r.status === 'skipped' && this.emitSkipped) {
      this.delivery.emit(taskEvent(this.ctx, 'OTHER', t, runId, r));
    }
  }
}
