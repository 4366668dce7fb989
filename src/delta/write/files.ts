import { randomUUID } from 'node:crypto';
import { mkdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { PartitionValues } from '../actions.js';
import type { DeltaField, DeltaType, StructType } from '../schema.js';
import { deltaError, duckPath, firstLine, type Where } from '../util.js';
import { writerTag } from './owner.js';
import { quoteIdent, sqlString } from '../../util/sql.js';

/**
 * Writing data and change data files with DuckDB (Delta protocol, **Data Files**, **Partition Value
 * Serialization**, **Per-file Statistics**, **Change Data Files**). One parquet file per partition
 * value tuple, named `part-<uuid>-<writer tag>.parquet` (data) or `_change_data/.../cdc-<uuid>-<writer tag>.parquet`
 * (owner.ts: the orphan sweep tells a dead writer's leftovers by it); the
 * partition columns are not stored in the files, their values go to the log as strings.
 */

export interface FileTarget {
  /** Absolute table directory. */
  table: string;
  schema: StructType;
  partitionColumns: readonly string[];
  w: Where;
}

export interface WrittenFile {
  absPath: string;
  /** The path as written to the log: relative to the table root, URI-encoded. */
  path: string;
  partitionValues: PartitionValues;
  size: number;
  modificationTime: number;
  /** Rows in the file (data files only). */
  numRecords?: number;
  /** `stats` JSON (data files only). */
  stats?: string;
}

const typeName = (t: DeltaType): string => (t.kind === 'primitive' ? t.name : t.kind);

/** SQL text of a partition value per **Partition Value Serialization**; NULL for null (and for ''). */
export function partitionText(col: string, t: DeltaType): string {
  switch (typeName(t)) {
    case 'string':
      return `NULLIF(${col}, '')`;
    case 'timestamp':
      return `strftime(timezone('UTC', ${col}), '%Y-%m-%dT%H:%M:%S.%fZ')`;
    case 'timestamp_ntz':
      return `strftime(${col}, '%Y-%m-%d %H:%M:%S.%f')`;
    default:
      return `CAST(${col} AS VARCHAR)`;
  }
}

/** Hive's path escaping (`FileUtils.escapePathName`), as Spark names partition directories. */
// Control characters are among the bytes Hive-style partition paths escape.
// eslint-disable-next-line no-control-regex
const HIVE_SPECIAL = /[\x00-\x1f"#%'*/:=?\\\x7f{}[\]^]/g;
export const hiveEscape = (s: string): string =>
  s.replace(HIVE_SPECIAL, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);

/** A relative file path as a URI path (the log stores URIs; readers decode them). */
export const uriPath = (rel: string): string =>
  rel
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/%3D/g, '='))
    .join('/');

const NUMERIC = new Set(['byte', 'short', 'integer', 'long', 'decimal']);
/**
 * String bounds are recorded exactly up to this length: a min longer than it as its prefix (still a
 * lower bound), a max not at all (a prefix of a max is no upper bound). Long enough for paths and
 * ids, so that prune.ts can tell files apart by them (Delta's usual 32 would give files of paths
 * under one directory the same min).
 */
const STRING_BOUND = 256;

/** [min, max] SQL for a stats-eligible column, and whether the values are JSON numbers. */
function minMax(col: string, t: DeltaType): [string, string, boolean] | undefined {
  const name = typeName(t);
  if (NUMERIC.has(name)) return [`CAST(min(${col}) AS VARCHAR)`, `CAST(max(${col}) AS VARCHAR)`, true];
  if (name === 'date') return [`CAST(min(${col}) AS VARCHAR)`, `CAST(max(${col}) AS VARCHAR)`, false];
  // "Timestamp columns are truncated down to milliseconds" (readers widen the max by 1 ms).
  if (name === 'timestamp')
    return [
      `strftime(timezone('UTC', min(${col})), '%Y-%m-%dT%H:%M:%S.%gZ')`,
      `strftime(timezone('UTC', max(${col})), '%Y-%m-%dT%H:%M:%S.%gZ')`,
      false,
    ];
  if (name === 'timestamp_ntz')
    return [`strftime(min(${col}), '%Y-%m-%dT%H:%M:%S.%g')`, `strftime(max(${col}), '%Y-%m-%dT%H:%M:%S.%g')`, false];
  // A prefix of the min is still a lower bound; a truncated max would not be an upper bound.
  if (name === 'string')
    return [`left(min(${col}), ${STRING_BOUND})`, `CASE WHEN length(max(${col})) <= ${STRING_BOUND} THEN max(${col}) END`, false];
  return undefined; // float/double (NaN ordering), boolean, binary, nested: no min/max
}

