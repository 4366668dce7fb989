import type { CommitInfo } from '../actions.js';

export interface CommitStamp {
  version: number;
  /** Commit timestamp in ms: `inCommitTimestamp` when In-Commit Timestamps apply, else the file mtime. */
  timestamp: number;
  inCommitTimestamp: boolean;
}

/**
 * **In-Commit Timestamps**: with `delta.enableInCommitTimestamps` the commit time is
 * `commitInfo.inCommitTimestamp`, except for versions before `delta.inCommitTimestampEnablementVersion`
 * (**Recommendations for Readers of Tables with In-Commit Timestamps**); otherwise the file mtime.
 * Without the configuration in effect (history of a truncated log) its presence is the signal.
 */
export function commitTimestamp(
  version: number,
  info: CommitInfo | undefined,
  config: Record<string, string> | undefined,
  mtimeMs: number,
): CommitStamp {
  const ict = info?.inCommitTimestamp;
  let use = ict !== undefined;
  if (config) {
    const since = Number(config['delta.inCommitTimestampEnablementVersion'] ?? 0);
    use = use && config['delta.enableInCommitTimestamps'] === 'true' && version >= since;
  }
  return use
    ? { version, timestamp: ict as number, inCommitTimestamp: true }
    : { version, timestamp: Math.trunc(mtimeMs), inCommitTimestamp: false };
}
