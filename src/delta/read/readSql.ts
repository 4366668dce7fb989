import { randomUUID } from 'node:crypto';
import { listValue, type DuckDBConnection } from '@duckdb/node-api';
import type { PartitionValues } from '../actions.js';
import type { DeltaReadCache } from './cache.js';
import { fileSchemas, type FileSchema } from './fileSchema.js';
import { normalizePartitionValue, partitionExpr, projectField } from './columns.js';
import type { ColumnMappingMode } from '../protocol.js';
import { duckType, physicalName, type StructType } from '../schema.js';
import { deltaError, duckPath, firstLine, unsupported, type Where } from '../util.js';
import { quoteIdent, sqlList, sqlString } from '../../util/sql.js';

/**
 * Builds one DuckDB SELECT over an explicit list of data files, producing the table's logical
 * columns. Rules it implements (docs/delta-notes.md §3, §5, §10):
 *  - files are listed explicitly, never globbed, and `hive_partitioning = false`: "Actual partition
 *    values for a file must be read from the transaction log" (**Partition Value Serialization**);
 *  - partition values come from a per-file VALUES relation joined on DuckDB's `file_index`;
 *  - deleted rows (deletion vectors) are dropped by `file_row_number`, the 0-based physical row
 *    index the DV stores; CDF DV diffs instead keep only listed rows;
 *  - one `read_parquet` per distinct physical file schema, each projected to the same typed columns.
 */

export interface FileRead {
  absPath: string;
  partitionValues: PartitionValues;
  /** Drop these physical rows (a deletion vector). */
  exclude?: readonly number[];
  /** Keep only these physical rows (CDF: rows a DV update deleted or restored). */
  include?: readonly number[];
  /** Values of the constant extra columns, in `extras` order. */
  consts?: readonly (string | number | null)[];
}

/** An output column after the table columns: a per-read constant, or a physical column of the file. */
export interface ExtraColumn {
  name: string;
  type: string;
  /** Typed expression of the constant, given a reference to its raw value. */
  fromConst?: (ref: string) => string;
  /** Physical column read from the file (e.g. `_change_type` in cdc files). */
  fromFile?: string;
}

export interface ReadPlan {
  w: Where;
  schema: StructType;
  partitionColumns: readonly string[];
  mode: ColumnMappingMode;
  reads: readonly FileRead[];
  extras?: readonly ExtraColumn[];
  /** Above this many listed rows, row filters go to a temp table instead of the SQL text. */
  inlineRowsLimit?: number;
  /** Footers already read (a fresh cache for this read without). */
  cache?: DeltaReadCache;
}

const RESERVED = new Set(['file_index', 'file_row_number']);

const literal = (v: string | number | null): string => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : sqlString(v));

export async function readSql(conn: DuckDBConnection, plan: ReadPlan): Promise<string> {
  const { schema, w } = plan;
  const extras = plan.extras ?? [];
  if (!schema.fields.length) {
    throw deltaError(w, 'the table schema has no columns (metaData without schemaString?); a relation needs at least one column');
  }
  if (!plan.reads.length) {
    const cols = [
      ...schema.fields.map((f) => `CAST(NULL AS ${duckType(f.type)}) AS ${quoteIdent(f.name)}`),
      ...extras.map((e) => `CAST(NULL AS ${e.type}) AS ${quoteIdent(e.name)}`),
    ];
    return `SELECT ${cols.join(', ')} WHERE false`;
  }
  const schemas = await fileSchemas(
    conn,
    plan.reads.map((r) => r.absPath),
    w,
    plan.cache,
  );
  const groups = new Map<string, { schema: FileSchema; reads: FileRead[] }>();
  plan.reads.forEach((r, i) => {
    const s = schemas[i];
    const g = groups.get(s.signature) ?? { schema: s, reads: [] };
    g.reads.push(r);
    groups.set(s.signature, g);
  });
  const parts: string[] = [];
  for (const g of groups.values()) parts.push(await groupSql(conn, plan, g.schema, g.reads));
  return parts.length === 1 ? parts[0] : parts.map((p) => `(${p})`).join('\nUNION ALL\n');
}

