import { loadConfig, type LoadedConfig } from '../../config/load.js';
import { withStateLock } from '../../state/lock.js';
import { run } from '../../incremental/run.js';
import { errorLine, planLine, runLine, summarizeChanges, taskLine } from '../../format/runs.js';
import { print, printJson, type GlobalOptions } from '../context.js';
import { describeCodeSync } from '../../sources/index.js';
import { warningJson, warningLine } from '../../incremental/caveatText.js';
import { formatWarning } from '../../project/warnings.js';

export interface RunCliOptions extends GlobalOptions {
  select?: string;
  fullRefresh?: boolean;
  json?: boolean;
  verbose?: boolean;
}

export async function runCommand(opts: RunCliOptions, dryRun = false): Promise<number> {
  const loaded = await loadConfig(opts.config);
  // One writer per state directory: a running daemon (or another run) refuses this run (exit 2).
  if (!dryRun) return withStateLock(loaded.config.stateDir, 'run', () => runLoaded(opts, loaded, dryRun));
  return runLoaded(opts, loaded, dryRun);
}

async function runLoaded(opts: RunCliOptions, loaded: LoadedConfig, dryRun: boolean): Promise<number> {
  const quietSkips = !opts.verbose;
  const out = await run({
    loaded,
    select: opts.select,
    fullRefresh: opts.fullRefresh,
    dryRun,
    onTask: opts.json
      ? undefined
      : (r, i, n) => {
          if (r.status === 'skipped' && quietSkips) return;
          print(taskLine(r, i, n));
        },
  });
  if (opts.json) {
    printJson({
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
        ...(t.reason ? { reason: t.reason } : {}),
      })),
      errors: out.errors,
      warnings: [...out.sourceWarnings.map((w) => ({ ...w, message: formatWarning(w) })), ...out.warnings.map(warningJson)],
      summary: { unaffected: out.unaffected },
      ...(out.code.length > 0 ? { code: out.code } : {}),
    });
  } else {
    for (const e of out.errors) process.stderr.write(`${errorLine(e)}\n`);
    for (const w of out.sourceWarnings) process.stderr.write(`warning ${formatWarning(w)}\n`);
    for (const w of out.warnings) process.stderr.write(`${warningLine(w, loaded.config.root)}\n`);
    if (dryRun) {
      print(planLine(out.summary));
    } else {
      for (const c of out.code) print(describeCodeSync(c));
      if (out.changes.length > 0) print(`changes: ${summarizeChanges(out.changes)}`);
      print(runLine(out.runId, out.status, out.summary, out.durationMs));
    }
  }
  return out.status === 'failed' ? 1 : 0;
}
