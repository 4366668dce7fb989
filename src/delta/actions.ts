/**
 * Typed Delta actions (Delta protocol, **Actions**), as `parse.ts` validates them out of commit lines
 * and checkpoint rows.
 */

export interface DeletionVectorDescriptor {
  storageType: 'u' | 'i' | 'p';
  pathOrInlineDv: string;
  offset?: number;
  sizeInBytes: number;
  cardinality: number;
}

export type PartitionValues = Record<string, string | null>;

export interface AddAction {
  path: string;
  partitionValues: PartitionValues;
  size: number;
  modificationTime?: number;
  dataChange: boolean;
  /** From `stats.numRecords` (JSON string) or `stats_parsed.numRecords` (checkpoints); physical rows. */
  numRecords?: number;
  /** The `stats` JSON string as written (min/max prune files in writes: write/prune.ts); absent in `stats_parsed` checkpoints. */
  stats?: string;
  tags?: Record<string, string | null>;
  deletionVector?: DeletionVectorDescriptor;
  baseRowId?: number;
  defaultRowCommitVersion?: number;
}

export interface RemoveAction {
  path: string;
  dataChange: boolean;
  deletionTimestamp?: number;
  extendedFileMetadata?: boolean;
  /** Absent on old writers; Spark omits null keys (docs/delta-notes.md §3). */
  partitionValues?: PartitionValues;
  size?: number;
  numRecords?: number;
  deletionVector?: DeletionVectorDescriptor;
}

export interface CdcAction {
  path: string;
  partitionValues: PartitionValues;
  size?: number;
  dataChange: boolean;
}

export interface MetadataAction {
  id: string;
  name?: string;
  description?: string;
  formatProvider: string;
  /** Required by the spec, but Databricks DLT writes a first metaData without it (no columns yet). */
  schemaString?: string;
  partitionColumns: string[];
  configuration: Record<string, string>;
  createdTime?: number;
}

export interface ProtocolAction {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures?: string[];
  writerFeatures?: string[];
}

export interface CommitInfo {
  timestamp?: number;
  inCommitTimestamp?: number;
  operation?: string;
  operationParameters?: Record<string, unknown>;
  operationMetrics?: Record<string, unknown>;
  engineInfo?: string;
  raw: Record<string, unknown>;
}

export interface TxnAction {
  appId: string;
  version: number;
  lastUpdated?: number;
}

export interface DomainMetadataAction {
  domain: string;
  configuration: string;
  removed: boolean;
}

export interface SidecarAction {
  path: string;
  sizeInBytes?: number;
}

/** All actions of one log entry (commit, checkpoint, sidecar), grouped by kind. */
export interface ActionSet {
  adds: AddAction[];
  removes: RemoveAction[];
  cdcs: CdcAction[];
  metaData: MetadataAction[];
  protocol: ProtocolAction[];
  commitInfo?: CommitInfo;
  txns: TxnAction[];
  domainMetadata: DomainMetadataAction[];
  checkpointMetadata?: { version: number };
  sidecars: SidecarAction[];
}

export const emptyActionSet = (): ActionSet => ({
  adds: [],
  removes: [],
  cdcs: [],
  metaData: [],
  protocol: [],
  txns: [],
  domainMetadata: [],
  sidecars: [],
});
