import { stat } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ActionSet, AddAction, MetadataAction, RemoveAction } from '../actions.js';
import { dvUniqueId, loadDeletionVector } from '../deletionVectors.js';
import { listLog, missingCommit, readCommit, type LogListing } from '../log.js';
import { checkReaderProtocol } from '../protocol.js';
import { DeltaReadCache } from './cache.js';
import { readSql, type ExtraColumn, type FileRead } from './readSql.js';
import { parseSchemaString, schemaShape } from '../schema.js';
import { commitTimestamp, loadSnapshot, type Snapshot } from './snapshot.js';
import { deltaError, mapLimit, resolveDataPath, unsupported, type Where } from '../util.js';

/**
 * Change Data Feed reads (Delta protocol, **Change Data Files**, **Add CDC File**, **Reader Requirements
 * for AddCDCFile**). Per version in [start, end]:
 *  - "If there are `cdc` actions in this version, then read only those to get the row-level
 *    changes, and skip the remaining `add` and `remove` actions in this version";
 *  - otherwise `add`/`remove` with dataChange=true are inserted/deleted rows (dataChange=false, e.g.
 *    OPTIMIZE, changes nothing), net of deletion vectors; a path removed and re-added in one commit
 *    is a DV update whose net change is the difference of the two DVs (kernel-rs `resolve_dvs`).
 * Output: the table columns, `_change_type`, `_commit_version` and `_commit_timestamp`.
 */

export interface ChangeCommit {
  version: number;
  /** ms since epoch: In-Commit Timestamp when enabled, else the commit file's mtime. */
  timestamp: number;
  inCommitTimestamp: boolean;
  operation?: string;
  /** commitInfo.operationParameters, as written. */
  parameters?: Record<string, unknown>;
  source: 'cdc' | 'add/remove';
}

export interface TableChanges {
  tableDir: string;
  start: number;
  end: number;
  /** A DuckDB SELECT over the change rows. */
  sql: string;
  commits: ChangeCommit[];
}

const cdfEnabled = (m: MetadataAction): boolean => m.configuration['delta.enableChangeDataFeed'] === 'true';

const COMMIT_EXTRAS: ExtraColumn[] = [
  { name: '_commit_version', type: 'BIGINT', fromConst: (r) => `CAST(${r} AS BIGINT)` },
  // ms → a UTC instant, without going through the session time zone.
  {
    name: '_commit_timestamp',
    type: 'TIMESTAMP WITH TIME ZONE',
    fromConst: (r) => `timezone('UTC', make_timestamp(CAST(${r} AS BIGINT) * 1000))`,
  },
];
const CDC_EXTRAS: ExtraColumn[] = [{ name: '_change_type', type: 'VARCHAR', fromFile: '_change_type' }, ...COMMIT_EXTRAS];
const ACTION_EXTRAS: ExtraColumn[] = [{ name: '_change_type', type: 'VARCHAR', fromConst: (r) => r }, ...COMMIT_EXTRAS];

export interface TableChangesOptions {
  /**
   * Default true: fail unless `delta.enableChangeDataFeed` is on across the range (Spark/kernel
   * semantics). With false, versions without cdc files still yield their add/remove rows — the
   * signed row multiset docs/ARCHITECTURE.md's change tokens need; an UPDATE then shows as whole-file
   * delete + insert instead of pre/post images.
   */
  requireChangeDataFeed?: boolean;
  /** Footers and deletion vectors already read, kept by the caller across reads (a fresh one per call without). */
  cache?: DeltaReadCache;
}

