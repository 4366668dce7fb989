import type { Cause, TaskStatus, PlanStatus, TaskReason } from '../../records/types.js';

/** What the page's live view needs of a run: one event when it starts and one when it ends, one per task. */
export type UiEvent =
  | { type: 'run_started'; trigger: string; time: string }
  | {
      type: 'run_finished';
      runId: number;
      trigger: string;
      status: string;
      durationMs: number;
      summary: Record<string, number>;
      time: string;
    }
  | { type: 'task_started'; task: string; time: string }
  | {
      type: 'task_finished';
      task: string;
      status: TaskStatus | PlanStatus;
      rows?: number;
      durationMs: number;
      causes: Cause['kind'][];
      reason?: TaskReason;
      error?: string;
      time: string;
    };

type Listener = (e: UiEvent) => void;

/**
 * The daemon's run and task events for the HTTP server's `/api/events` stream. The daemon owns one
 * and passes it down; it also remembers what runs now, so a page opened mid-run draws it.
 */
export class UiEvents {
  private readonly listeners = new Set<Listener>();
  private readonly runningTasks = new Set<string>();
  private runTrigger: string | null = null;

  /** Tasks being verified or built now, and the trigger of the run in progress (null: none). */
  now(): { running: string[]; run: string | null } {
    return { running: [...this.runningTasks].sort(), run: this.runTrigger };
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  runStarted(trigger: string): void {
    this.runTrigger = trigger;
    this.runningTasks.clear(); // a run that threw never said which tasks it left
    this.emit({ type: 'run_started', trigger, time: new Date().toISOString() });
  }

  runFinished(out: { runId: number; status: string; durationMs: number; summary: object }, trigger: string): void {
    this.runTrigger = null;
    this.runningTasks.clear();
    // The counts the daemon's log prints (a plan's would_build counts are always 0 in a run).
    const summary = Object.fromEntries(
      Object.entries(out.summary).filter((e): e is [string, number] => ['built', 'skipped', 'failed', 'blocked'].includes(e[0])),
    );
    this.emit({
      type: 'run_finished',
      runId: out.runId,
      trigger,
      status: out.status,
      durationMs: Math.round(out.durationMs),
      summary,
      time: new Date().toISOString(),
    });
  }

  taskStarted(task: string): void {
    this.runningTasks.add(task);
    this.emit({ type: 'task_started', task, time: new Date().toISOString() });
  }

  taskFinished(r: {
    task: string;
    status: TaskStatus | PlanStatus;
    rows?: number;
    durationMs: number;
    causes: readonly Cause[];
    reason?: TaskReason;
    error?: string;
  }): void {
    this.runningTasks.delete(r.task);
    this.emit({
      type: 'task_finished',
      task: r.task,
      status: r.status,
      ...(r.rows !== undefined ? { rows: r.rows } : {}),
      durationMs: Math.round(r.durationMs * 100) / 100,
      causes: r.causes.map((c) => c.kind),
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.error ? { error: r.error } : {}),
      time: new Date().toISOString(),
    });
  }

  private emit(e: UiEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        /* a broken stream must not stop a run */
      }
    }
  }
}
