import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdtemp, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DeletionVectorDescriptor } from '../actions.js';
import { dvUniqueId } from '../deletionVectors.js';
import { listLog, missingCommit } from '../log.js';
import { deltaError, duckPath, firstLine, fmtVersion, resolveDataPath, type Where } from '../util.js';
import { sqlList, sqlString } from '../../util/sql.js';

/**
 * Classic checkpoints (Delta protocol, **Checkpoints**, **Checkpoint Format**, **Last Checkpoint
 * File**): the reconciled state at a version — protocol, metaData, txn, domainMetadata, live adds
 * and unexpired remove tombstones — as one parquet file with one struct column per action kind,
 * the layout `checkpoint.ts` of the reader loads. Actions are replayed from the raw log (not from
 * the reader's typed snapshot) so that add stats, tags and DVs are kept verbatim. "Checkpoints for
 * a given version must only be created after the associated delta file has been successfully
 * written"; an existing checkpoint file is never replaced.
 */

type Raw = Record<string, unknown>;

const DV = 'STRUCT(storageType VARCHAR, pathOrInlineDv VARCHAR, "offset" INTEGER, sizeInBytes INTEGER, cardinality BIGINT)';
const LAYOUT: Record<string, string> = {
  protocol: 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])',
  metaData:
    'STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options MAP(VARCHAR, VARCHAR)), schemaString VARCHAR, partitionColumns VARCHAR[], configuration MAP(VARCHAR, VARCHAR), createdTime BIGINT)',
  txn: 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)',
  domainMetadata: 'STRUCT(domain VARCHAR, configuration VARCHAR, removed BOOLEAN)',
  add: `STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, tags MAP(VARCHAR, VARCHAR), deletionVector ${DV}, baseRowId BIGINT, defaultRowCommitVersion BIGINT, clusteringProvider VARCHAR)`,
  remove: `STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, deletionVector ${DV}, baseRowId BIGINT, defaultRowCommitVersion BIGINT)`,
};
const columnsSql = `{${Object.entries(LAYOUT)
  .map(([k, v]) => `${k}: ${sqlString(v)}`)
  .join(', ')}}`;

const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `delta.deletedFileRetentionDuration` ("interval 7 days"); tombstones younger than this are kept. */
function retentionMs(config: Record<string, unknown>): number {
  const m = /^\s*interval\s+(\d+)\s+(second|minute|hour|day|week)s?\s*$/i.exec(String(config['delta.deletedFileRetentionDuration'] ?? ''));
  const unit: Record<string, number> = { second: 1e3, minute: 6e4, hour: 3.6e6, day: 8.64e7, week: 6.048e8 };
  return m ? Number(m[1]) * unit[m[2].toLowerCase()] : 6.048e8;
}

interface State {
  protocol?: Raw;
  metaData?: Raw;
  txns: Map<string, Raw>;
  domains: Map<string, Raw>;
  adds: Map<string, Raw>;
  removes: Map<string, Raw>;
}

export interface CheckpointResult {
  version: number;
  /** Rows (actions) in the checkpoint. */
  size: number;
  path: string;
  /** False when a checkpoint for this version already existed (it is left as it is). */
  created: boolean;
}

/** Writes `<version>.checkpoint.parquet` (latest version by default) and updates `_last_checkpoint`. */
export async function writeCheckpoint(conn: DuckDBConnection, tableDir: string, version?: number): Promise<CheckpointResult> {
  const listing = await listLog(tableDir);
  const table = listing.tableDir;
  const target = version ?? listing.latestVersion;
  const w: Where = { table, version: target };
  if (!listing.commits.has(target)) throw missingCommit(listing, target);
  const state: State = { txns: new Map(), domains: new Map(), adds: new Map(), removes: new Map() };
  const key = (a: Raw, at: Where): string => `${resolveDataPath(table, String(a.path), at)}\u0000${dvUniqueId(dv(a))}`;
  const base = listing.checkpoints.find((c) => c.version <= target && c.kind !== 'v2');
  let from = 0;
  if (base) {
    const list = sqlList(base.files.map((f) => duckPath(f.path)));
    const at = { ...w, file: base.files[0].path };
    let rows: unknown[][];
    try {
      rows = (
        await conn.runAndReadAll(
          `SELECT to_json(t)::VARCHAR FROM read_parquet(${list}, union_by_name = true, hive_partitioning = false) AS t`,
        )
      ).getRows() as unknown[][];
    } catch (e) {
      throw deltaError(at, `cannot read checkpoint ${base.version} to build the next one: ${firstLine(e)}`, undefined, e);
    }
    applyAll(
      state,
      rows.map(([text]) => JSON.parse(String(text)) as Raw),
      (a) => key(a, at),
    );
    from = base.version + 1;
  }
  for (let v = from; v <= target; v++) {
    const f = listing.commits.get(v);
    if (!f) throw missingCommit(listing, v);
    const lines = (await readFile(f.path, 'utf8'))
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Raw);
    const at = { table, version: v, file: f.path };
    applyAll(state, lines, (a) => key(a, at));
  }
  if (!state.protocol || !state.metaData)
    throw deltaError(w, 'cannot checkpoint: no protocol or metaData action at or before this version');
  const config = isObj(state.metaData.configuration) ? state.metaData.configuration : {};
  const horizon = Date.now() - retentionMs(config);
  const rows: Raw[] = [
    { protocol: state.protocol },
    { metaData: state.metaData },
    ...[...state.txns.values()].map((t) => ({ txn: t })),
    ...[...state.domains.values()].map((d) => ({ domainMetadata: d })),
    ...[...state.adds.values()].map((a) => ({ add: { ...a, dataChange: false } })),
    ...[...state.removes.values()]
      .filter((r) => Number(r.deletionTimestamp ?? 0) > horizon)
      .map((r) => ({ remove: { ...r, dataChange: false } })),
  ];
  return writeParquet(conn, listing.logDir, target, rows, state.adds.size, w);
}

