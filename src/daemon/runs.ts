import type { LoadedConfig } from '../config/load.js';
import { ProgressReporter } from '../format/progress.js';
import { run } from '../incremental/run.js';
import type { RunOptions, RunOutcome } from '../incremental/runTypes.js';
import type { UiEvents } from '../serve/http/events.js';
import type { CodeExtractors } from '../sources/index.js';
import type { Log } from './log.js';
import { logRun, logTask } from './report.js';
import type { Session } from './session.js';

/** What every daemon run shares: its config, handles, warm extractors, log and the page's event feed. */
export interface RunHost {
  loaded: LoadedConfig;
  session?: Session;
  signal: AbortSignal;
  codeExtractors: CodeExtractors;
  log: Log;
  events: UiEvents;
}

export type DaemonRunOptions = Pick<RunOptions, 'reconcile' | 'rescanReason' | 'select' | 'fullRefresh' | 'dryRun' | 'onTask'> & {
  trigger: string;
};

/**
 * One run in the daemon (a watch pass, the start-up reconcile, or a `relspec run` / `plan` sent over
 * the socket): logged task by task, a progress line every few seconds while a step lasts, and run
 * and task events for the page. A plan is only reported to its caller.
 */
export async function daemonRun(h: RunHost, o: DaemonRunOptions): Promise<RunOutcome> {
  const progress = new ProgressReporter(
    { isTTY: false, write: (s) => h.log('run', 'progress', s.trimEnd()) },
    { intervalMs: Number(process.env.RELSPEC_PROGRESS_MS) || undefined },
  );
  const report = !o.dryRun;
  if (report) h.events.runStarted(o.trigger);
  try {
    const out = await run({
      ...o,
      loaded: h.loaded,
      session: h.session,
      signal: h.signal,
      codeExtractors: h.codeExtractors,
      deltaCache: h.session?.deltaCache,
      onTask: (r, i, n) => {
        progress.clear();
        if (report) {
          logTask(h.log, r);
          h.events.taskFinished(r);
        }
        o.onTask?.(r, i, n);
      },
      onProgress: (e) => {
        progress.event(e);
        if (report && e.kind === 'task_started') h.events.taskStarted(e.task);
      },
    });
    if (report) {
      logRun(h.log, out, o.trigger);
      // OpenLineage delivery never fails a run: what did not arrive is one log line (and counted in status).
      const ol = out.lineage;
      if (ol && ol.failed + ol.dropped > 0) {
        h.log('run', 'openlineage', `warning W_OPENLINEAGE: ${ol.failed + ol.dropped} events not delivered (${ol.lastError})`, {
          openlineage: ol,
        });
      }
      h.events.runFinished(out, o.trigger);
    }
    return out;
  } finally {
    progress.stop();
  }
}
