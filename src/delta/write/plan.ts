import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DeltaReadCache } from '../read/cache.js';
import type { ExtraColumn } from '../read/readSql.js';
import { readSql } from '../read/readSql.js';
import { snapshotQuery, snapshotReads } from '../read/scan.js';
import type { DeltaField } from '../schema.js';
import { loadSnapshot, type LiveFile, type Snapshot } from '../read/snapshot.js';
import { deltaError, type Where } from '../util.js';
import { schemaChange, type SchemaChange } from './evolve.js';
import { discardFiles, writeFiles, type FileTarget, type WrittenFile } from './files.js';
import { removeOrphans } from './orphans.js';
import { candidateFiles } from './prune.js';
import { cdfEnabled, checkWriterProtocol, type SchemaInput } from './schema.js';
import { countRows, keyMatch, run, stageKeys, stageRows, TempTables } from './stage.js';
import { quoteIdent } from '../../util/sql.js';

/**
 * Planning one write against one snapshot: stage the new rows, find the files to remove, write the
 * new data and change data files, and build the commit's actions. Nothing is committed here.
 *  - append: adds only (a blind append; CDF readers derive inserts from the adds);
 *  - overwrite: every live file removed, the new rows added;
 *  - replace: copy-on-write by key — files holding any affected key are removed, their surviving
 *    rows rewritten together with the new rows; unaffected files are untouched.
 * With the change data feed on, overwrite and replace also write cdc files: deleted rows as
 * `delete`, new rows as `insert` (a key present on both sides is a delete plus an insert, not an
 * update pre/post image pair: keys need not be unique, so rows cannot be paired reliably).
 */

export type WriteMode = 'append' | 'overwrite' | 'replace';

export interface WriteOptions {
  mode: WriteMode;
  /** A DuckDB SELECT returning exactly the table's columns (by name; cast to the table types). */
  sql: string;
  /** replace: delete existing rows whose key values (NULL-safe) appear in the new rows or in `deleteKeysSql`. */
  keys?: string[];
  /** replace: a SELECT of key tuples (by name, or positionally) to delete even without new rows. */
  deleteKeysSql?: string;
  /** commitInfo.operation (default WRITE for append/overwrite, MERGE for replace). */
  operation?: string;
  /** Extra commitInfo.operationParameters (string values, as Delta writers record them). */
  parameters?: Record<string, string>;
  /** Write a classic checkpoint after committing a version divisible by this (default 10; 0 = never). */
  checkpointInterval?: number;
  /** Commit attempts after a conflict before giving up (default 5). */
  maxRetries?: number;
  /**
   * overwrite only: the table's new schema, committed in the same version as the rewritten rows
   * (writer/evolve.ts). `sql` then returns the new columns.
   */
  schema?: SchemaInput;
  /**
   * Data columns to order the rows of each written file by, and the most rows per file (files.ts
   * FileLayout): with both, a later replace by those columns finds and rewrites a few small files
   * (prune.ts) instead of reading and copying the whole table. Default: one unordered file per partition.
   */
  sortBy?: readonly string[];
  maxRowsPerFile?: number;
}

export interface WriteCounts {
  /** New rows. */
  insert: number;
  /** Existing rows deleted (overwrite: all; replace: rows of affected keys). */
  delete: number;
  /** Surviving rows of rewritten files, copied unchanged into new files (replace only). */
  copied: number;
}

export interface PreparedWrite {
  table: string;
  options: WriteOptions;
  /** The snapshot version this write was planned against; it commits `readVersion + 1`. */
  readVersion: number;
  /** Protocol and metadata of that snapshot: a blind append can move to a newer version that keeps them. */
  fingerprint: string;
  /** remove, add and cdc actions (commitInfo is added at commit time). */
  actions: object[];
  operation: string;
  parameters: Record<string, unknown>;
  metrics: Record<string, number>;
  counts: WriteCounts;
  addedFiles: string[];
  removedFiles: string[];
  cdcFiles: string[];
  /** Absolute paths of the files written, deleted if the write is abandoned. */
  written: string[];
  /** No rows to add and nothing to remove: nothing to commit. */
  empty: boolean;
  /** Data files of writes that never committed, deleted before this one (orphans.ts). */
  orphans: string[];
}

export const fingerprint = (s: Snapshot): string => {
  const m = s.metadata;
  return JSON.stringify([s.protocol, m.id, m.schemaString, m.partitionColumns, m.configuration]);
};

const FILE_EXTRA: ExtraColumn = { name: '__relspec_file', type: 'INTEGER', fromConst: (r) => `CAST(${r} AS INTEGER)` };

