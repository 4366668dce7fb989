import { renderDuckType, type DuckType } from '../duckTypes.js';
import type { FileColumn, ParquetNode } from './fileSchema.js';
import type { ColumnMappingMode } from '../protocol.js';
import { duckType, fieldId, physicalName, type DeltaField, type DeltaType } from '../schema.js';
import { deltaError, type Where } from '../util.js';
import { naiveAsUtc, quoteIdent, sqlString } from '../../util/sql.js';

/**
 * SQL expressions that turn a data file's physical columns into the table's logical columns:
 * resolve names (**Column Mapping**: physical names in name mode, parquet field ids in id mode),
 * fill columns missing from the file with NULL, and cast to the table type (**Type Widening**).
 * Timestamps need care: INT96 and non-UTC-adjusted parquet timestamps read as DuckDB TIMESTAMP,
 * and a plain cast to TIMESTAMPTZ would apply the session time zone; Delta `timestamp` values are
 * UTC instants (**Primitive Types**), so they are converted with `timezone('UTC', …)`.
 */

interface Ctx {
  mode: ColumnMappingMode;
  w: Where;
  depth: number;
}

interface Member {
  name: string;
  type: DuckType;
  node?: ParquetNode;
}

/** Finds the file member that holds `field`: by field id in id mode, else by (physical) name. */
function resolveMember(members: Member[], field: DeltaField, ctx: Ctx): Member | undefined {
  if (ctx.mode === 'id') {
    const id = fieldId(field);
    if (id === undefined) throw deltaError(ctx.w, `column ${field.name} has no delta.columnMapping.id (column mapping mode id)`);
    return members.find((m) => m.node?.fieldId === id);
  }
  const want = physicalName(field, ctx.mode);
  const exact = members.find((m) => m.name === want);
  if (exact) return exact;
  // Spark resolves parquet columns case-insensitively; accept a unique case-insensitive match.
  const loose = members.filter((m) => m.name.toLowerCase() === want.toLowerCase());
  return loose.length === 1 ? loose[0] : undefined;
}

/** The parquet node of a list element / map key / map value (3-level or legacy 2-level layout). */
function listElement(n: ParquetNode | undefined): ParquetNode | undefined {
  const rep = n?.children[0];
  if (!rep) return undefined;
  return rep.children.length === 1 ? rep.children[0] : rep;
}
function mapEntry(n: ParquetNode | undefined, i: 0 | 1): ParquetNode | undefined {
  return n?.children[0]?.children[i];
}

function convertPrimitive(expr: string, src: DuckType, target: string): string {
  const from = renderDuckType(src);
  if (from === target) return expr;
  const utc = target === 'TIMESTAMP WITH TIME ZONE' ? naiveAsUtc(expr, from) : undefined;
  if (utc) return utc;
  if (target === 'TIMESTAMP' && from === 'TIMESTAMP WITH TIME ZONE') return `timezone('UTC', ${expr})`;
  // Strings written without the UTF8 annotation read as BLOB; decode() fails loudly on bad UTF-8.
  if (target === 'VARCHAR' && from === 'BLOB') return `decode(${expr})`;
  return `CAST(${expr} AS ${target})`;
}

