import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { parseDuckType, type DuckType } from '../duckTypes.js';
import { deltaError, duckPath, firstLine, mapLimit, type Where } from '../util.js';
import { DeltaReadCache } from './cache.js';
import { sqlList, sqlString } from '../../util/sql.js';

/**
 * The physical schemas of data files. Delta lets every file carry its own schema ("Columns present
 * in the schema of the table MAY be missing from data files"; older files keep narrower types under
 * type widening; column mapping names columns physically), so a scan is planned per distinct file
 * schema. Footers come from DuckDB's `parquet_schema` (with parquet field ids for column mapping
 * id mode); DuckDB's own types come from `DESCRIBE` of one file per distinct schema.
 */

/** One parquet schema element with its children (groups: structs, lists, maps). */
export interface ParquetNode {
  name: string;
  fieldId?: number;
  children: ParquetNode[];
}

export interface FileColumn {
  name: string;
  type: DuckType;
  node: ParquetNode;
}

export interface FileSchema {
  signature: string;
  columns: FileColumn[];
  hasFieldIds: boolean;
}

type Row = [string, string, unknown, unknown, unknown, unknown, unknown, unknown];

function buildTree(rows: Row[]): { root: ParquetNode; hasFieldIds: boolean } {
  let i = 0;
  let hasFieldIds = false;
  const node = (): ParquetNode => {
    const [, name, , numChildren, , , fieldId] = rows[i++];
    const n: ParquetNode = { name, children: [] };
    if (fieldId !== null && fieldId !== undefined) {
      n.fieldId = Number(fieldId);
      hasFieldIds = true;
    }
    const k = numChildren === null || numChildren === undefined ? 0 : Number(numChildren);
    for (let c = 0; c < k && i < rows.length; c++) n.children.push(node());
    return n;
  };
  const root = node();
  return { root, hasFieldIds };
}

/**
 * Schemas of `files` (absolute paths), in order. A missing file is an E_DELTA error: the log
 * references it, so the table was vacuumed past this version or copied incompletely. Footers
 * `cache` has seen are not read again.
 */
export async function fileSchemas(
  conn: DuckDBConnection,
  files: readonly string[],
  w: Where,
  cache: DeltaReadCache = new DeltaReadCache(),
): Promise<FileSchema[]> {
  const unique = [...new Set(files)];
  const keys = await mapLimit(unique, 32, async (f) => {
    try {
      const st = await stat(f);
      return `${f}\u0000${st.size}\u0000${st.mtimeMs}`;
    } catch {
      return undefined;
    }
  });
  const missing = unique.filter((_, i) => keys[i] === undefined);
  if (missing.length) {
    throw deltaError(
      { ...w, file: missing[0] },
      `${missing.length} data file(s) referenced by the log are missing, e.g. ${path.relative(w.table, missing[0])}`,
      'the files were vacuumed or never copied; read a newer version, or restore the files',
    );
  }
  const keyOf = new Map(unique.map((f, i) => [f, keys[i] as string]));
  // This call's answers, apart from the cache: its bound may clear entries while a long list is read.
  const schemaOf = new Map<string, FileSchema>();
  for (const f of unique) {
    const hit = cache.fileSchema(keyOf.get(f)!);
    if (hit) schemaOf.set(f, hit);
  }
  const todo = unique.filter((f) => !schemaOf.has(f));
  for (let start = 0; start < todo.length; start += 256) {
    const chunk = todo.slice(start, start + 256);
    let rows: Row[];
    try {
      const r = await conn.runAndReadAll(
        `SELECT file_name, name, type, num_children, converted_type, logical_type, field_id, repetition_type
         FROM parquet_schema(${sqlList(chunk.map(duckPath))})`,
      );
      rows = r.getRows() as Row[];
    } catch (e) {
      throw deltaError({ ...w, file: chunk[0] }, `cannot read data file footers: ${firstLine(e)}`, 'a data file is not valid parquet', e);
    }
    const perFile = new Map<string, Row[]>();
    for (const row of rows) {
      const list = perFile.get(row[0]) ?? [];
      list.push(row);
      perFile.set(row[0], list);
    }
    for (const f of chunk) {
      const own = perFile.get(f);
      if (!own?.length) throw deltaError({ ...w, file: f }, `no parquet schema found for data file ${path.relative(w.table, f)}`);
      const signature = JSON.stringify(
        own.map((r) => r.slice(1)),
        (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v),
      );
      const schema = cache.schema(signature) ?? (await describe(conn, f, own, signature, w));
      cache.putFile(keyOf.get(f)!, schema);
      schemaOf.set(f, schema);
    }
  }
  return files.map((f) => schemaOf.get(f)!);
}

async function describe(conn: DuckDBConnection, file: string, rows: Row[], signature: string, w: Where): Promise<FileSchema> {
  const { root, hasFieldIds } = buildTree(rows);
  let described: unknown[][];
  try {
    const r = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(duckPath(file))}, hive_partitioning = false)`);
    described = r.getRows() as unknown[][];
  } catch (e) {
    throw deltaError({ ...w, file }, `cannot read data file schema: ${firstLine(e)}`, undefined, e);
  }
  if (described.length !== root.children.length) {
    throw deltaError({ ...w, file }, `data file has ${root.children.length} parquet columns but DuckDB reads ${described.length}`);
  }
  const columns = described.map(([name, type], i): FileColumn => {
    try {
      return { name: String(name), type: parseDuckType(String(type)), node: root.children[i] };
    } catch (e) {
      throw deltaError({ ...w, file }, (e as Error).message);
    }
  });
  return { signature, columns, hasFieldIds };
}
