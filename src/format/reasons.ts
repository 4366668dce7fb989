import type { LineageBlock } from '../lineage/types.js';
import type { TaskReason } from '../records/types.js';
import type { NotRunReason } from '../incremental/why.js';
import type { StaleReason } from '../incremental/status.js';

/**
 * The one place reasons become words: the run's console lines, the daemon's log, `why`, `status`
 * and the JSON outputs' `message` fields all print through here. Stored and returned reasons are
 * data (src/records/types.ts); nothing parses these sentences back.
 */

const list = (xs: readonly string[]) => xs.join(', ');

export function lineageBlockText(b: LineageBlock): string {
  switch (b.because) {
    case 'upstream_failed':
      return `input ${list(b.inputs)} has no schema: an upstream task failed`;
    case 'source_unreadable':
      return `source ${list(b.inputs)} has no schema`;
    case 'cycle':
      return `input ${list(b.inputs)} is in a cycle`;
  }
}

export function reasonText(r: TaskReason): string {
  switch (r.kind) {
    case 'up_to_date':
      return 'up to date';
    case 'cut_off':
      return `cut off: ${list(r.inputs.map((i) => `${i.input}(${list(i.columns) || 'row count'})`)) || 'its inputs'} unchanged`;
    case 'upstream':
      return `upstream task ${r.task} ${r.status}`;
    case 'lineage':
      return lineageBlockText(r);
    case 'waits_on':
      return `waits on ${list(r.tasks)}`;
    case 'legacy':
      return r.text;
  }
}

export function notRunText(r: NotRunReason): string {
  switch (r.kind) {
    case 'pending':
      return `not verified yet: ${r.count === 1 ? 'a change awaits' : `${r.count} changes await`} the next run${r.lastBuiltRun !== null ? ` (last built in run ${r.lastBuiltRun})` : ''}`;
    case 'not_attempted_after':
      return `not attempted in run ${r.runId}; it ${r.status === 'failed' ? 'failed' : 'was blocked'} in run ${r.lastRun}`;
    case 'up_to_date_since':
      return `up to date since run ${r.runId} (its last build)`;
    case 'not_attempted':
      return `not attempted in run ${r.runId}`;
    case 'no_record':
      return `no record of ${r.task} at or before run ${r.runId}`;
  }
}

export function staleText(r: StaleReason): string {
  switch (r.kind) {
    case 'failed':
      return `failed in run ${r.runId}`;
    case 'blocked':
      return `blocked in run ${r.runId}${r.reason ? `: ${reasonText(r.reason)}` : ''}`;
    case 'never_built':
      return 'never built';
    case 'pending':
      return `pending: ${list(r.changes)}`;
  }
}