function validate(opts: WriteOptions, s: Snapshot, w: Where): DeltaField[] {
  if (!['append', 'overwrite', 'replace'].includes(opts.mode))
    throw deltaError(w, `unknown write mode ${JSON.stringify(opts.mode)} (append, overwrite or replace)`);
  if (typeof opts.sql !== 'string' || !opts.sql.trim()) throw deltaError(w, 'a write needs a SELECT (sql)');
  if (opts.mode !== 'replace' && (opts.keys || opts.deleteKeysSql !== undefined))
    throw deltaError(w, `keys and deleteKeysSql apply to mode replace only, not ${opts.mode}`);
  if (opts.schema !== undefined && opts.mode !== 'overwrite') {
    throw deltaError(
      w,
      `a new schema applies to mode overwrite only, not ${opts.mode}`,
      'overwrite the table: without column mapping a schema change must rewrite every file',
    );
  }
  if (opts.mode !== 'append' && s.configuration['delta.appendOnly'] === 'true') {
    throw deltaError(w, `the table is append-only (delta.appendOnly=true): mode ${opts.mode} would delete rows`);
  }
  // With a new schema the columns are checked by writeFiles' filter (the old schema may lack them).
  if (opts.schema === undefined)
    for (const c of opts.sortBy ?? [])
      if (!s.schema.fields.some((f) => f.name === c)) throw deltaError(w, `sort column ${c} is not a column of the table`);
  if (opts.maxRowsPerFile !== undefined && !(Number.isInteger(opts.maxRowsPerFile) && opts.maxRowsPerFile > 0))
    throw deltaError(w, `maxRowsPerFile must be a positive integer, not ${String(opts.maxRowsPerFile)}`);
  if (opts.mode !== 'replace') return [];
  if (!opts.keys?.length) throw deltaError(w, 'mode replace needs keys (the columns that identify the rows to replace)');
  return opts.keys.map((k) => {
    const f = s.schema.fields.find((x) => x.name === k);
    if (!f) throw deltaError(w, `key column ${k} is not a column of the table`);
    return f;
  });
}

export async function prepareWrite(conn: DuckDBConnection, tableDir: string, opts: WriteOptions): Promise<PreparedWrite> {
  const table = path.resolve(tableDir);
  const snap = await loadSnapshot(conn, table);
  const w: Where = { table, version: snap.version };
  const keyFields = validate(opts, snap, w);
  checkWriterProtocol(snap.protocol, snap.metadata, snap.schema, w);
  const orphans = await removeOrphans(conn, snap);
  const evolve = opts.schema === undefined ? undefined : await schemaChange(conn, snap, opts.schema, w);
  const schema = evolve?.schema ?? snap.schema;
  if (evolve?.changed) checkWriterProtocol(evolve.protocol, evolve.metadata, schema, w);
  const target: FileTarget = { table, schema, partitionColumns: snap.partitionColumns, w };
  const temps = new TempTables(conn);
  const written: WrittenFile[] = [];
  const cols = snap.schema.fields.map((f) => quoteIdent(f.name)).join(', ');
  try {
    const fresh = temps.name('new');
    const insert = await stageRows(conn, w, schema, opts.sql, fresh);
    let removed: LiveFile[] = [];
    let out = fresh;
    let changes: string | undefined;
    let del = 0;
    let copied = 0;
    if (opts.mode === 'overwrite' && snap.files.length) {
      removed = snap.files;
      const old = `(${await snapshotQuery(conn, snap)})`;
      del = await countRows(conn, w, old);
      // A schema change writes no cdc files: a cdc file has the table's schema at its version (the
      // new one), which the deleted rows do not have. Without cdc actions, change readers take the
      // removed files' rows as deleted and the added files' as inserted (**Change Data Files**), each
      // read under that version's schema — what Spark's overwriteSchema commits look like too.
      if (!evolve?.changed)
        changes = `(SELECT ${cols}, 'delete' AS _change_type FROM ${old} AS __o UNION ALL SELECT ${cols}, 'insert' FROM ${fresh})`;
    } else if (opts.mode === 'replace' && snap.files.length) {
      const keys = temps.name('keys');
      if ((await stageKeys(conn, w, keyFields, fresh, opts.deleteKeysSql, keys)) > 0) {
        // Both reads of the old files share their footers and deletion vectors.
        const cache = new DeltaReadCache();
        const reads = await snapshotReads(snap, cache);
        const base = { w, schema: snap.schema, partitionColumns: snap.partitionColumns, mode: snap.columnMapping, cache };
        // Only the files whose statistics admit a key are read to find the ones that hold one.
        const candidates = await candidateFiles(conn, w, snap.files, keyFields, snap.partitionColumns, keys);
        let affected: number[] = [];
        if (candidates.length) {
          const some = await readSql(conn, {
            ...base,
            reads: candidates.map((i) => ({ ...reads[i]!, consts: [i] })),
            extras: [FILE_EXTRA],
          });
          const hits = await run(
            conn,
            w,
            'cannot find the files holding the keys',
            `SELECT DISTINCT __relspec_file FROM (${some}) AS __t WHERE ${keyMatch('__t', keys, keyFields)} ORDER BY 1`,
          );
          affected = hits.map(([i]) => Number(i));
        }
        if (affected.length) {
          removed = affected.map((i) => snap.files[i]);
          const old = temps.name('old');
          const oldSql = await readSql(conn, { ...base, reads: affected.map((i) => reads[i]) });
          await run(
            conn,
            w,
            'cannot read the files to rewrite',
            `CREATE TEMP TABLE ${old} AS SELECT __t.*, ${keyMatch('__t', keys, keyFields)} AS __relspec_del FROM (${oldSql}) AS __t`,
          );
          del = await countRows(conn, w, `(SELECT 1 FROM ${old} WHERE __relspec_del)`);
          copied = await countRows(conn, w, `(SELECT 1 FROM ${old} WHERE NOT __relspec_del)`);
          out = `(SELECT ${cols} FROM ${old} WHERE NOT __relspec_del UNION ALL SELECT ${cols} FROM ${fresh})`;
          changes = `(SELECT ${cols}, 'delete' AS _change_type FROM ${old} WHERE __relspec_del UNION ALL SELECT ${cols}, 'insert' FROM ${fresh})`;
        }
      }
    }
    const adds = await writeFiles(conn, target, out, 'data', {
      ...(opts.sortBy ? { sortBy: opts.sortBy } : {}),
      ...(opts.maxRowsPerFile ? { maxRowsPerFile: opts.maxRowsPerFile } : {}),
    });
    written.push(...adds);
    let cdcs: WrittenFile[] = [];
    if (changes && removed.length && cdfEnabled(snap.protocol, snap.metadata)) {
      // Staged once: writeFiles scans its relation once per partition.
      const staged = temps.name('changes');
      await run(conn, w, 'cannot collect the change rows', `CREATE TEMP TABLE ${staged} AS SELECT * FROM ${changes}`);
      cdcs = await writeFiles(conn, target, staged, 'cdc');
      written.push(...cdcs);
    }
    return { ...build(table, opts, snap, removed, adds, cdcs, { insert, delete: del, copied }, written, evolve), orphans };
  } catch (e) {
    await discardFiles(written.map((f) => f.absPath));
    throw e;
  } finally {
    await temps.drop();
  }
}

