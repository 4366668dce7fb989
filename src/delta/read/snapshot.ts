import { stat } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { RelspecError } from '../../errors.js';
import type { ActionSet, AddAction, DeletionVectorDescriptor, MetadataAction, PartitionValues, ProtocolAction } from '../actions.js';
import { readCheckpoint } from '../checkpoint.js';
import { dvUniqueId } from '../deletionVectors.js';
import { listLog, missingCommit, readCommit, type CheckpointEntry, type LogListing } from '../log.js';
import type { LogFileFingerprint } from '../logFingerprint.js';
import { checkReaderProtocol, columnMappingMode, type ColumnMappingMode } from '../protocol.js';
import { checkTypeChanges, parseSchemaString, type StructType } from '../schema.js';
import { deltaError, mapLimit, resolveDataPath, type Where } from '../util.js';
import { checkPinnedVersion, versionAtTimestamp, type Pin } from './pin.js';
import { commitTimestamp, type CommitStamp } from './timestamp.js';

export { commitTimestamp, type CommitStamp } from './timestamp.js';

/**
 * A table's state at one version (Delta protocol, **Action Reconciliation**, **Checkpoints**):
 * newest usable checkpoint at or before the version, then every later commit in order.
 */

export interface LiveFile {
  /** `add.path` as written in the log. */
  path: string;
  /** The decoded local file. */
  absPath: string;
  partitionValues: PartitionValues;
  size: number;
  modificationTime?: number;
  /** Physical rows (`stats.numRecords`), when the writer recorded stats. */
  numRecords?: number;
  /** `stats` JSON as written, when the writer recorded it (write/prune.ts). */
  stats?: string;
  deletionVector?: DeletionVectorDescriptor;
  /** Version of the commit (or checkpoint) this add was read from. */
  addedIn: number;
}

export interface Snapshot {
  tableDir: string;
  version: number;
  protocol: ProtocolAction;
  metadata: MetadataAction;
  schema: StructType;
  partitionColumns: string[];
  configuration: Record<string, string>;
  columnMapping: ColumnMappingMode;
  files: LiveFile[];
  /** Timestamp of `version`. */
  timestamp: number;
  /** Timestamps of the commits replayed on top of the checkpoint (all commits without one). */
  commits: CommitStamp[];
  checkpointVersion?: number;
  /** `txn`: "the latest `version` seen for a given `appId` wins". */
  appTransactions: Record<string, number>;
  /** Live `domainMetadata` configurations by domain. */
  domainMetadata: Record<string, string>;
  /** Fingerprints of the commit files replayed, of the bytes parsed (logFingerprint.ts). */
  logFiles?: LogFileFingerprint[];
}

export interface LoadOptions {
  version?: number;
  /** ISO-8601: the latest commit at or before it (pin.ts). Exclusive with `version`. */
  timestamp?: string;
  /**
   * A user's pin (`sources.items.options.version`, `--timestamp`): out-of-range versions and
   * timestamps are reported against it, with the retained range and the pin to edit.
   */
  pin?: Pin;
  /** Reuse a listing made moments ago (CDF reads many versions of one table). */
  listing?: LogListing;
}

interface ReplayState {
  protocol?: ProtocolAction;
  metadata?: MetadataAction;
  files: Map<string, LiveFile>;
  txns: Map<string, number>;
  domains: Map<string, string>;
}

const fileKey = (absPath: string, dv: DeletionVectorDescriptor | undefined): string => `${absPath}\u0000${dvUniqueId(dv)}`;

function applyAdds(state: ReplayState, adds: AddAction[], tableDir: string, version: number, w: Where): void {
  for (const a of adds) {
    const absPath = resolveDataPath(tableDir, a.path, w);
    state.files.set(fileKey(absPath, a.deletionVector), {
      path: a.path,
      absPath,
      partitionValues: a.partitionValues,
      size: a.size,
      modificationTime: a.modificationTime,
      numRecords: a.numRecords,
      ...(a.stats === undefined ? {} : { stats: a.stats }),
      deletionVector: a.deletionVector,
      addedIn: version,
    });
  }
}

