import type { LoadedConfig } from '../config/load.js';
import type { DeltaReadCache } from '../delta/index.js';
import type { Warehouse } from '../engine/warehouse.js';
import type { ProjectWarning } from '../project/warnings.js';
import type { CodeExtractors, CodeSyncResult } from '../sources/index.js';
import type { Db } from '../state/db.js';
import type { PlanStatus, ProgressEvent, RunResult, TaskResult } from '../records/types.js';
import type { TaskWarning } from './caveats.js';
import type { DeliveryCounts, LineageSink } from '../openlineage/index.js';
import type { RunSummary } from '../records/summary.js';

export interface RunOptions {
  configPath?: string;
  cwd?: string;
  /** An already-loaded config (the daemon keeps the last good one). */
  loaded?: LoadedConfig;
  select?: string;
  fullRefresh?: boolean;
  /** Decide without executing or writing anything (`relspec plan`). */
  dryRun?: boolean;
  /** Verify every task, not only the candidates (start-up, watcher overflow). */
  reconcile?: boolean;
  /** Recorded as a `rescan` root change. */
  rescanReason?: string;
  trigger?: string;
  /** Reused between runs by the daemon. */
  session?: { db: Db; warehouse: Warehouse; lineage?: LineageSink };
  /** Warm code extractors kept by the daemon; a run without makes its own. */
  codeExtractors?: CodeExtractors;
  /** Delta footers and deletion vectors kept by the daemon across runs; a run without keeps its own. */
  deltaCache?: DeltaReadCache;
  onTask?: (r: TaskResult | PlanEntry, index: number, total: number) => void;
  /** A task starting, code extraction file by file: for progress displays and the page's live view. */
  onProgress?: (e: ProgressEvent) => void;
  /** Checked between tasks: stop scheduling new ones (SIGTERM). */
  signal?: AbortSignal;
}

export interface PlanEntry extends Omit<TaskResult, 'status'> {
  status: PlanStatus;
}

export interface RunOutcome extends Omit<RunResult, 'tasks'> {
  tasks: (TaskResult | PlanEntry)[];
  /** Tasks per status; `skipped` counts the unaffected ones too. */
  summary: RunSummary;
  signature: string;
  interrupted: boolean;
  /** Tasks (in the selection) that no change could reach: up to date without verification. */
  unaffected: number;
  /** What each code source's observe step extracted and committed. */
  code: CodeSyncResult[];
  /** Tasks whose output relspec cannot vouch for (untracked file reads, volatile functions). */
  warnings: TaskWarning[];
  /** Sources whose globs reached into relspec's own directories (those files were left out). */
  sourceWarnings: ProjectWarning[];
  /** OpenLineage delivery in this run, when configured. */
  lineage?: DeliveryCounts;
  /** Files and globs tasks read through table functions (absolute): the daemon watches them. */
  taskFiles: string[];
}
