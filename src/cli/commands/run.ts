import { loadConfig, type LoadedConfig } from '../../config/load.js';
import { withStateLock } from '../../daemon/lock.js';
import { run, type PlanEntry } from '../../incremental/run.js';
import type { Cause, RootChange, TaskResult } from '../../records/types.js';
import { openStateDb } from '../../state/db.js';
import { Store } from '../../state/store.js';
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

export function describeCause(c: Cause): string {
  switch (c.kind) {
    case 'input_changed':
      return `${c.input}(${c.columns.join(', ') || 'row count'}) changed`;
    case 'plan_changed':
      return 'plan changed';
    case 'previous_failure':
      return `failed in run ${c.runId}`;
    case 'engine_changed':
      return `engine ${c.from} → ${c.to}`;
    case 'output_missing':
      return 'output missing';
    case 'new':
      return 'new';
    case 'forced':
      return 'forced';
    case 'file_changed':
      return `file ${c.path} ${c.to === 'missing' ? 'missing' : c.from === null ? 'new' : c.to === null ? 'no longer read' : 'changed'}`;
    case 'volatile':
      return 'volatile';
  }
}

function line(r: TaskResult | PlanEntry, i: number, n: number): string {
  const head = `${String(i).padStart(String(n).length)} of ${n} ${label(r.status)} ${r.task} `;
  const secs = `${(r.durationMs / 1000).toFixed(2)}s`;
  const tail =
    r.status === 'built'
      ? `[built in ${secs}${r.rows !== undefined ? `, ${r.rows} rows` : ''}: ${r.causes.map(describeCause).join('; ')}]`
      : r.status === 'failed'
        ? `[failed: ${r.error}]`
        : r.status === 'blocked' || r.status === 'skipped' || r.status === 'would_build_unless_cutoff'
          ? `[${r.status}: ${r.reason ?? ''}]`
          : `[${r.status}: ${r.causes.map(describeCause).join('; ')}]`;
  return head.padEnd(48, '.') + ' ' + tail;
}

const label = (s: string) =>
  ({ built: 'OK   ', skipped: 'SKIP ', failed: 'ERROR', blocked: 'BLOCK', would_build: 'BUILD', would_build_unless_cutoff: 'MAYBE' })[s] ??
  s;

export async function runCommand(opts: RunCliOptions, dryRun = false): Promise<number> {
  const loaded = await loadConfig(opts.config);
  // One writer per state directory: a running daemon (or another run) refuses this run (exit 2).
  if (!dryRun) return withStateLock(loaded.config.stateDir, 'run', () => runLoaded(opts, loaded, dryRun));
  return runLoaded(opts, loaded, dryRun);
}

async function runLoaded(opts: RunCliOptions, loaded: LoadedConfig, dryRun: boolean): Promise<number> {
  const quietSkips = !opts.verbose;
  const out = await failRunOnThrow(loaded, dryRun, () =>
    run({
      loaded,
      select: opts.select,
      fullRefresh: opts.fullRefresh,
      dryRun,
      onTask: opts.json
        ? undefined
        : (r, i, n) => {
            if (r.status === 'skipped' && quietSkips) return;
            print(line(r, i, n));
          },
    }),
  );
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
    for (const e of out.errors) process.stderr.write(`error ${e.code} ${e.file ?? ''}: ${e.message}${e.fix ? ` — ${e.fix}` : ''}\n`);
    for (const w of out.sourceWarnings) process.stderr.write(`warning ${formatWarning(w)}\n`);
    for (const w of out.warnings) process.stderr.write(`${warningLine(w, loaded.config.root)}\n`);
    const c = (s: string) => out.tasks.filter((t) => t.status === s).length;
    if (dryRun) {
      print(
        `would_build=${c('would_build')} would_build_unless_cutoff=${c('would_build_unless_cutoff')} skipped=${c('skipped') + out.unaffected} failed=${c('failed')} blocked=${c('blocked')}`,
      );
    } else {
      for (const c of out.code) print(describeCodeSync(c));
      if (out.changes.length > 0) print(`changes: ${summarizeChanges(out.changes)}`);
      print(
        `run ${out.runId} ${out.status}: built=${c('built')} skipped=${c('skipped') + out.unaffected} failed=${c('failed')} blocked=${c('blocked')} in ${(out.durationMs / 1000).toFixed(2)}s`,
      );
    }
  }
  return out.status === 'failed' ? 1 : 0;
}

/** Up to four change ids, else counts per kind. */
export function summarizeChanges(changes: readonly RootChange[]): string {
  if (changes.length <= 4) return changes.map((ch) => ch.id).join(', ');
  const byKind = new Map<string, number>();
  for (const c of changes) byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
  return `${changes.length} (${[...byKind].map(([k, n]) => `${n} ${k}`).join(', ')}; see --json)`;
}

/** A run that threw (outside any task) would stay 'running' until the next run: record it as failed. */
async function failRunOnThrow<T>(loaded: LoadedConfig, dryRun: boolean, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!dryRun) {
      try {
        const db = openStateDb(loaded.config.stateDir);
        try {
          new Store(db).failRunningRuns();
        } finally {
          db.close();
        }
      } catch {
        /* no state yet: nothing recorded */
      }
    }
    throw e;
  }
}
