import { RelspecError, RelspecErrors, errorMessage } from '../errors.js';
import type { PlanEntry, RunOutcome } from '../incremental/run.js';
import type { TaskResult } from '../records/types.js';
import { errorLine, runLine, summarizeChanges, taskOutcomeText } from '../format/runs.js';
import { describeCodeSync } from '../sources/index.js';
import type { Log, LogTag } from './log.js';
import { warningJson, warningLine } from '../incremental/caveatText.js';
import { formatWarning } from '../project/warnings.js';

/** How the daemon reports runs and errors in its log (one line per run, per non-skipped task). */

export function logTask(log: Log, r: TaskResult | PlanEntry): void {
  if (r.status === 'skipped') return;
  const fields = {
    task: r.task,
    status: r.status,
    durationMs: Math.round(r.durationMs * 100) / 100,
    ...(r.rows !== undefined ? { rows: r.rows } : {}),
    causes: r.causes.map((c) => c.kind),
  };
  const text = `${r.task}: ${taskOutcomeText(r)}`;
  if (r.status === 'built') log('task', 'built', text, fields);
  else if (r.status === 'failed') log('task', 'failed', text, { ...fields, error: r.error });
  else log('task', r.status, text, { ...fields, reason: r.reason });
}

export function logRun(log: Log, out: RunOutcome, trigger: string): void {
  for (const e of out.errors) log('run', 'project_error', errorLine(e), { ...e });
  // Untracked reads and kept volatile outputs: once at start-up, not on every run.
  if (trigger === 'reconcile') {
    for (const w of out.sourceWarnings ?? [])
      log('run', 'warning', `warning ${formatWarning(w)}`, { warning: { ...w, message: formatWarning(w) } });
    for (const w of out.warnings ?? []) log('run', 'warning', warningLine(w, process.cwd()), { warning: warningJson(w) });
  }
  for (const c of out.code ?? []) {
    if (c.mode === 'noop') continue;
    log('run', 'code', describeCodeSync(c), {
      source: c.source,
      mode: c.mode,
      added: c.added,
      removed: c.removed,
      modified: c.modified,
      extracted: c.extracted,
      commits: c.commits,
      ms: Math.round(c.ms),
    });
  }
  const { built, skipped, failed, blocked } = out.summary;
  const counts = { built, skipped, failed, blocked };
  const status = out.interrupted ? 'interrupted' : out.status;
  const ids = out.changes.map((c) => c.id);
  log(
    'run',
    'finished',
    `${runLine(out.runId, status, out.summary, out.durationMs)}${ids.length ? `; changes: ${summarizeChanges(out.changes)}` : ''}`,
    {
      runId: out.runId,
      trigger,
      status,
      ...counts,
      durationMs: Math.round(out.durationMs),
      changes: ids,
      tasks: out.tasks.filter((t) => t.status !== 'skipped').map((t) => ({ task: t.task, status: t.status })),
    },
  );
}

/** Every error of a RelspecErrors, one line each; anything else with its message. */
export function logConfigErrors(log: Log, tag: LogTag, e: unknown, summary: string): void {
  const errors = e instanceof RelspecErrors ? e.errors : e instanceof RelspecError ? [e] : [];
  if (errors.length === 0) {
    log(tag, 'error', `${summary}: ${e instanceof Error ? (e.stack ?? e.message) : errorMessage(e)}`, { error: errorMessage(e) });
    return;
  }
  for (const x of errors) log(tag, 'error', x.oneLine(), { error: x.toJSON() });
  log(tag, tag === 'config' ? 'invalid' : 'failed', summary, { errors: errors.length });
}

/**
 * What changed since the last run started. Handlers only add to the current batch; a run swaps in
 * a fresh one before it starts, so an event arriving while a run uses the old values lands in the
 * next batch (and sets `queued`) instead of being lost.
 */
export interface Batch {
  events: number;
  tasks: Set<string>;
  sources: Set<string>;
  config: boolean;
  rescan?: string;
}

export function logBatch(log: Log, b: Batch, trigger: string): void {
  if (trigger === 'reconcile') {
    log('watch', 'batch', 'start-up reconcile', { trigger, events: b.events });
    return;
  }
  const parts = [
    ...(b.config ? ['config'] : []),
    ...(b.tasks.size ? [`tasks ${[...b.tasks].sort().join(', ')}`] : []),
    ...(b.sources.size ? [`sources ${[...b.sources].sort().join(', ')}`] : []),
    ...(b.rescan ? [`rescan (${b.rescan})`] : []),
  ];
  log('watch', 'batch', `${b.events} event${b.events === 1 ? '' : 's'}: ${parts.join('; ')}`, {
    trigger,
    events: b.events,
    config: b.config,
    tasks: [...b.tasks].sort(),
    sources: [...b.sources].sort(),
    ...(b.rescan ? { rescan: b.rescan } : {}),
  });
}