async function groupSql(conn: DuckDBConnection, plan: ReadPlan, fs: FileSchema, reads: FileRead[]): Promise<string> {
  const { schema, mode } = plan;
  const w = { ...plan.w, file: reads[0].absPath };
  const extras = plan.extras ?? [];
  const clash = fs.columns.find((c) => RESERVED.has(c.name));
  if (clash) throw unsupported(w, `data file column ${clash.name} clashes with a DuckDB virtual column; this reader cannot read it`);
  if (mode === 'id' && !fs.hasFieldIds) {
    // "If a data file does not contain field ids, readers must refuse to read that file or return nulls".
    throw deltaError(w, 'data file has no parquet field ids but the table uses column mapping mode id');
  }
  const partFields = schema.fields.filter((f) => plan.partitionColumns.includes(f.name));
  const constExtras = extras.filter((e) => e.fromConst);
  const filtered = reads.some((r) => r.exclude?.length || r.include);
  const needMeta = partFields.length > 0 || constExtras.length > 0 || filtered;

  const select: string[] = [];
  for (const f of schema.fields) {
    const p = partFields.indexOf(f);
    const expr = p >= 0 ? partitionExpr(`__m.p${p}`, f.type) : projectField('__t', fs.columns, f, mode, w);
    select.push(`${expr} AS ${quoteIdent(f.name)}`);
  }
  extras.forEach((e) => {
    if (e.fromConst) select.push(`${e.fromConst(`__m.c${constExtras.indexOf(e)}`)} AS ${quoteIdent(e.name)}`);
    else {
      const col = fs.columns.find((c) => c.name === e.fromFile);
      if (!col) throw deltaError(w, `change data file has no ${e.fromFile} column`);
      select.push(`CAST(__t.${quoteIdent(col.name)} AS ${e.type}) AS ${quoteIdent(e.name)}`);
    }
  });

  const list = sqlList(reads.map((r) => duckPath(r.absPath)));
  let from = `read_parquet(${list}, hive_partitioning = false${filtered ? ', file_row_number = true' : ''}) AS __t`;
  if (needMeta) {
    const rows = reads.map((r, fi) => {
      const mode = r.include ? 2 : r.exclude?.length ? 1 : 0;
      const pv = partFields.map((f) =>
        literal(normalizePartitionValue(r.partitionValues[physicalName(f, plan.mode)], f, { ...w, file: r.absPath })),
      );
      const cv = constExtras.map((_, j) => literal(r.consts?.[j] ?? null));
      return `(${[fi, mode, ...pv, ...cv].join(', ')})`;
    });
    const names = ['__fi', '__mode', ...partFields.map((_, i) => `p${i}`), ...constExtras.map((_, j) => `c${j}`)];
    // VALUES infers column types from all rows; all-NULL columns are cast by partitionExpr.
    from += `\nJOIN (VALUES ${rows.join(', ')}) AS __m(${names.join(', ')}) ON __t.file_index = __m.__fi`;
  }
  let where = '';
  if (filtered) {
    from += `\nLEFT JOIN ${await rowsRelation(conn, plan, reads)} AS __r ON __r.__fi = __t.file_index AND __r.__r = __t.file_row_number`;
    where = '\nWHERE __m.__mode = 0 OR (__m.__mode = 1 AND __r.__fi IS NULL) OR (__m.__mode = 2 AND __r.__fi IS NOT NULL)';
  }
  return `SELECT ${select.join(', ')}\nFROM ${from}${where}`;
}

/** The (file index, row) pairs of all row filters of a group, inline or in a temp table. */
async function rowsRelation(conn: DuckDBConnection, plan: ReadPlan, reads: FileRead[]): Promise<string> {
  const entries = reads.map((r, fi) => ({ fi, rows: r.include ?? r.exclude ?? [] })).filter((e) => e.rows.length > 0);
  const total = entries.reduce((n, e) => n + e.rows.length, 0);
  if (total === 0) return '(SELECT NULL::INTEGER AS __fi, NULL::BIGINT AS __r WHERE false)';
  if (total <= (plan.inlineRowsLimit ?? 10_000)) {
    const values = entries.map((e) => `(${e.fi}, [${e.rows.join(',')}]::BIGINT[])`).join(', ');
    return `(SELECT __fi, unnest(__rs) AS __r FROM (VALUES ${values}) AS __v(__fi, __rs))`;
  }
  const name = `__relspec_delta_rows_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  try {
    await conn.run(`CREATE TEMP TABLE ${quoteIdent(name)} (__fi INTEGER, __r BIGINT)`);
    for (const e of entries) {
      await conn.run(`INSERT INTO ${quoteIdent(name)} SELECT ?::INTEGER, unnest(?::BIGINT[])`, [e.fi, listValue([...e.rows])]);
    }
  } catch (err) {
    throw deltaError(plan.w, `cannot stage deleted rows in a temp table: ${firstLine(err)}`, undefined, err);
  }
  return `temp.main.${quoteIdent(name)}`;
}
