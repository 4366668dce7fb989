import { stat } from 'node:fs/promises';
import { listLog, readCommit } from '../log.js';
import { commitTimestamp } from './snapshot.js';
import { mapLimit } from '../util.js';

/**
 * Table history from the commit files alone (commitInfo is never in checkpoints: "Commit info for
 * version N only comes from N.json"). Versions whose commit was removed by metadata cleanup are
 * absent; history needs no data files and no DuckDB.
 */

export interface HistoryEntry {
  version: number;
  /** ms since epoch: In-Commit Timestamp when enabled, else the commit file's mtime. */
  timestamp: number;
  inCommitTimestamp: boolean;
  /** `commitInfo.timestamp`: informational only (the writer's clock). */
  commitInfoTimestamp?: number;
  operation?: string;
  operationParameters?: Record<string, unknown>;
  operationMetrics?: Record<string, unknown>;
  engineInfo?: string;
  /** Actions in the commit. `add`/`remove` count only dataChange=true; rewrites are counted apart. */
  counts: {
    add: number;
    remove: number;
    cdc: number;
    rewrittenAdd: number;
    rewrittenRemove: number;
    metaData: number;
    protocol: number;
    txn: number;
    domainMetadata: number;
    /** Physical rows of dataChange adds per their stats (undefined when any add lacks stats). */
    rowsAdded?: number;
  };
}

export async function tableHistory(tableDir: string): Promise<HistoryEntry[]> {
  const listing = await listLog(tableDir);
  const versions = [...listing.commits.keys()].sort((a, b) => a - b);
  const sets = await mapLimit(versions, 16, (v) => readCommit(listing, v));
  const mtimes = await mapLimit(versions, 32, async (v) => (await stat(listing.commits.get(v)!.path)).mtimeMs);
  // The configuration in effect decides whether In-Commit Timestamps apply; before the first
  // metaData of a truncated log it is unknown and the presence of inCommitTimestamp decides.
  let config: Record<string, string> | undefined;
  return versions.map((v, i) => {
    const set = sets[i];
    if (set.metaData.length) config = set.metaData[0].configuration;
    const ts = commitTimestamp(v, set.commitInfo, config, mtimes[i]);
    const adds = set.adds.filter((a) => a.dataChange);
    const rowsAdded = adds.every((a) => a.numRecords !== undefined) ? adds.reduce((n, a) => n + (a.numRecords ?? 0), 0) : undefined;
    return {
      version: v,
      timestamp: ts.timestamp,
      inCommitTimestamp: ts.inCommitTimestamp,
      commitInfoTimestamp: set.commitInfo?.timestamp,
      operation: set.commitInfo?.operation,
      operationParameters: set.commitInfo?.operationParameters,
      operationMetrics: set.commitInfo?.operationMetrics,
      engineInfo: set.commitInfo?.engineInfo,
      counts: {
        add: adds.length,
        remove: set.removes.filter((r) => r.dataChange).length,
        cdc: set.cdcs.length,
        rewrittenAdd: set.adds.length - adds.length,
        rewrittenRemove: set.removes.filter((r) => !r.dataChange).length,
        metaData: set.metaData.length,
        protocol: set.protocol.length,
        txn: set.txns.length,
        domainMetadata: set.domainMetadata.length,
        rowsAdded,
      },
    };
  });
}
