import type { ColumnMappingMode } from './protocol.js';
import { deltaError, unsupported, type Where } from './util.js';
import { quoteIdent } from '../util/sql.js';

/**
 * The table schema (Delta protocol, **Schema Serialization Format**, **Primitive Types**) and its
 * DuckDB rendering. `timestamp` is an instant (parquet isAdjustedToUTC=true) → TIMESTAMPTZ;
 * `timestamp_ntz` is a wall-clock value → TIMESTAMP (**Timestamp without timezone (TimestampNtz)**).
 */

export type DeltaType =
  | { kind: 'primitive'; name: string }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'struct'; fields: DeltaField[] }
  | { kind: 'array'; elementType: DeltaType; containsNull: boolean }
  | { kind: 'map'; keyType: DeltaType; valueType: DeltaType; valueContainsNull: boolean };

export interface DeltaField {
  name: string;
  type: DeltaType;
  nullable: boolean;
  metadata: Record<string, unknown>;
}

export type StructType = { kind: 'struct'; fields: DeltaField[] };

const PRIMITIVES: Record<string, string> = {
  string: 'VARCHAR',
  long: 'BIGINT',
  integer: 'INTEGER',
  short: 'SMALLINT',
  byte: 'TINYINT',
  float: 'FLOAT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  binary: 'BLOB',
  date: 'DATE',
  timestamp: 'TIMESTAMP WITH TIME ZONE',
  timestamp_ntz: 'TIMESTAMP',
  // Spark's NullType: the column is never stored ("void columns"), always NULL.
  void: '"NULL"',
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseType(t: unknown, w: Where, at: string): DeltaType {
  if (typeof t === 'string') {
    const dec = /^decimal\(\s*(\d+)\s*,\s*(-?\d+)\s*\)$/.exec(t);
    if (dec) {
      const precision = Number(dec[1]);
      const scale = Number(dec[2]);
      if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
        throw unsupported(w, `unsupported Delta type ${t} for column ${at} in ${w.table} (DuckDB decimals hold at most 38 digits)`);
      }
      return { kind: 'decimal', precision, scale };
    }
    if (t === 'decimal') return { kind: 'decimal', precision: 10, scale: 0 };
    if (PRIMITIVES[t] !== undefined) return { kind: 'primitive', name: t };
    throw unsupported(
      w,
      `unsupported Delta data type ${JSON.stringify(t)} for column ${at} in ${w.table}`,
      t === 'variant' ? 'variant columns are not decoded by this reader' : undefined,
    );
  }
  if (!isObj(t)) throw deltaError(w, `invalid schema: type of ${at} is ${JSON.stringify(t)}`);
  switch (t.type) {
    case 'struct':
      return parseStruct(t, w, at);
    case 'array':
      return { kind: 'array', elementType: parseType(t.elementType, w, `${at}[]`), containsNull: t.containsNull !== false };
    case 'map':
      return {
        kind: 'map',
        keyType: parseType(t.keyType, w, `${at}.key`),
        valueType: parseType(t.valueType, w, `${at}.value`),
        valueContainsNull: t.valueContainsNull !== false,
      };
    default:
      throw deltaError(w, `invalid schema: unknown complex type ${JSON.stringify(t.type)} at ${at}`);
  }
}

function parseStruct(t: Obj, w: Where, at: string): StructType {
  if (!Array.isArray(t.fields)) throw deltaError(w, `invalid schema: struct ${at || '(root)'} has no fields array`);
  const fields = t.fields.map((f: unknown, i: number): DeltaField => {
    if (!isObj(f) || typeof f.name !== 'string') throw deltaError(w, `invalid schema: field ${i} of ${at || '(root)'} has no name`);
    const name = f.name;
    const full = at ? `${at}.${name}` : name;
    return {
      name,
      type: parseType(f.type, w, full),
      nullable: f.nullable !== false,
      metadata: isObj(f.metadata) ? f.metadata : {},
    };
  });
  return { kind: 'struct', fields };
}