const dv = (a: Raw): DeletionVectorDescriptor | undefined => {
  const d = a.deletionVector;
  return isObj(d) && Object.values(d).some((v) => v !== null) ? (d as unknown as DeletionVectorDescriptor) : undefined;
};

/**
 * Applies one commit (or checkpoint): removes first, then adds — order inside a log entry is not
 * defined (docs/delta-notes.md §2.4), and checkpoint tombstones never hide the checkpoint's adds.
 */
function applyAll(s: State, rows: Raw[], key: (a: Raw) => string): void {
  for (const r of rows) if (!isObj(r.add)) apply(s, r, key);
  for (const r of rows) if (isObj(r.add)) apply(s, r, key);
}

/** Applies one action row (a commit line or a checkpoint row of struct columns) to the state. */
function apply(s: State, row: Raw, key: (a: Raw) => string): void {
  if (isObj(row.protocol)) s.protocol = row.protocol;
  if (isObj(row.metaData)) s.metaData = row.metaData;
  if (isObj(row.txn)) s.txns.set(String(row.txn.appId), row.txn);
  if (isObj(row.domainMetadata)) {
    const d = row.domainMetadata;
    if (d.removed === true) s.domains.delete(String(d.domain));
    else s.domains.set(String(d.domain), d);
  }
  if (isObj(row.remove)) {
    const k = key(row.remove);
    s.adds.delete(k);
    s.removes.set(k, row.remove);
  }
  if (isObj(row.add)) {
    const k = key(row.add);
    s.removes.delete(k);
    s.adds.set(k, row.add);
  }
}

/**
 * A row for DuckDB's JSON reader: nulls dropped and a DV of nulls removed. Keys the layout does not
 * declare (`stats_parsed`, unknown fields) are ignored by `read_json` with explicit columns.
 */
function clean(row: Raw): Raw {
  const [[kind, body]] = Object.entries(row) as [string, Raw][];
  const out: Raw = {};
  for (const [k, v] of Object.entries(body)) if (v !== null && v !== undefined) out[k] = v;
  if (isObj(out.deletionVector) && !dv(out)) delete out.deletionVector;
  return { [kind]: out };
}

async function writeParquet(
  conn: DuckDBConnection,
  logDir: string,
  version: number,
  rows: Raw[],
  numAdds: number,
  w: Where,
): Promise<CheckpointResult> {
  const name = `${fmtVersion(version)}.checkpoint.parquet`;
  const final = path.join(logDir, name);
  const scratch = await mkdtemp(path.join(tmpdir(), 'relspec-delta-cp-'));
  const json = path.join(scratch, 'actions.json');
  const tmp = path.join(logDir, `.${name}.${randomUUID()}.tmp`);
  try {
    await writeFile(json, rows.map((r) => JSON.stringify(clean(r))).join('\n') + '\n');
    await conn.run(`COPY (SELECT ${Object.keys(LAYOUT).join(', ')} FROM read_json(${sqlString(duckPath(json))}, format = 'newline_delimited', columns = ${columnsSql}, maximum_object_size = 1073741824))
      TO ${sqlString(tmp)} (FORMAT parquet)`);
    // A checkpoint is written once: if another writer made one for this version, keep theirs.
    const created = await linkExclusive(tmp, final);
    const sizeInBytes = (await stat(final)).size;
    if (created) await updateLastCheckpoint(logDir, { version, size: rows.length, sizeInBytes, numOfAddFiles: numAdds });
    return { version, size: rows.length, path: final, created };
  } catch (e) {
    throw deltaError(
      { ...w, file: final },
      `cannot write checkpoint ${version}: ${firstLine(e)}`,
      'the commit itself succeeded; readers replay the JSON commits instead',
      e,
    );
  } finally {
    await unlink(tmp).catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Put-if-absent of a finished file; without hard links, an exclusive copy. */
async function linkExclusive(tmp: string, final: string): Promise<boolean> {
  try {
    await link(tmp, final);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
  }
  try {
    await copyFile(tmp, final, constants.COPYFILE_EXCL);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** `_last_checkpoint` is a hint, replaced atomically (rename), and never moved backwards. */
async function updateLastCheckpoint(
  logDir: string,
  content: { version: number; size: number; sizeInBytes: number; numOfAddFiles: number },
): Promise<void> {
  const file = path.join(logDir, '_last_checkpoint');
  try {
    const current = JSON.parse(await readFile(file, 'utf8')) as { version?: unknown };
    if (typeof current.version === 'number' && current.version >= content.version) return;
  } catch {
    // missing or unreadable: replace it
  }
  const tmp = path.join(logDir, `._last_checkpoint.${randomUUID()}.tmp`);
  await writeFile(tmp, JSON.stringify(content));
  await rename(tmp, file);
}