/** Applies one commit. Order inside a commit is not defined, so removes go first, then adds. */
function applyCommit(state: ReplayState, set: ActionSet, tableDir: string, version: number, w: Where): void {
  if (set.protocol.length) state.protocol = set.protocol[0];
  if (set.metaData.length) state.metadata = set.metaData[0];
  for (const r of set.removes) state.files.delete(fileKey(resolveDataPath(tableDir, r.path, w), r.deletionVector));
  applyAdds(state, set.adds, tableDir, version, w);
  for (const t of set.txns) state.txns.set(t.appId, t.version);
  for (const d of set.domainMetadata) {
    if (d.removed) state.domains.delete(d.domain);
    else state.domains.set(d.domain, d.configuration);
  }
}

export async function loadSnapshot(conn: DuckDBConnection, tableDir: string, opts: LoadOptions = {}): Promise<Snapshot> {
  const listing = opts.listing ?? (await listLog(tableDir));
  const table = listing.tableDir;
  if (opts.version !== undefined && opts.timestamp !== undefined) {
    throw deltaError({ table }, 'a version and a timestamp were both given', 'time travel by one of them');
  }
  if (opts.pin !== undefined && opts.version !== undefined) checkPinnedVersion(listing, opts.version, opts.pin);
  const target =
    opts.timestamp !== undefined
      ? await versionAtTimestamp(listing, opts.timestamp, opts.pin ?? { name: 'timestamp', code: 'E_DELTA' })
      : (opts.version ?? listing.latestVersion);
  if (!Number.isSafeInteger(target) || target < 0) {
    throw deltaError({ table }, `invalid version ${String(opts.version)}: versions are non-negative integers`);
  }
  if (target > listing.latestVersion) {
    throw deltaError(
      { table, version: target },
      `version ${target} does not exist (latest version is ${listing.latestVersion})`,
      `read a version between ${listing.earliestCommit ?? listing.latestVersion} and ${listing.latestVersion}`,
    );
  }
  // "For time travel, the checkpoint used must not be newer than the time travel version".
  const candidates: (CheckpointEntry | undefined)[] = listing.checkpoints.filter((c) => c.version <= target);
  candidates.push(undefined); // last resort: replay from commit 0
  let checkpointError: RelspecError | undefined;
  for (const cp of candidates) {
    const from = cp ? cp.version + 1 : 0;
    if (!cp && !listing.commits.has(0)) {
      if (checkpointError) throw checkpointError;
      const partial = (listing.incompleteCheckpoints ?? []).filter((c) => c.version <= target);
      const ignored = partial.map((c) => `; checkpoint ${c.version} has ${c.present} of its ${c.parts} parts and is ignored`).join('');
      throw deltaError(
        { table, version: target, file: listing.logDir },
        `cannot reconstruct version ${target}: commit 0 is missing and no checkpoint exists at or before version ${target}${ignored}`,
        partial.length
          ? 'restore the missing checkpoint part files (or the commits before the checkpoint)'
          : 'the log was truncated by metadata cleanup; read a version at or after the oldest checkpoint',
      );
    }
    // Commits after the starting point must all exist (docs/delta-notes.md §2.3); a missing one cannot
    // be bridged by an older checkpoint either, which would need that commit too.
    for (let v = from; v <= target; v++) {
      if (listing.commits.has(v)) continue;
      if (!checkpointError) throw missingCommit(listing, v);
      throw deltaError(
        { table, version: target, file: checkpointError.file },
        `a checkpoint is unreadable and replaying from an older starting point needs commit ${v}, which is missing. Checkpoint error: ${checkpointError.message}`,
        checkpointError.fix,
        checkpointError,
      );
    }
    let base: ActionSet | undefined;
    if (cp) {
      try {
        base = await readCheckpoint(conn, listing, cp);
      } catch (e) {
        // An unreadable checkpoint is skipped: an older one (or commit 0) may still rebuild the state.
        if (!(e instanceof RelspecError)) throw e;
        checkpointError ??= e;
        continue;
      }
    }
    return replay(listing, target, cp, base, from);
  }
  throw checkpointError ?? deltaError({ table, version: target }, `no usable checkpoint or commit 0 to reconstruct version ${target}`);
}