/** Validates the range and that CDF covers it; returns the listing and the start snapshot. */
async function checkRange(
  conn: DuckDBConnection,
  tableDir: string,
  start: number,
  end: number | undefined,
  requireCdf: boolean,
): Promise<{ listing: LogListing; last: number; snap: Snapshot }> {
  const listing = await listLog(tableDir);
  const table = listing.tableDir;
  const last = end ?? listing.latestVersion;
  for (const [name, v] of [
    ['start', start],
    ['end', last],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw deltaError({ table }, `invalid change data feed range: ${name} version ${v} is not a non-negative integer`);
  }
  if (start > last) throw deltaError({ table }, `invalid change data feed range: start version ${start} is after end version ${last}`);
  if (last > listing.latestVersion) {
    throw deltaError(
      { table, version: last },
      `invalid change data feed range: end version ${last} does not exist (latest version is ${listing.latestVersion})`,
    );
  }
  // Every commit of the range must exist: the cdc/add/remove actions live only in commit files.
  for (let v = start; v <= last; v++) if (!listing.commits.has(v)) throw missingCommit(listing, v);
  const snap = await loadSnapshot(conn, tableDir, { version: start, listing });
  if (requireCdf && !cdfEnabled(snap.metadata)) {
    throw deltaError(
      { table, version: start },
      `change data feed is not enabled in ${table} at version ${start} (delta.enableChangeDataFeed is not true)`,
      'enable it with delta.enableChangeDataFeed=true; changes before that are not recorded',
    );
  }
  return { listing, last, snap };
}

export async function tableChanges(
  conn: DuckDBConnection,
  tableDir: string,
  start: number,
  end?: number,
  opts: TableChangesOptions = {},
): Promise<TableChanges> {
  const requireCdf = opts.requireChangeDataFeed ?? true;
  const cache = opts.cache ?? new DeltaReadCache();
  const { listing, last, snap } = await checkRange(conn, tableDir, start, end, requireCdf);
  const table = listing.tableDir;
  const versions: number[] = [];
  for (let v = start; v <= last; v++) versions.push(v);
  const sets = await mapLimit(versions, 16, (v) => readCommit(listing, v));
  const shape = schemaShape(snap.schema, snap.columnMapping);
  let meta = snap.metadata;
  const commits: ChangeCommit[] = [];
  const cdcReads: FileRead[] = [];
  const actionReads: FileRead[] = [];
  const previous = new Map<number, Promise<Snapshot>>();
  for (let i = 0; i < versions.length; i++) {
    const v = versions[i];
    const set = sets[i];
    const w: Where = { table, version: v, file: listing.commits.get(v)!.path };
    if (v > start) {
      if (set.protocol.length) checkReaderProtocol(set.protocol[0], w);
      if (set.metaData.length) {
        meta = set.metaData[0];
        if (requireCdf && !cdfEnabled(meta)) {
          throw deltaError(
            w,
            `change data feed is not enabled in ${table} at version ${v} (a metaData action turns it off inside the range)`,
            `read the changes up to version ${v - 1}, then from the next version that has it enabled`,
          );
        }
        const changed =
          schemaShape(parseSchemaString(meta.schemaString, w), snap.columnMapping) !== shape ||
          meta.partitionColumns.join('\u0000') !== snap.partitionColumns.join('\u0000');
        if (changed) {
          throw unsupported(
            w,
            `the schema of ${table} changes at version ${v}, inside the change data feed range ${start}-${last}; this reader returns changes under one schema only`,
            `read [${start}, ${v - 1}] and [${v}, ${last}] separately`,
          );
        }
      }
    }
    const mtime = (await stat(listing.commits.get(v)!.path)).mtimeMs;
    const ts = commitTimestamp(v, set.commitInfo, meta.configuration, mtime);
    const source = set.cdcs.length ? 'cdc' : 'add/remove';
    commits.push({
      version: v,
      timestamp: ts.timestamp,
      inCommitTimestamp: ts.inCommitTimestamp,
      operation: set.commitInfo?.operation,
      parameters: set.commitInfo?.operationParameters,
      source,
    });
    if (source === 'cdc') {
      for (const c of set.cdcs) {
        cdcReads.push({ absPath: resolveDataPath(table, c.path, w), partitionValues: c.partitionValues, consts: [v, ts.timestamp] });
      }
    } else {
      const prev = (): Promise<Snapshot> => {
        if (!previous.has(v)) previous.set(v, loadSnapshot(conn, table, { version: v - 1, listing }));
        return previous.get(v)!;
      };
      actionReads.push(...(await actionChanges(set, snap, w, prev, [v, ts.timestamp], cache)));
    }
  }
  const base = {
    w: { table, version: start },
    schema: snap.schema,
    partitionColumns: snap.partitionColumns,
    mode: snap.columnMapping,
    cache,
  };
  const parts: string[] = [];
  if (cdcReads.length) parts.push(await readSql(conn, { ...base, reads: cdcReads, extras: CDC_EXTRAS }));
  if (actionReads.length || !parts.length) parts.push(await readSql(conn, { ...base, reads: actionReads, extras: ACTION_EXTRAS }));
  const sql = parts.length === 1 ? parts[0] : parts.map((p) => `(${p})`).join('\nUNION ALL\n');
  return { tableDir: table, start, end: last, sql, commits };
}

const minus = (a: readonly number[], b: readonly number[]): number[] => {
  const drop = new Set(b);
  return a.filter((x) => !drop.has(x));
};

/** Reads for a commit without cdc actions: inserts, deletes and DV-update differences. */
async function actionChanges(
  set: ActionSet,
  snap: Snapshot,
  w: Where,
  prev: () => Promise<Snapshot>,
  commit: [number, number],
  cache: DeltaReadCache,
): Promise<FileRead[]> {
  const table = snap.tableDir;
  const dvRows = (a: AddAction | RemoveAction): Promise<number[]> =>
    a.deletionVector ? loadDeletionVector(table, a.deletionVector, w, cache) : Promise.resolve([]);
  const removes = new Map<string, RemoveAction>();
  for (const r of set.removes) if (r.dataChange) removes.set(resolveDataPath(table, r.path, w), r);
  const reads: FileRead[] = [];
  const read = (
    absPath: string,
    partitionValues: FileRead['partitionValues'],
    type: string,
    filter: Pick<FileRead, 'include' | 'exclude'>,
  ): void => {
    if (filter.include && filter.include.length === 0) return;
    reads.push({ absPath, partitionValues, ...filter, consts: [type, ...commit] });
  };
  for (const a of set.adds) {
    if (!a.dataChange) continue;
    const absPath = resolveDataPath(table, a.path, w);
    const paired = removes.get(absPath);
    if (paired) {
      // Same file removed and re-added: only the DV changed. Deleted = new DV − old DV,
      // restored = old DV − new DV (kernel-rs resolve_dvs; checked on cdf-table-with-cdc-and-dvs).
      removes.delete(absPath);
      const [oldRows, newRows] = await Promise.all([dvRows(paired), dvRows(a)]);
      read(absPath, a.partitionValues, 'delete', { include: minus(newRows, oldRows) });
      read(absPath, a.partitionValues, 'insert', { include: minus(oldRows, newRows) });
    } else {
      read(absPath, a.partitionValues, 'insert', { exclude: await dvRows(a) });
    }
  }
  for (const [absPath, r] of removes) {
    let pv = r.partitionValues;
    if (pv === undefined && snap.partitionColumns.length) {
      // Old writers omit partitionValues on removes; the removed add is in the previous snapshot.
      const before = (await prev()).files.find(
        (f) => f.absPath === absPath && dvUniqueId(f.deletionVector) === dvUniqueId(r.deletionVector),
      );
      if (!before)
        throw deltaError(w, `removed file ${r.path} is not in the previous version's snapshot; its partition values are unknown`);
      pv = before.partitionValues;
    }
    read(absPath, pv ?? {}, 'delete', { exclude: await dvRows(r) });
  }
  return reads;
}

export interface ChangeCounts {
  insert: number;
  delete: number;
  update_preimage: number;
  update_postimage: number;
  /** Non-standard `_change_type` values, passed through verbatim (docs/delta-notes.md §6). */
  other?: Record<string, number>;
}

export interface VersionChangeCounts {
  version: number;
  timestamp: number;
  operation?: string;
  counts: ChangeCounts;
}

/** Rows per `_change_type` per version of [from, to]. */
export async function changeCounts(
  conn: DuckDBConnection,
  tableDir: string,
  from: number,
  to?: number,
  opts: TableChangesOptions = {},
): Promise<{ from: number; to: number; versions: VersionChangeCounts[] }> {
  const tc = await tableChanges(conn, tableDir, from, to, opts);
  let rows: unknown[][];
  try {
    rows = (
      await conn.runAndReadAll(`SELECT _commit_version, _change_type, count(*) FROM (${tc.sql}) GROUP BY ALL`)
    ).getRows() as unknown[][];
  } catch (e) {
    throw deltaError(
      { table: tc.tableDir, version: from },
      `cannot read change data: ${(e as Error).message.split('\n')[0]}`,
      undefined,
      e,
    );
  }
  const byVersion = new Map<number, ChangeCounts>(
    tc.commits.map((c) => [c.version, { insert: 0, delete: 0, update_preimage: 0, update_postimage: 0 }]),
  );
  for (const [v, type, n] of rows) {
    const counts = byVersion.get(Number(v))!;
    const t = String(type);
    if (t === 'insert' || t === 'delete' || t === 'update_preimage' || t === 'update_postimage') counts[t] += Number(n);
    else (counts.other ??= {})[t] = (counts.other[t] ?? 0) + Number(n);
  }
  return {
    from: tc.start,
    to: tc.end,
    versions: tc.commits.map((c) => ({
      version: c.version,
      timestamp: c.timestamp,
      operation: c.operation,
      counts: byVersion.get(c.version)!,
    })),
  };
}
