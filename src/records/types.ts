import type { CommitFiles } from '../sources/code/commitFiles.js';
import type { LineageBlock, TaskCaveat } from '../lineage/types.js';
import type { KeyRefusal } from '../lineage/keys.js';
import type { RewrittenLogFile } from '../delta/logFingerprint.js';

export type { CommitFiles };

/**
 * Root changes: what relspec observed. Each has a stable id so causes in later runs can point at it.
 */
export type RootChange =
  | {
      id: string;
      kind: 'source_changed';
      source: string;
      path: string;
      fromVersion: number;
      toVersion: number;
      files: { added: string[]; removed: string[]; modified: string[] };
    }
  | { id: string; kind: 'source_added'; source: string; path: string; toVersion: number }
  | {
      id: string;
      kind: 'delta_commits';
      source: string;
      path: string;
      fromVersion: number;
      toVersion: number;
      commits: DeltaCommitSummary[];
      /** Per column set read by consumers: did the projection change? */
      consumers: { tasks: string[]; columns: string[]; changed: boolean }[];
      /** Set when the change rows could not be read (vacuumed files, schema change): full scans. */
      fallback?: string;
      /**
       * Log files already consumed whose bytes changed since (a commit completed after it was read):
       * what was read of them cannot be undone from change rows, so the snapshot was scanned.
       */
      rewritten?: RewrittenLogFile[];
    }
  | { id: string; kind: 'task_added'; task: string; file: string }
  | {
      id: string;
      kind: 'task_edited';
      task: string;
      file: string;
      fromFingerprint: string;
      toFingerprint: string;
      fromSql?: string;
      toSql?: string;
    }
  | { id: string; kind: 'task_removed'; task: string; file: string }
  | { id: string; kind: 'config_edited'; file: string; from: string; to: string }
  | { id: string; kind: 'engine_changed'; from: string; to: string }
  | { id: string; kind: 'rescan'; reason: string };

export interface DeltaCommitSummary {
  version: number;
  timestamp: number;
  operation?: string;
  counts: { insert: number; delete: number; update_preimage: number; update_postimage: number };
  /**
   * The source files whose rows the commit replaced, when the writer recorded them (relspec's code
   * sources do, in commitInfo.operationParameters `relspec.files`): so a cause chain ends at the
   * edited file, not only at a table version.
   */
  files?: CommitFiles;
}

export interface UpstreamRef {
  task: string;
  runId: number;
}

/** Why a task ran. Every chain of causes ends at a root change. */
export type Cause =
  | { kind: 'new'; root?: string }
  | { kind: 'plan_changed'; from: string; to: string; root?: string }
  | {
      kind: 'input_changed';
      input: string;
      columns: string[];
      from: string | null;
      to: string;
      /** The root change that made the input differ, when the input is a source. */
      root?: string;
      /** The upstream task run that rewrote the input, when the input is an output. */
      upstream?: UpstreamRef;
    }
  | { kind: 'previous_failure'; runId: number }
  | { kind: 'output_missing' }
  | { kind: 'engine_changed'; from: string; to: string }
  | { kind: 'forced' }
  /**
   * A file the task reads through a table function (or a `glob()` listing, path `glob:PATTERN`)
   * changed: content hashes, `missing` when it is gone, null when it was not read before / is no longer.
   */
  | { kind: 'file_changed'; path: string; from: string | null; to: string | null }
  /** `-- @volatile`: rebuilt on every run. */
  | { kind: 'volatile' };

export type CauseKind = Cause['kind'];

/** Why a task was skipped: nothing reached it, or a change stopped at its inputs (early cutoff). */
export type SkipReason =
  | { kind: 'up_to_date' }
  /** Each input's required columns were unchanged (columns [] means only its row count is read). */
  | { kind: 'cut_off'; inputs: { input: string; columns: string[] }[] };

/** Why a task was blocked: an upstream task did not produce its input, or lineage could not tell its columns. */
export type BlockReason = { kind: 'upstream'; task: string; status: 'failed' | 'blocked' } | ({ kind: 'lineage' } & LineageBlock);