async function replay(
  listing: LogListing,
  target: number,
  cp: CheckpointEntry | undefined,
  base: ActionSet | undefined,
  from: number,
): Promise<Snapshot> {
  const table = listing.tableDir;
  const state: ReplayState = { files: new Map(), txns: new Map(), domains: new Map() };
  if (base && cp) {
    const w: Where = { table, version: cp.version, file: cp.files[0].path };
    state.protocol = base.protocol[0];
    state.metadata = base.metaData[0];
    // Checkpoint removes are tombstones kept for VACUUM; they never hide the checkpoint's adds.
    applyAdds(state, base.adds, table, cp.version, w);
    for (const t of base.txns) state.txns.set(t.appId, t.version);
    for (const d of base.domainMetadata) if (!d.removed) state.domains.set(d.domain, d.configuration);
  }
  const versions: number[] = [];
  for (let v = from; v <= target; v++) versions.push(v);
  const seen = new Map<number, LogFileFingerprint>();
  const sets = await mapLimit(versions, 16, (v) => readCommit(listing, v, seen));
  const configs: (Record<string, string> | undefined)[] = [];
  for (let i = 0; i < versions.length; i++) {
    const v = versions[i];
    applyCommit(state, sets[i], table, v, { table, version: v, file: listing.commits.get(v)?.path });
    configs.push(state.metadata?.configuration);
  }
  const w: Where = { table, version: target };
  // "a snapshot must contain exactly one protocol and one metaData" (**Action Reconciliation**).
  if (!state.protocol)
    throw deltaError(
      w,
      'no protocol action at or before this version',
      'the log is corrupt: commit 0 or the checkpoint must hold the protocol',
    );
  if (!state.metadata)
    throw deltaError(
      w,
      'no metaData action at or before this version',
      'the log is corrupt: commit 0 or the checkpoint must hold the metaData',
    );
  const protocol = state.protocol;
  const metadata = state.metadata;
  checkReaderProtocol(protocol, w);
  const schema = parseSchemaString(metadata.schemaString, w);
  checkTypeChanges(schema, w);
  const fields = new Set(schema.fields.map((f) => f.name));
  for (const p of metadata.partitionColumns) {
    if (!fields.has(p)) throw deltaError(w, `partition column ${p} is not in the table schema`);
  }
  if (!schema.fields.length && state.files.size) {
    throw deltaError(
      w,
      'metaData has no schemaString but the table has data files',
      'the log is corrupt: the schema is required to read data',
    );
  }
  if (metadata.formatProvider !== 'parquet') {
    throw deltaError(w, `data file format ${metadata.formatProvider} is not parquet (the only format Delta defines)`);
  }
  const commits = await mapLimit(versions, 32, async (v, i) => {
    const mtime = (await stat(listing.commits.get(v)!.path)).mtimeMs;
    return commitTimestamp(v, sets[i].commitInfo, configs[i], mtime);
  });
  let timestamp: number;
  if (commits.length && commits[commits.length - 1].version === target) timestamp = commits[commits.length - 1].timestamp;
  else if (listing.commits.has(target)) {
    const set = await readCommit(listing, target);
    const mtime = (await stat(listing.commits.get(target)!.path)).mtimeMs;
    timestamp = commitTimestamp(target, set.commitInfo, metadata.configuration, mtime).timestamp;
  } else timestamp = Math.trunc((await stat(cp!.files[0].path)).mtimeMs); // checkpoint-only log
  return {
    tableDir: table,
    version: target,
    protocol,
    metadata,
    schema,
    partitionColumns: metadata.partitionColumns,
    configuration: metadata.configuration,
    columnMapping: columnMappingMode(protocol, metadata, w),
    files: [...state.files.values()],
    timestamp,
    commits,
    checkpointVersion: cp?.version,
    appTransactions: Object.fromEntries(state.txns),
    domainMetadata: Object.fromEntries(state.domains),
    logFiles: [...seen.values()].sort((a, b) => a.version - b.version),
  };
}
