import { loadConfig, type LoadedConfig } from '../../config/load.js';
import { withStateLock } from '../../state/lock.js';
import { errorLine, planLine, runLine, summarizeChanges, taskLine } from '../../format/runs.js';
import type { RunOptions, RunOutcome } from '../../incremental/runTypes.js';
import { tryDaemon } from '../../serve/client.js';
import type { GlobalOptions } from '../context.js';
import { stdio, type Out } from '../out.js';
import { describeCodeSync } from '../../sources/code/describe.js';
import { warningJson, warningLine } from '../../incremental/caveatText.js';
import { formatWarning } from '../../project/warnings.js';
import { ProgressReporter } from '../../format/progress.js';

export interface RunCliOptions extends GlobalOptions {
  select?: string;
  fullRefresh?: boolean;
  json?: boolean;
  verbose?: boolean;
}

export async function runCommand(opts: RunCliOptions, dryRun = false): Promise<number> {
  const loaded = await loadConfig(opts.config);
  // A running daemon runs it in its own single-flight loop and streams the same lines back.
  const { select, fullRefresh, json, verbose } = opts;
  const served = await tryDaemon(loaded.config.stateDir, { type: dryRun ? 'plan' : 'run', select, fullRefresh, json, verbose });
  if (served !== undefined) return served;
  // One writer per state directory: another run (or a daemon without its socket) refuses this run (exit 2).
  if (!dryRun) return withStateLock(loaded.config.stateDir, 'run', () => runLoaded(opts, loaded, dryRun));
  return runLoaded(opts, loaded, dryRun);
}

async function runLoaded(opts: RunCliOptions, loaded: LoadedConfig, dryRun: boolean): Promise<number> {
  // What runs now, on stderr: a status line on a terminal, a line every few seconds otherwise; none with --json.
  const progress = opts.json
    ? undefined
    : new ProgressReporter(
        { write: (s) => process.stderr.write(s), isTTY: process.stderr.isTTY === true },
        { intervalMs: Number(process.env.RELSPEC_PROGRESS_MS) || undefined },
      );
  try {
    // Loaded here, not at the top: a run the daemon serves needs neither DuckDB nor TypeScript in this process.
    const { run } = await import('../../incremental/run.js');
    const out = await run({
      loaded,
      select: opts.select,
      fullRefresh: opts.fullRefresh,
      dryRun,
      onTask: taskPrinter(opts, stdio, progress),
      onProgress: progress && ((e) => progress.event(e)),
    });
    progress?.stop();
    return printOutcome(out, opts, loaded, dryRun, stdio);
  } finally {
    progress?.stop();
  }
}

/** Prints each task as it finishes (not with --json; skipped ones only with --verbose). */
export function taskPrinter(opts: RunCliOptions, o: Out, progress?: ProgressReporter): RunOptions['onTask'] {
  if (opts.json) return undefined;
  return (r, i, n) => {
    progress?.clear();
    if (r.status === 'skipped' && !opts.verbose) return;
    o.print(taskLine(r, i, n));
  };
}

/** The end of `relspec run` / `plan`: the JSON document, or errors, warnings and the summary line; the exit code. */
export function printOutcome(out: RunOutcome, opts: RunCliOptions, loaded: LoadedConfig, dryRun: boolean, o: Out): number {
  if (opts.json) {
    o.printJson({
      runId: out.runId,
      status: out.status,
      changes: out.changes,
      tasks: out.tasks.map((t) => ({
        task: t.task,
        output: t.output,
        status: t.status,
        causes: t.causes,
        durationMs: Math.round(t.durationMs * 100) / 100,
        rows: t.rows ?? null,
        ...(t.error ? { error: t.error } : {}),
        ...(t.errorCode ? { errorCode: t.errorCode } : {}),
        ...(t.reason ? { reason: t.reason } : {}),
        ...(t.refresh ? { refresh: t.refresh } : {}),
      })),
      errors: out.errors,
      warnings: [...out.sourceWarnings.map((w) => ({ ...w, message: formatWarning(w) })), ...out.warnings.map(warningJson)],
      summary: { unaffected: out.unaffected },
      ...(out.code.length > 0 ? { code: out.code } : {}),
      ...(out.lineage ? { openlineage: out.lineage } : {}),
    });
  } else {
    for (const e of out.errors) o.err(`${errorLine(e)}\n`);
    for (const w of out.sourceWarnings) o.err(`warning ${formatWarning(w)}\n`);
    const ol = out.lineage;
    if (ol && ol.failed + ol.dropped > 0) {
      o.err(
        `warning W_OPENLINEAGE: ${ol.failed + ol.dropped} events not delivered (${ol.lastError}) — check openlineage.url; the run itself is unaffected\n`,
      );
    }
    for (const w of out.warnings) o.err(`${warningLine(w, loaded.config.root)}\n`);
    if (dryRun) {
      o.print(planLine(out.summary));
    } else {
      for (const c of out.code) o.print(describeCodeSync(c));
      if (out.changes.length > 0) o.print(`changes: ${summarizeChanges(out.changes)}`);
      o.print(runLine(out.runId, out.status, out.summary, out.durationMs));
    }
  }
  return exitCodeOf(out);
}

/** Errors in the config or the graph (a cycle, a task reading its own output) exit 2 as `validate` does; a task's own failure exits 1. */
const GRAPH_OR_CONFIG = new Set(['E_GRAPH', 'E_CONFIG', 'E_CONFIG_LOAD']);

function exitCodeOf(out: RunOutcome): number {
  if (out.errors.some((e) => GRAPH_OR_CONFIG.has(e.code))) return 2;
  if (out.tasks.some((t) => t.status === 'failed' && t.errorCode !== undefined && GRAPH_OR_CONFIG.has(t.errorCode))) return 2;
  return out.status === 'failed' ? 1 : 0;
}
