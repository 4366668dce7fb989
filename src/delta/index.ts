import { existsSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { loadSnapshot, type LoadOptions, type Snapshot } from './read/snapshot.js';
import { tableFeatures } from './protocol.js';
import { duckType } from './schema.js';
import { deltaError, duckPath, firstLine } from './util.js';
import { sqlList } from '../util/sql.js';

/**
 * Delta Lake reader: log replay, checkpoints, protocol gate, deletion vectors, column mapping,
 * Change Data Feed — implemented from the Delta protocol (no Delta library exists for Node, and DuckDB's
 * delta extension is not available). Every function that touches data takes the caller's
 * DuckDB connection; errors are RelspecError with code E_DELTA (corrupt/incomplete table, bad
 * request) or E_DELTA_UNSUPPORTED (valid table using something this reader does not implement).
 */

export { loadSnapshot, type Snapshot, type LiveFile, type CommitStamp, type LoadOptions } from './read/snapshot.js';
export type { Pin } from './read/pin.js';
export { DeltaReadCache } from './read/cache.js';
export { snapshotQuery, registerSnapshotView, type SnapshotQueryOptions, type RegisterOptions } from './read/scan.js';
export {
  tableChanges,
  changeCounts,
  type TableChanges,
  type TableChangesOptions,
  type ChangeCommit,
  type ChangeCounts,
  type VersionChangeCounts,
} from './read/changes.js';
export { tableHistory, type HistoryEntry } from './read/history.js';
export { listLog, type LogListing } from './log.js';
export { SUPPORTED_READER_FEATURES } from './protocol.js';

export interface TableInfo {
  version: number;
  protocol: { minReaderVersion: number; minWriterVersion: number; readerFeatures?: string[]; writerFeatures?: string[] };
  partitionColumns: string[];
  schema: { name: string; type: string }[];
  numFiles: number;
  /** Logical rows (physical rows minus deletion-vector cardinality); null when stats are absent and files unreadable. */
  numRows: number | null;
  /** Table features in effect (explicit, or implied by legacy protocol versions). */
  features: string[];
  columnMapping: Snapshot['columnMapping'];
  configuration: Record<string, string>;
  timestamp: number;
}

/** A summary of the table at `version` (latest by default), from the log and file footers only. */
export async function inspectTable(
  conn: DuckDBConnection,
  tableDir: string,
  opts: Pick<LoadOptions, 'version' | 'timestamp' | 'pin'> = {},
): Promise<TableInfo> {
  const s = await loadSnapshot(conn, tableDir, opts);
  return {
    version: s.version,
    protocol: { ...s.protocol },
    partitionColumns: s.partitionColumns,
    schema: s.schema.fields.map((f) => ({ name: f.name, type: duckType(f.type) })),
    numFiles: s.files.length,
    numRows: await countRows(conn, s),
    features: tableFeatures(s.protocol),
    columnMapping: s.columnMapping,
    configuration: s.configuration,
    timestamp: s.timestamp,
  };
}

/** `stats.numRecords` where written, else the parquet footer's row count; minus DV cardinality. */
async function countRows(conn: DuckDBConnection, s: Snapshot): Promise<number | null> {
  let rows = 0;
  const noStats = s.files.filter((f) => f.numRecords === undefined);
  for (const f of s.files) rows += (f.numRecords ?? 0) - (f.deletionVector?.cardinality ?? 0);
  if (!noStats.length) return rows;
  if (noStats.some((f) => !existsSync(f.absPath))) return null;
  try {
    const list = sqlList(noStats.map((f) => duckPath(f.absPath)));
    const r = await conn.runAndReadAll(`SELECT file_name, num_rows FROM parquet_file_metadata(${list})`);
    const byFile = new Map((r.getRows() as [string, unknown][]).map(([f, n]) => [f, Number(n)]));
    for (const f of noStats) {
      const n = byFile.get(f.absPath);
      if (n === undefined) return null;
      rows += n;
    }
    return rows;
  } catch (e) {
    throw deltaError({ table: s.tableDir, version: s.version }, `cannot read data file footers: ${firstLine(e)}`, undefined, e);
  }
}
export {
  createTable,
  writeTable,
  prepareWrite,
  commitWrite,
  writeCheckpoint,
  removeOrphans,
  DeltaCommitConflict,
  isCommitConflict,
  SUPPORTED_WRITER_FEATURES,
  type CreateTableOptions,
  type WriteOptions,
  type WriteMode,
  type WriteCounts,
  type WriteResult,
  type CommitOptions,
  type PreparedWrite,
  type CheckpointResult,
  type ColumnSpec,
  type SchemaInput,
} from './write/index.js';
