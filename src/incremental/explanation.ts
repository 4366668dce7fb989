import type { CauseKind, Refresh, RootChange, TaskReason } from '../records/types.js';
import type { BuildCaveats } from './caveats.js';

/** What `why` returns: one explanation per task, causes linked back to root changes. */

/** A root change as stored: the observed change plus the run that observed it. */
export type StoredRootChange = RootChange & { runId: number };

export type ExplanationStatus = 'built' | 'skipped' | 'failed' | 'blocked' | 'unaffected' | 'unknown';

export interface ExplainedCause {
  kind: CauseKind;
  input?: string;
  columns?: string[];
  from?: string | null;
  to?: string | null;
  /** file_changed: the file (or `glob:PATTERN` listing). */
  path?: string;
  /** The root change, fetched by id. */
  root?: StoredRootChange;
  /** A root change id that the state no longer (or never) recorded. */
  rootId?: string;
  /** Why the upstream task that rewrote this input was built (same shape, recursively). */
  upstream?: Explanation;
  /** previous_failure: the run that failed, and its error. */
  runId?: number;
  error?: string;
  /** plan_changed: unified diff of the task's SQL, when both texts are recorded. */
  diff?: string;
  /** plan_changed with both texts recorded and equal: the edit was in the header (`-- @contract`, `-- @unique`, …). */
  headerOnly?: true;
}

/** An input at which a change stopped: its required columns were unchanged. */
export interface CutoffInput {
  input: string;
  columns: string[];
  /** The token over `columns`, unchanged since the last build (when known for that run). */
  token?: string;
  /** A source input: the change observed since the task's last build. */
  root?: StoredRootChange;
  /** An output input: what its producer did in that run. */
  upstream?: Explanation;
}

/** Why a task has no task run in the run explained (status `unaffected` or `unknown`). */
export type NotRunReason =
  /** Root changes await the next run's verification. */
  | { kind: 'pending'; count: number; lastBuiltRun: number | null }
  /** It failed or was blocked in run `lastRun`, and run `runId` did not attempt it. */
  | { kind: 'not_attempted_after'; status: 'failed' | 'blocked'; runId: number; lastRun: number }
  | { kind: 'up_to_date_since'; runId: number }
  | { kind: 'not_attempted'; runId: number }
  | { kind: 'no_record'; task: string; runId: number };

interface ExplanationBase {
  /** What was asked about (a task, or the output it produces). */
  target: string;
  task: string;
  output: string | null;
  /** The run explained. */
  runId: number;
  /** Latest run only: root changes observed but not yet verified for this task. */
  pendingChanges?: string[];
  /** Top level only: what its last build cannot promise (a volatile output kept since a given time). */
  caveats?: BuildCaveats;
}

/** Not built: its last build at or before `runId`. */
interface NotBuilt {
  lastBuiltRun: number | null;
  causes: ExplainedCause[];
  elided?: undefined;
}

/** One task's answer, by what it did in the run explained. */
export type Explanation = ExplanationBase &
  (
    | { status: 'built'; causes: ExplainedCause[]; elided?: undefined; refresh?: Refresh }
    | (NotBuilt & { status: 'failed'; error?: string; reason?: TaskReason })
    /** `blockedBy`: the upstream tasks that failed or were blocked in that run. */
    | (NotBuilt & { status: 'blocked'; reason: TaskReason; blockedBy?: Explanation[] })
    /** `cutoff`: the inputs where the change stopped. */
    | (NotBuilt & { status: 'skipped'; reason: TaskReason; cutoff: CutoffInput[] })
    | (NotBuilt & { status: 'unaffected' | 'unknown'; reason: NotRunReason })
    /** The recursion stopped here: already explained above, a cycle, or too deep. */
    | { status: ExplanationStatus; causes: ExplainedCause[]; elided: 'repeated' | 'cycle' | 'depth' }
  );

export interface WhyOptions {
  /** Explain this run instead of the latest one. */
  runId?: number;
  /** Recursion guards. */
  maxDepth?: number;
  maxNodes?: number;
}

export interface WhyResult {
  target: string;
  /** The tasks NAME maps to: itself, or the producers of the output NAME. */
  tasks: string[];
  explanations: Explanation[];
}