function build(
  table: string,
  opts: WriteOptions,
  snap: Snapshot,
  removed: LiveFile[],
  adds: WrittenFile[],
  cdcs: WrittenFile[],
  counts: WriteCounts,
  written: WrittenFile[],
  evolve?: SchemaChange,
): Omit<PreparedWrite, 'orphans'> {
  const now = Date.now();
  const actions: object[] = [
    ...(evolve?.changed ? evolve.actions : []),
    ...removed.map((f) => ({
      remove: {
        path: f.path,
        deletionTimestamp: now,
        dataChange: true,
        extendedFileMetadata: true,
        partitionValues: f.partitionValues,
        size: f.size,
        ...(f.numRecords === undefined ? {} : { stats: JSON.stringify({ numRecords: f.numRecords }) }),
        ...(f.deletionVector ? { deletionVector: f.deletionVector } : {}),
      },
    })),
    ...adds.map((f) => ({
      add: {
        path: f.path,
        partitionValues: f.partitionValues,
        size: f.size,
        modificationTime: f.modificationTime,
        dataChange: true,
        stats: f.stats,
      },
    })),
    ...cdcs.map((f) => ({ cdc: { path: f.path, partitionValues: f.partitionValues, size: f.size, dataChange: false } })),
  ];
  const partitionBy = JSON.stringify(snap.partitionColumns);
  const parameters: Record<string, unknown> =
    opts.mode === 'replace'
      ? { keys: JSON.stringify(opts.keys), deleteKeys: opts.deleteKeysSql !== undefined, partitionBy }
      : { mode: opts.mode === 'append' ? 'Append' : 'Overwrite', partitionBy, ...(evolve?.changed ? { overwriteSchema: 'true' } : {}) };
  Object.assign(parameters, opts.parameters ?? {});
  const bytes = (fs: { size: number }[]): number => fs.reduce((n, f) => n + f.size, 0);
  const metrics: Record<string, number> = {
    numOutputRows: counts.insert + counts.copied,
    numAddedFiles: adds.length,
    numRemovedFiles: removed.length,
    numAddedChangeFiles: cdcs.length,
    numAddedBytes: bytes(adds),
    numRemovedBytes: bytes(removed),
    numInsertedRows: counts.insert,
    numDeletedRows: counts.delete,
    numCopiedRows: counts.copied,
  };
  return {
    table,
    options: opts,
    readVersion: snap.version,
    fingerprint: fingerprint(snap),
    actions,
    operation: opts.operation ?? (opts.mode === 'replace' ? 'MERGE' : 'WRITE'),
    parameters,
    metrics,
    counts,
    addedFiles: adds.map((f) => f.path),
    removedFiles: removed.map((f) => f.path),
    cdcFiles: cdcs.map((f) => f.path),
    written: written.map((f) => f.absPath),
    empty: adds.length === 0 && removed.length === 0 && !evolve?.changed,
  };
}