/** `stats` of one written file: numRecords, and nullCount/minValues/maxValues of simple columns. */
async function fileStats(
  conn: DuckDBConnection,
  absPath: string,
  fields: readonly DeltaField[],
  w: Where,
): Promise<{ numRecords: number; stats: string }> {
  const simple = fields.filter((f) => f.type.kind === 'primitive' || f.type.kind === 'decimal');
  const exprs = ['CAST(count(*) AS VARCHAR)'];
  const plan = simple.map((f) => {
    const col = quoteIdent(f.name);
    exprs.push(`CAST(count(*) - count(${col}) AS VARCHAR)`);
    const mm = minMax(col, f.type);
    if (mm) exprs.push(mm[0], mm[1]);
    return { f, numeric: mm?.[2], hasMinMax: mm !== undefined };
  });
  let row: (string | null)[];
  try {
    row = (await conn.runAndReadAll(`SELECT ${exprs.join(', ')} FROM read_parquet(${sqlString(duckPath(absPath))})`)).getRows()[0] as (
      string | null
    )[];
  } catch (e) {
    throw deltaError({ ...w, file: absPath }, `cannot compute statistics of a written data file: ${firstLine(e)}`, undefined, e);
  }
  const numRecords = Number(row[0]);
  const nulls: string[] = [];
  const mins: string[] = [];
  const maxs: string[] = [];
  let i = 1;
  const json = (v: string, numeric: boolean | undefined): string => (numeric && /^-?\d+(\.\d+)?$/.test(v) ? v : JSON.stringify(v));
  for (const p of plan) {
    const key = JSON.stringify(p.f.name);
    nulls.push(`${key}:${row[i++]}`);
    if (!p.hasMinMax) continue;
    const [lo, hi] = [row[i++], row[i++]];
    if (lo !== null) mins.push(`${key}:${json(lo, p.numeric)}`);
    if (hi !== null) maxs.push(`${key}:${json(hi, p.numeric)}`);
  }
  const stats = `{"numRecords":${numRecords},"minValues":{${mins.join(',')}},"maxValues":{${maxs.join(',')}},"nullCount":{${nulls.join(',')}}}`;
  return { numRecords, stats };
}

/** How data rows are laid out in files: ordered by some columns, and at most so many rows per file. */
export interface FileLayout {
  /** Data columns to order each file's rows by (file and row-group statistics then bound them tightly). */
  sortBy?: readonly string[];
  /** Split a partition's rows into files of at most this many rows, in `sortBy` order. */
  maxRowsPerFile?: number;
}

/**
 * Writes the rows of `relation` (a table name or parenthesized SELECT with the table's columns,
 * plus `_change_type` for cdc files) as one file per partition value tuple — or, for data files
 * with `layout.maxRowsPerFile`, as several, each a run of the rows in `sortBy` order, so a later
 * copy-on-write by key rewrites one small file instead of the table (prune.ts finds it).
 */
