import { randomUUID } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { StructType } from '../schema.js';
import { loadSnapshot } from '../read/snapshot.js';
import { deltaError, firstLine, type Where } from '../util.js';
import { writeCheckpoint } from './checkpoint.js';
import { commitInfo, isCommitConflict, putCommit } from './commit.js';
import { discardFiles } from './files.js';
import { fingerprint, prepareWrite, type PreparedWrite, type WriteCounts, type WriteOptions } from './plan.js';
import { checkPartitionColumns, deltaTypeJson, initialProtocol, resolveSchema, type SchemaInput } from './schema.js';

/**
 * Delta Lake writer: create a table, then append / overwrite / replace-by-key in one atomic commit
 * each (docs/delta-notes.md §8). Data files are parquet written by DuckDB on the caller's connection;
 * `N.json` is created put-if-absent, so a concurrent writer gets a DeltaCommitConflict (E_DELTA)
 * and `writeTable` retries on the new version a bounded number of times. Classic parquet
 * checkpoints every `checkpointInterval` commits, with `_last_checkpoint`.
 */

export { DeltaCommitConflict, isCommitConflict } from './commit.js';
export { writeCheckpoint, type CheckpointResult } from './checkpoint.js';
export { removeOrphans } from './orphans.js';
export { prepareWrite, type PreparedWrite, type WriteCounts, type WriteMode, type WriteOptions } from './plan.js';
export { SUPPORTED_WRITER_FEATURES, type ColumnSpec, type SchemaInput } from './schema.js';

export interface CreateTableOptions {
  schema: SchemaInput;
  partitionColumns?: string[];
  /** Table properties; `delta.enableChangeDataFeed` defaults to "true". */
  configuration?: Record<string, string>;
  name?: string;
  description?: string;
}

/** Creates an empty Delta table (commit 0: commitInfo, protocol, metaData); returns version 0. */
export async function createTable(conn: DuckDBConnection, tableDir: string, opts: CreateTableOptions): Promise<number> {
  const table = path.resolve(tableDir);
  const w: Where = { table, version: 0 };
  const schema: StructType = await resolveSchema(conn, opts.schema, w);
  const partitionColumns = opts.partitionColumns ?? [];
  checkPartitionColumns(schema, partitionColumns, w);
  const configuration = { 'delta.enableChangeDataFeed': 'true', ...(opts.configuration ?? {}) };
  const protocol = initialProtocol(schema, configuration, w);
  const logDir = path.join(table, '_delta_log');
  try {
    await mkdir(logDir, { recursive: true });
  } catch (e) {
    throw deltaError(w, `cannot create the table directory: ${firstLine(e)}`, undefined, e);
  }
  if ((await readdir(logDir)).some((n) => /^\d{20}\.(json|checkpoint\..*parquet|checkpoint\..*json)$/.test(n))) {
    throw deltaError(w, `a Delta table already exists at ${table}`, 'write to it with writeTable, or choose another directory');
  }
  const metaData = {
    id: randomUUID(),
    ...(opts.name === undefined ? {} : { name: opts.name }),
    ...(opts.description === undefined ? {} : { description: opts.description }),
    format: { provider: 'parquet', options: {} },
    schemaString: JSON.stringify(deltaTypeJson(schema)),
    partitionColumns,
    configuration,
    createdTime: Date.now(),
  };
  const params = {
    isManaged: 'false',
    description: opts.description,
    partitionBy: JSON.stringify(partitionColumns),
    properties: JSON.stringify(configuration),
  };
  await putCommit(table, 0, [commitInfo('CREATE TABLE', undefined, params, {}, true), { protocol }, { metaData }]);
  return 0;
}

export interface WriteResult {
  /** The version committed, or the current version when there was nothing to commit. */
  version: number;
  committed: boolean;
  counts: WriteCounts;
  /** Paths (as in the log) of the data files added / removed and the cdc files added. */
  addedFiles: string[];
  removedFiles: string[];
  cdcFiles: string[];
  /** Commit attempts (1 without conflicts). */
  attempts: number;
  /** The checkpoint written after this commit, or why writing it failed (the commit stands). */
  checkpoint?: { version: number; error?: string };
  /** Data files of earlier writes that never committed, deleted first (writer/orphans.ts). */
  removedOrphans: string[];
}

export interface CommitOptions {
  /** Conflicts retried before giving up (default `options.maxRetries` of the write, else 5). */
  maxRetries?: number;
  /** Default `options.checkpointInterval` of the write, else 10; 0 disables checkpoints. */
  checkpointInterval?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * On a conflict: a blind append whose table protocol/metadata did not change moves to the new
 * version with the same files; anything else is planned again from scratch against the new
 * snapshot (the query re-runs, removes are re-planned) and the old files are deleted.
 */
async function replan(conn: DuckDBConnection, p: PreparedWrite): Promise<PreparedWrite> {
  try {
    const snap = await loadSnapshot(conn, p.table);
    if (p.options.mode === 'append' && fingerprint(snap) === p.fingerprint) return { ...p, readVersion: snap.version };
  } catch (e) {
    await discardFiles(p.written);
    throw e;
  }
  await discardFiles(p.written);
  return prepareWrite(conn, p.table, p.options);
}

/** Commits a prepared write as `readVersion + 1`, retrying conflicts; see `writeTable`. */
export async function commitWrite(conn: DuckDBConnection, prepared: PreparedWrite, opts: CommitOptions = {}): Promise<WriteResult> {
  const maxRetries = opts.maxRetries ?? prepared.options.maxRetries ?? 5;
  const interval = opts.checkpointInterval ?? prepared.options.checkpointInterval ?? 10;
  let p = prepared;
  for (let attempt = 1; ; attempt++) {
    const result = (version: number, committed: boolean): WriteResult => ({
      version,
      committed,
      counts: p.counts,
      addedFiles: p.addedFiles,
      removedFiles: p.removedFiles,
      cdcFiles: p.cdcFiles,
      attempts: attempt,
      removedOrphans: prepared.orphans,
    });
    if (p.empty) return result(p.readVersion, false);
    const version = p.readVersion + 1;
    try {
      const info = commitInfo(p.operation, p.readVersion, p.parameters, p.metrics, p.options.mode === 'append');
      await putCommit(p.table, version, [info, ...p.actions]);
    } catch (e) {
      if (!isCommitConflict(e) || attempt > maxRetries) {
        await discardFiles(p.written);
        throw e;
      }
      await sleep(Math.random() * 20 * attempt);
      p = await replan(conn, p);
      continue;
    }
    const out = result(version, true);
    if (interval > 0 && version % interval === 0) {
      try {
        await writeCheckpoint(conn, p.table, version);
        out.checkpoint = { version };
      } catch (e) {
        out.checkpoint = { version, error: firstLine(e) };
      }
    }
    return out;
  }
}

/**
 * Appends, overwrites or replaces rows by key in one atomic commit. An empty write (no rows to
 * add, nothing to remove) commits nothing and returns the current version.
 */
export async function writeTable(conn: DuckDBConnection, tableDir: string, opts: WriteOptions): Promise<WriteResult> {
  return commitWrite(conn, await prepareWrite(conn, tableDir, opts));
}