/** Converts `expr` (of file type `src`, parquet node `node`) to Delta type `t`. */
export function convert(expr: string, src: DuckType, node: ParquetNode | undefined, t: DeltaType, ctx: Ctx): string {
  const target = duckType(t);
  // Identical rendering means identical names and types all the way down; in id mode names prove nothing.
  if (ctx.mode !== 'id' && renderDuckType(src) === target) return expr;
  const d = ctx.depth;
  const mismatch = (): never => {
    throw deltaError(ctx.w, `data file column type ${renderDuckType(src)} does not match the table type ${target}`);
  };
  switch (t.kind) {
    case 'struct': {
      if (src.k !== 'struct') return mismatch();
      const members: Member[] = src.fields.map((f, i) => ({ name: f.name, type: f.type, node: node?.children[i] }));
      const parts = t.fields.map((f) => {
        const m = resolveMember(members, f, ctx);
        const value = m
          ? convert(`struct_extract(${expr}, ${sqlString(m.name)})`, m.type, m.node, f.type, { ...ctx, depth: d + 1 })
          : `CAST(NULL AS ${duckType(f.type)})`;
        return `${sqlString(f.name)}: ${value}`;
      });
      if (!parts.length) throw deltaError(ctx.w, 'empty struct types cannot be read');
      return `CASE WHEN (${expr}) IS NULL THEN NULL ELSE {${parts.join(', ')}} END`;
    }
    case 'array': {
      if (src.k !== 'list' && src.k !== 'array') return mismatch();
      const x = `__x${d}`;
      const inner = convert(x, src.child, listElement(node), t.elementType, { ...ctx, depth: d + 1 });
      return inner === x ? `CAST(${expr} AS ${target})` : `list_transform(${expr}, lambda ${x}: ${inner})`;
    }
    case 'map': {
      if (src.k !== 'map') return mismatch();
      const e = `__e${d}`;
      const k = convert(`${e}.key`, src.key, mapEntry(node, 0), t.keyType, { ...ctx, depth: d + 1 });
      const v = convert(`${e}.value`, src.value, mapEntry(node, 1), t.valueType, { ...ctx, depth: d + 1 });
      return `map_from_entries(list_transform(map_entries(${expr}), lambda ${e}: {'key': ${k}, 'value': ${v}}))`;
    }
    default:
      if (src.k !== 'prim') return mismatch();
      return convertPrimitive(expr, src, target);
  }
}

/**
 * The projection of one top-level (non-partition) field from a file with `columns`: a converted
 * column reference, or a typed NULL when the file does not have the column.
 */
export function projectField(alias: string, columns: FileColumn[], field: DeltaField, mode: ColumnMappingMode, w: Where): string {
  const ctx: Ctx = { mode, w, depth: 0 };
  const m = resolveMember(columns, field, ctx);
  if (!m) return `CAST(NULL AS ${duckType(field.type)})`;
  return convert(`${alias}.${quoteIdent(m.name)}`, m.type, m.node, field.type, ctx);
}

/**
 * Partition values are strings in the log (**Partition Value Serialization**): "An empty string for
 * any type translates to a null partition value"; a missing key is null as well. Timestamps
 * without a zone are interpreted as UTC (the writer's zone is not recorded; Spark writes UTC), and
 * timestamp_ntz values are taken as written. Values are checked here so that a bad one is an
 * E_DELTA error naming the file, not a cast error when the query runs.
 */
export function normalizePartitionValue(raw: string | null | undefined, f: DeltaField, w: Where): string | null {
  if (raw === null || raw === undefined || raw === '') return null;
  const t = f.type;
  const name = t.kind === 'primitive' ? t.name : t.kind;
  const check = PARTITION_FORMATS[name];
  if (check && !check.test(raw.trim())) {
    throw deltaError(w, `partition value ${JSON.stringify(raw)} of column ${f.name} is not a valid ${name}`);
  }
  if (name === 'timestamp') {
    if (/^\d{4}-\d{2}-\d{2}$/.test(raw)) return `${raw} 00:00:00+00`;
    return /[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$/i.test(raw) ? raw : `${raw}+00`;
  }
  return raw;
}

const INT = /^[+-]?\d+$/;
const NUM = /^([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(NaN|Infinity|inf))$/i;
const DATE = /^[+-]?\d{4,}-\d{1,2}-\d{1,2}$/;
const TS = /^[+-]?\d{4,}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?$/i;
const PARTITION_FORMATS: Record<string, RegExp> = {
  byte: INT,
  short: INT,
  integer: INT,
  long: INT,
  float: NUM,
  double: NUM,
  decimal: /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/,
  boolean: /^(true|false)$/i,
  date: DATE,
  timestamp: TS,
  timestamp_ntz: TS,
};

/** The typed value of a (normalized) partition string column `ref`. */
export function partitionExpr(ref: string, t: DeltaType): string {
  if (t.kind === 'primitive' && t.name === 'binary') return `encode(${ref})`;
  if (t.kind === 'primitive' && t.name === 'string') return ref;
  return `CAST(${ref} AS ${duckType(t)})`;
}