export async function writeFiles(
  conn: DuckDBConnection,
  t: FileTarget,
  relation: string,
  kind: 'data' | 'cdc',
  layout: FileLayout = {},
): Promise<WrittenFile[]> {
  const parts = t.partitionColumns.map((p) => t.schema.fields.find((f) => f.name === p)!);
  const dataFields = t.schema.fields.filter((f) => !t.partitionColumns.includes(f.name));
  const cols = [...dataFields.map((f) => quoteIdent(f.name)), ...(kind === 'cdc' ? ['_change_type'] : [])].join(', ');
  const texts = parts.map((f) => partitionText(quoteIdent(f.name), f.type));
  const sort = kind === 'data' ? (layout.sortBy ?? []).filter((c) => dataFields.some((f) => f.name === c)) : [];
  const orderBy = sort.length ? ` ORDER BY ${sort.map((c) => `${quoteIdent(c)} NULLS FIRST`).join(', ')}` : '';
  const maxRows = kind === 'data' ? layout.maxRowsPerFile : undefined;
  const run = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw deltaError(t.w, `cannot ${what}: ${firstLine(e)}`, undefined, e);
    }
  };
  const rowsOf = (r: unknown[]): [(string | null)[], number] => [r.slice(0, -1) as (string | null)[], Number(r[r.length - 1])];
  const tuples = await run('list partition values', async () =>
    (
      await conn.runAndReadAll(
        parts.length ? `SELECT ${texts.join(', ')}, count(*) FROM ${relation} GROUP BY ALL` : `SELECT count(*) FROM ${relation}`,
      )
    )
      .getRows()
      .map(rowsOf)
      .filter(([, n]) => n > 0),
  );
  const out: WrittenFile[] = [];
  for (const [tuple, n] of tuples) {
    const dirs = parts.map((f, i) => `${hiveEscape(f.name)}=${tuple[i] === null ? '__HIVE_DEFAULT_PARTITION__' : hiveEscape(tuple[i]!)}`);
    const where = texts.map((x, i) => `${x} IS NOT DISTINCT FROM ${tuple[i] === null ? 'NULL' : sqlString(tuple[i]!)}`);
    const rows = `SELECT ${cols} FROM ${relation}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
    const chunks = maxRows !== undefined && maxRows > 0 && n > maxRows ? Math.ceil(n / maxRows) : 1;
    // Numbered once in order, so the files are consecutive runs of it (a tie may straddle two files).
    const numbered = `(SELECT *, (row_number() OVER (${orderBy.trim()}) - 1) // ${maxRows} AS __relspec_chunk FROM (${rows}))`;
    const source = chunks > 1 ? await run('split the rows into files', () => stageChunks(conn, numbered)) : undefined;
    try {
      for (let c = 0; c < chunks; c++) {
        const name = `${kind === 'cdc' ? 'cdc' : 'part'}-${randomUUID()}-${writerTag()}.parquet`;
        const rel = [...(kind === 'cdc' ? ['_change_data'] : []), ...dirs, name].join('/');
        const absPath = path.join(t.table, ...rel.split('/'));
        await mkdir(path.dirname(absPath), { recursive: true });
        const select = source ? `SELECT ${cols} FROM ${source} WHERE __relspec_chunk = ${c}${orderBy}` : `${rows}${orderBy}`;
        await run(`write ${kind} file ${rel}`, () => conn.run(`COPY (${select}) TO ${sqlString(absPath)} (FORMAT parquet)`));
        const st = await stat(absPath);
        const partitionValues = Object.fromEntries(parts.map((f, i) => [f.name, tuple[i]]));
        const file: WrittenFile = { absPath, path: uriPath(rel), partitionValues, size: st.size, modificationTime: Math.trunc(st.mtimeMs) };
        if (kind === 'data') Object.assign(file, await fileStats(conn, absPath, dataFields, t.w));
        out.push(file);
      }
    } finally {
      if (source) await conn.run(`DROP TABLE IF EXISTS ${source}`).catch(() => undefined);
    }
  }
  return out;
}

/** The rows of one partition with their file number, staged once (each file's COPY reads its run). */
async function stageChunks(conn: DuckDBConnection, numbered: string): Promise<string> {
  const name = `temp.main.${quoteIdent(`__relspec_delta_chunks_${randomUUID().replace(/-/g, '')}`)}`;
  await conn.run(`CREATE TEMP TABLE ${name} AS SELECT * FROM ${numbered}`);
  return name;
}

/** Deletes files written for a commit that did not happen (uniquely named, never referenced). */
export async function discardFiles(files: readonly string[]): Promise<void> {
  await Promise.all(files.map((f) => unlink(f).catch(() => undefined)));
}
