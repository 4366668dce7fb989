import type { DuckDBConnection } from '@duckdb/node-api';
import { loadDeletionVector } from '../deletionVectors.js';
import { DeltaReadCache } from './cache.js';
import { readSql, type FileRead } from './readSql.js';
import type { Snapshot } from './snapshot.js';
import { mapLimit, type Where } from '../util.js';
import { quoteIdent } from '../../util/sql.js';

/**
 * Reading a snapshot: "Snapshot reads only return `add` actions on the read path" (**Action
 * Reconciliation**), each file's rows minus the rows its deletion vector marks (**Deletion
 * Vectors**), with partition values from the log and columns named and typed per metaData.
 */

export interface SnapshotQueryOptions {
  /**
   * Deleted rows above this count are staged in a TEMP table on `conn` (the SQL is then valid only
   * on that connection). Default 10 000; `Infinity` always inlines them.
   */
  inlineRowsLimit?: number;
  /** Footers and deletion vectors already read, kept by the caller across reads (a fresh one per call without). */
  cache?: DeltaReadCache;
}

/** Live files as reads, their deletion vectors decoded. */
export async function snapshotReads(snapshot: Snapshot, cache: DeltaReadCache = new DeltaReadCache()): Promise<FileRead[]> {
  return mapLimit(snapshot.files, 16, async (f): Promise<FileRead> => {
    const w: Where = { table: snapshot.tableDir, version: snapshot.version, file: f.absPath };
    const exclude = f.deletionVector ? await loadDeletionVector(snapshot.tableDir, f.deletionVector, w, cache) : undefined;
    return { absPath: f.absPath, partitionValues: f.partitionValues, exclude };
  });
}

/** A DuckDB SELECT returning the snapshot's rows: logical column names, table types, schema order. */
export async function snapshotQuery(conn: DuckDBConnection, snapshot: Snapshot, opts: SnapshotQueryOptions = {}): Promise<string> {
  const cache = opts.cache ?? new DeltaReadCache();
  return readSql(conn, {
    w: { table: snapshot.tableDir, version: snapshot.version },
    schema: snapshot.schema,
    partitionColumns: snapshot.partitionColumns,
    mode: snapshot.columnMapping,
    reads: await snapshotReads(snapshot, cache),
    inlineRowsLimit: opts.inlineRowsLimit,
    cache,
  });
}

export interface RegisterOptions {
  /**
   * TEMP view (default true): private to `conn`, and allowed to use staged temp tables. A
   * persistent view inlines every deleted row in its definition so it stays valid everywhere.
   */
  temporary?: boolean;
  cache?: DeltaReadCache;
}

/** `CREATE OR REPLACE [TEMP] VIEW viewName AS <snapshotQuery>`; returns the SQL of the view. */
export async function registerSnapshotView(
  conn: DuckDBConnection,
  viewName: string,
  snapshot: Snapshot,
  opts: RegisterOptions = {},
): Promise<string> {
  const temporary = opts.temporary ?? true;
  const sql = await snapshotQuery(conn, snapshot, { cache: opts.cache, ...(temporary ? {} : { inlineRowsLimit: Infinity }) });
  await conn.run(`CREATE OR REPLACE ${temporary ? 'TEMP ' : ''}VIEW ${quoteIdent(viewName)} AS\n${sql}`);
  return sql;
}
