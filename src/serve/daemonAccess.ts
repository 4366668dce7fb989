import type { LoadedConfig } from '../config/load.js';
import type { Session } from '../daemon/session.js';
import type { RunOptions, RunOutcome } from '../incremental/runTypes.js';

/** A run or plan asked for over the socket. */
export interface RequestedRun {
  select?: string;
  fullRefresh?: boolean;
  dryRun: boolean;
  onTask: RunOptions['onTask'];
}

/** What the socket's handlers may use of the daemon: nothing else of it is theirs. */
export interface DaemonAccess {
  /** The daemon's open handles; undefined while it reopens them after a fault. */
  session(): Session | undefined;
  /**
   * Runs run() in the daemon's single-flight loop (after the pass in progress, never beside it) with
   * the daemon's config, session and warm extractors; resolves with the outcome and the config it used.
   */
  run(r: RequestedRun): Promise<{ outcome: RunOutcome; loaded: LoadedConfig }>;
}
