import { RelspecError, type ErrorCode } from '../errors.js';
import type { PlanEntry } from '../incremental/runTypes.js';
import type { RunSummary } from '../records/summary.js';
import type { RootChange, StoredRunStatus, TaskResult } from '../records/types.js';
import { causeText } from './causes.js';
import { reasonText } from './reasons.js';

/** Runs in words: the console's task and run lines and the daemon's log lines are built here. */

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;

/** `built in 0.12s, 3 rows: orders(amount) changed`, `failed: E_TASK_RUN …`, `skipped: up to date`. */
export function taskOutcomeText(r: TaskResult | PlanEntry): string {
  switch (r.status) {
    case 'built':
      return `built in ${seconds(r.durationMs)}${r.rows !== undefined ? `, ${r.rows} rows` : ''}: ${r.causes.map(causeText).join('; ')}`;
    case 'failed':
      return `failed: ${r.error ?? 'unknown error'}`;
    case 'blocked':
    case 'skipped':
    case 'would_build_unless_cutoff':
      return `${r.status}: ${r.reason ? reasonText(r.reason) : ''}`;
    case 'would_build':
      return `${r.status}: ${r.causes.map(causeText).join('; ')}`;
  }
}

const LABEL: Record<TaskResult['status'] | PlanEntry['status'], string> = {
  built: 'OK   ',
  skipped: 'SKIP ',
  failed: 'ERROR',
  blocked: 'BLOCK',
  would_build: 'BUILD',
  would_build_unless_cutoff: 'MAYBE',
};

/** The console's progress line: ` 3 of 12 OK    orders ........ [built in 0.12s: new]`. */
export function taskLine(r: TaskResult | PlanEntry, i: number, n: number): string {
  const head = `${String(i).padStart(String(n).length)} of ${n} ${LABEL[r.status]} ${r.task} `;
  return `${head.padEnd(48, '.')} [${taskOutcomeText(r)}]`;
}

/** `run 7 ok: built=2 skipped=5 failed=0 blocked=0 in 0.31s`. */
export function runLine(runId: number, status: StoredRunStatus, s: RunSummary, durationMs: number): string {
  return `run ${runId} ${status}: built=${s.built} skipped=${s.skipped} failed=${s.failed} blocked=${s.blocked} in ${seconds(durationMs)}`;
}

/** `relspec plan`'s last line. */
export function planLine(s: RunSummary): string {
  return `would_build=${s.would_build} would_build_unless_cutoff=${s.would_build_unless_cutoff} skipped=${s.skipped} failed=${s.failed} blocked=${s.blocked}`;
}

/** Up to four change ids, else counts per kind. */
export function summarizeChanges(changes: readonly RootChange[]): string {
  if (changes.length <= 4) return changes.map((ch) => ch.id).join(', ');
  const byKind = new Map<string, number>();
  for (const c of changes) byKind.set(c.kind, (byKind.get(c.kind) ?? 0) + 1);
  return `${changes.length} (${[...byKind].map(([k, n]) => `${n} ${k}`).join(', ')}; see --json)`;
}

/** A project error as stored in a run's outcome, on one line: `error E_CODE file: message — fix`. */
export function errorLine(e: { code: string; message: string; file?: string; fix?: string }): string {
  return `error ${new RelspecError(e.code as ErrorCode, e.message, { file: e.file, fix: e.fix }).oneLine()}`;
}