/** Parses `metaData.schemaString`; a bad schema is a corrupt log (E_DELTA). Absent = no columns yet. */
export function parseSchemaString(schemaString: string | undefined, w: Where): StructType {
  if (schemaString === undefined) return { kind: 'struct', fields: [] };
  let json: unknown;
  try {
    json = JSON.parse(schemaString);
  } catch (e) {
    throw deltaError(w, `metaData.schemaString is not valid JSON (${(e as Error).message})`, undefined, e);
  }
  if (!isObj(json) || json.type !== 'struct') throw deltaError(w, 'metaData.schemaString is not a struct type');
  return parseStruct(json, w, '');
}

/** The DuckDB type of a Delta type; struct field names are the logical names. */
export function duckType(t: DeltaType): string {
  switch (t.kind) {
    case 'primitive':
      return PRIMITIVES[t.name];
    case 'decimal':
      return `DECIMAL(${t.precision},${t.scale})`;
    case 'struct':
      return `STRUCT(${t.fields.map((f) => `${quoteIdent(f.name)} ${duckType(f.type)}`).join(', ')})`;
    case 'array':
      return `${duckType(t.elementType)}[]`;
    case 'map':
      return `MAP(${duckType(t.keyType)}, ${duckType(t.valueType)})`;
  }
}

/** **Column Mapping**: the name of a field in data files, partition values, stats and cdc files. */
export function physicalName(f: DeltaField, mode: ColumnMappingMode): string {
  if (mode === 'none') return f.name;
  const p = f.metadata['delta.columnMapping.physicalName'];
  return typeof p === 'string' && p !== '' ? p : f.name;
}

/** `delta.columnMapping.id`: the parquet field_id a field is resolved by in id mode. */
export function fieldId(f: DeltaField): number | undefined {
  const id = f.metadata['delta.columnMapping.id'];
  return typeof id === 'number' ? id : undefined;
}

/**
 * A comparable fingerprint of the schema (logical names, physical names, types, nullability),
 * ignoring advisory field metadata such as identity high-water marks.
 */
export function schemaShape(s: StructType, mode: ColumnMappingMode): string {
  const walk = (t: DeltaType): unknown => {
    switch (t.kind) {
      case 'struct':
        return t.fields.map((f) => [f.name, physicalName(f, mode), f.nullable, walk(f.type)]);
      case 'array':
        return ['array', walk(t.elementType)];
      case 'map':
        return ['map', walk(t.keyType), walk(t.valueType)];
      default:
        return duckType(t);
    }
  };
  return JSON.stringify(walk(s));
}

/**
 * **Type Widening**: fields record past type changes in `delta.typeChanges`. Reading casts the
 * file's narrower type to the table type; readers must "fail when finding any unsupported type
 * change", so only widenings that DuckDB casts losslessly are accepted.
 */
const WIDENINGS = new Set([
  'byte>short',
  'byte>integer',
  'byte>long',
  'short>integer',
  'short>long',
  'integer>long',
  'float>double',
  'byte>double',
  'short>double',
  'integer>double',
  'date>timestamp_ntz',
  'byte>decimal',
  'short>decimal',
  'integer>decimal',
  'long>decimal',
  'decimal>decimal',
]);

export function checkTypeChanges(s: StructType, w: Where): void {
  const visit = (t: DeltaType, at: string): void => {
    if (t.kind === 'struct') {
      for (const f of t.fields) {
        const changes = f.metadata['delta.typeChanges'];
        if (Array.isArray(changes)) {
          for (const c of changes) {
            const from = String((c as Obj)?.fromType ?? '').replace(/\(.*$/, '');
            const to = String((c as Obj)?.toType ?? '').replace(/\(.*$/, '');
            if (!WIDENINGS.has(`${from}>${to}`)) {
              throw unsupported(w, `unsupported type change ${from} -> ${to} of column ${at}${f.name} in ${w.table} (typeWidening)`);
            }
          }
        }
        visit(f.type, `${at}${f.name}.`);
      }
    } else if (t.kind === 'array') visit(t.elementType, at);
    else if (t.kind === 'map') {
      visit(t.keyType, at);
      visit(t.valueType, at);
    }
  };
  visit(s, '');
}