/** `relspec plan`: the task builds unless what it waits on turns out unchanged. */
export interface WaitReason {
  kind: 'waits_on';
  tasks: string[];
}

/** A reason recorded as a sentence by an earlier version of relspec (before reasons were data). */
export interface LegacyReason {
  kind: 'legacy';
  text: string;
}

export type TaskReason = SkipReason | BlockReason | WaitReason | LegacyReason;

export type TaskStatus = 'built' | 'skipped' | 'failed' | 'blocked';
export type PlanStatus = 'would_build' | 'skipped' | 'would_build_unless_cutoff' | 'failed' | 'blocked';

/** The token of one input over the task's required columns, as recorded in a trace. */
export interface TraceInput {
  columns: string[];
  token: string;
  /** The input's evidence version read (a Delta source's table version): where its change rows start. */
  version?: number;
}

export interface Trace {
  task: string;
  fingerprint: string;
  engineVersion: string;
  inputs: Record<string, TraceInput>;
  output: string;
  /** Tokens of the task's own output (slice), by column-set key. */
  outputTokens: Record<string, string>;
  runId: number;
  sql: string;
  /** Files read through table functions at this build: path (or `glob:PATTERN`) → content hash. */
  files?: Record<string, string>;
  /** What this build cannot promise (untracked reads, volatile functions). */
  caveats?: TaskCaveat[];
  /** A key-scoped task's key and how many keys its output holds (kept by each refresh, docs/ARCHITECTURE.md). */
  keys?: { columns: string[]; count: number; rows?: number };
}

/** Why a built task recomputed its whole output rather than the rows of the changed keys. */
export type RefreshReason =
  | { kind: 'not_key_scoped'; refusal?: KeyRefusal }
  | { kind: 'declared_key_refused'; columns: string[]; refusal?: KeyRefusal }
  | { kind: 'materialization'; materialize: 'view' | 'delta' | 'shared' }
  | { kind: 'contract' }
  | { kind: 'first_build' }
  | { kind: 'cause'; cause: Cause['kind'] }
  | { kind: 'changes_unknown'; input: string }
  | { kind: 'too_many_keys'; keys: number; of: number; threshold: number }
  | { kind: 'too_many_rows'; rows: number; of: number; threshold: number }
  | { kind: 'keys_off' }
  | { kind: 'interrupted_write' }
  | { kind: 'not_rewritable' }
  | { kind: 'new_columns' };

/** How a built task refreshed its output: by key (the rows of `keys` of `of` keys) or in full (and why). */
export interface Refresh {
  mode: 'keys' | 'full';
  key?: string[];
  keys?: number;
  of?: number;
  /** Rows the refresh recomputed (key mode). */
  rows?: number;
  reason?: RefreshReason;
}

export interface TaskResult {
  task: string;
  output: string;
  status: TaskStatus;
  causes: Cause[];
  durationMs: number;
  rows?: number;
  error?: string;
  /** The stable code of `error` when relspec raised it (E_GRAPH, E_TASK_SQL, …): the exit code depends on it. */
  errorCode?: string;
  /** Not built: why (skipped, blocked; a plan's wait). Stored as JSON in task_runs.reason. */
  reason?: TaskReason;
  file?: string;
  /** Built tasks: by key or in full. */
  refresh?: Refresh;
}

/** A finished run's status; `running` while it runs, `interrupted` by SIGTERM, `crashed` when its process died. */
export type RunStatus = 'ok' | 'failed' | 'noop';
export type StoredRunStatus = RunStatus | 'running' | 'interrupted' | 'crashed';

/** Long work as it happens: a task starting, code extraction moving through files. Not stored. */
export type ProgressEvent =
  | { kind: 'task_started'; task: string; index: number; total: number }
  | { kind: 'code_extract'; source: string; done: number; total: number };

export interface RunResult {
  runId: number;
  status: RunStatus;
  changes: RootChange[];
  tasks: TaskResult[];
  /** Problems outside tasks (config, sources, graph) found in this run. */
  errors: { code: string; message: string; file?: string; fix?: string }[];
  durationMs: number;
}
