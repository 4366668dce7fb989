import type { RunRow, Store } from '../state/store.js';
import type { StoredRunStatus } from '../records/types.js';
import { shownStatus, type ReadOptions } from './status.js';

/** `relspec history`: each run with its trigger, timing, status, counts and root changes. */
export interface RunInfo {
  runId: number;
  trigger: string;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  status: StoredRunStatus;
  selection: string | null;
  summary: Record<string, number> | null;
  graphSignature: string | null;
  engineVersion: string | null;
  /** Root change ids observed in the run. */
  changes: string[];
}

/** Runs, newest first. */
export function history(store: Store, limit = 20, opts: ReadOptions = {}): RunInfo[] {
  return store.runs(limit).map((r: RunRow) => {
    const start = Date.parse(r.startedAt);
    const end = r.endedAt ? Date.parse(r.endedAt) : NaN;
    return {
      runId: r.id,
      trigger: r.trigger,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      durationMs: Number.isFinite(start) && Number.isFinite(end) ? end - start : null,
      status: shownStatus(r.status, opts),
      selection: r.selection,
      summary: r.summary,
      graphSignature: r.graphSignature,
      engineVersion: r.engineVersion,
      changes: store.changeIdsOfRun(r.id),
    };
  });
}
