import type { DuckDBConnection } from '@duckdb/node-api';
import type { MetadataAction, ProtocolAction } from '../actions.js';
import { parseDuckType, type DuckType } from '../duckTypes.js';
import { columnMappingMode } from '../protocol.js';
import { parseSchemaString, type DeltaField, type DeltaType, type StructType } from '../schema.js';
import { deltaError, firstLine, unsupported, type Where } from '../util.js';

/**
 * Table schemas for the writer: DuckDB column lists turned into Delta types (**Schema
 * Serialization Format**), the protocol a new table needs, and the writer-side protocol gate
 * (**Table Features**: "writers must implement and respect all features listed in writerFeatures").
 */

/** A column given as a DuckDB type (`BIGINT`, `DECIMAL(10,2)`, `STRUCT(a INTEGER)[]`, ...). */
export interface ColumnSpec {
  name: string;
  type: string;
  /** Default true. A non-nullable column rejects writes that put NULL into it. */
  nullable?: boolean;
}

/** DuckDB columns, the reader's parsed StructType, or a Delta schema JSON object (`{type: 'struct', fields}`). */
export type SchemaInput = readonly ColumnSpec[] | StructType | { type: 'struct'; fields: unknown[] };

const FROM_DUCK: Record<string, string> = {
  VARCHAR: 'string',
  BIGINT: 'long',
  INTEGER: 'integer',
  SMALLINT: 'short',
  TINYINT: 'byte',
  FLOAT: 'float',
  DOUBLE: 'double',
  BOOLEAN: 'boolean',
  BLOB: 'binary',
  DATE: 'date',
  'TIMESTAMP WITH TIME ZONE': 'timestamp',
  TIMESTAMP: 'timestamp_ntz',
};

function fromDuck(t: DuckType, w: Where, at: string): DeltaType {
  switch (t.k) {
    case 'prim': {
      const dec = /^DECIMAL\((\d+),(\d+)\)$/.exec(t.name);
      if (dec) return { kind: 'decimal', precision: Number(dec[1]), scale: Number(dec[2]) };
      const name = FROM_DUCK[t.name];
      if (!name) {
        throw unsupported(
          w,
          `column ${at}: DuckDB type ${t.name} has no Delta equivalent`,
          'use VARCHAR, BIGINT, INTEGER, SMALLINT, TINYINT, FLOAT, DOUBLE, BOOLEAN, BLOB, DATE, TIMESTAMP, TIMESTAMPTZ, DECIMAL, lists, structs or maps',
        );
      }
      return { kind: 'primitive', name };
    }
    case 'struct':
      return {
        kind: 'struct',
        fields: t.fields.map((f) => ({ name: f.name, type: fromDuck(f.type, w, `${at}.${f.name}`), nullable: true, metadata: {} })),
      };
    case 'list':
      return { kind: 'array', elementType: fromDuck(t.child, w, `${at}[]`), containsNull: true };
    case 'map':
      return {
        kind: 'map',
        keyType: fromDuck(t.key, w, `${at}.key`),
        valueType: fromDuck(t.value, w, `${at}.value`),
        valueContainsNull: true,
      };
    case 'array':
      throw unsupported(w, `column ${at}: fixed-size DuckDB arrays have no Delta equivalent`, 'use a list type (T[])');
  }
}

/** The Delta type of each DuckDB type string, canonicalized by DuckDB itself (`int` → INTEGER). */
export async function duckColumnsToDelta(conn: DuckDBConnection, cols: readonly ColumnSpec[], w: Where): Promise<StructType> {
  if (!cols.length) throw deltaError(w, 'a Delta table needs at least one column');
  let described: string[];
  try {
    const sql = `DESCRIBE SELECT ${cols.map((c, i) => `CAST(NULL AS ${c.type}) AS c${i}`).join(', ')}`;
    described = ((await conn.runAndReadAll(sql)).getRows() as unknown[][]).map((r) => String(r[1]));
  } catch (e) {
    throw deltaError(w, `invalid column type: ${firstLine(e)}`, undefined, e);
  }
  const fields = cols.map((c, i): DeltaField => ({
    name: c.name,
    type: fromDuck(parseDuckType(described[i]), w, c.name),
    nullable: c.nullable !== false,
    metadata: {},
  }));
  return { kind: 'struct', fields };
}

/** Delta JSON of a type (the inverse of the reader's `parseType`). */
export function deltaTypeJson(t: DeltaType): unknown {
  switch (t.kind) {
    case 'primitive':
      return t.name;
    case 'decimal':
      return `decimal(${t.precision},${t.scale})`;
    case 'struct':
      return {
        type: 'struct',
        fields: t.fields.map((f) => ({ name: f.name, type: deltaTypeJson(f.type), nullable: f.nullable, metadata: f.metadata })),
      };
    case 'array':
      return { type: 'array', elementType: deltaTypeJson(t.elementType), containsNull: t.containsNull };
    case 'map':
      return {
        type: 'map',
        keyType: deltaTypeJson(t.keyType),
        valueType: deltaTypeJson(t.valueType),
        valueContainsNull: t.valueContainsNull,
      };
  }
}

/** Resolves any accepted schema form to a validated StructType. */
export async function resolveSchema(conn: DuckDBConnection, input: SchemaInput, w: Where): Promise<StructType> {
  let schema: StructType;
  if (Array.isArray(input)) schema = await duckColumnsToDelta(conn, input as readonly ColumnSpec[], w);
  else if ((input as StructType).kind === 'struct') schema = input as StructType;
  else schema = parseSchemaString(JSON.stringify(input), w);
  const seen = new Set<string>();
  for (const f of schema.fields) {
    if (!f.name) throw deltaError(w, 'column names must not be empty');
    // Spark resolves columns case-insensitively: names differing only in case would collide.
    const key = f.name.toLowerCase();
    if (seen.has(key)) throw deltaError(w, `duplicate column name ${f.name} (names are compared case-insensitively)`);
    seen.add(key);
  }
  if (!schema.fields.length) throw deltaError(w, 'a Delta table needs at least one column');
  return schema;
}

const hasType = (t: DeltaType, name: string): boolean =>
  t.kind === 'primitive'
    ? t.name === name
    : t.kind === 'struct'
      ? t.fields.some((f) => hasType(f.type, name))
      : t.kind === 'array'
        ? hasType(t.elementType, name)
        : t.kind === 'map'
          ? hasType(t.keyType, name) || hasType(t.valueType, name)
          : false;

/** Properties that would oblige a writer to do things this one does not do. */
const UNHONORED_CONFIG: [RegExp, (v: string) => boolean, string][] = [
  [/^delta\.columnMapping\.mode$/, (v) => v !== 'none', 'column mapping'],
  [/^delta\.enableDeletionVectors$/, (v) => v === 'true', 'deletion vectors'],
  [/^delta\.enableInCommitTimestamps$/, (v) => v === 'true', 'in-commit timestamps'],
  [/^delta\.enableRowTracking$/, (v) => v === 'true', 'row tracking'],
  [/^delta\.checkpointPolicy$/, (v) => v !== 'classic', 'v2 checkpoints'],
  [/^delta\.constraints\./, () => true, 'CHECK constraints'],
];

/**
 * The protocol of a new table: legacy versions (reader 1, writer 2, or 4 with the change data
 * feed) unless a timestamp_ntz column needs table features (reader 3 / writer 7).
 */
export function initialProtocol(schema: StructType, config: Record<string, string>, w: Where): ProtocolAction {
  for (const [k, v] of Object.entries(config)) {
    const hit = UNHONORED_CONFIG.find(([re, on]) => re.test(k) && on(v));
    if (hit) throw unsupported(w, `table property ${k}=${v} needs ${hit[2]}, which this writer does not implement`);
  }
  const cdf = config['delta.enableChangeDataFeed'] === 'true';
  if (!schema.fields.some((f) => hasType(f.type, 'timestamp_ntz'))) return { minReaderVersion: 1, minWriterVersion: cdf ? 4 : 2 };
  const writerFeatures = ['timestampNtz'];
  if (cdf) writerFeatures.push('changeDataFeed');
  if (config['delta.appendOnly'] === 'true') writerFeatures.push('appendOnly');
  return { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['timestampNtz'], writerFeatures };
}

/** Writer features this writer honours (some only while unused, checked in `checkWriterProtocol`). */
export const SUPPORTED_WRITER_FEATURES: ReadonlySet<string> = new Set([
  'appendOnly',
  'invariants',
  'checkConstraints',
  'changeDataFeed',
  'generatedColumns',
  'columnMapping',
  'identityColumns',
  'deletionVectors',
  'timestampNtz',
  'domainMetadata',
  'vacuumProtocolCheck',
  'typeWidening',
  'typeWidening-preview',
  'inCommitTimestamp',
]);

const LEGACY: [number, string][] = [
  [2, 'appendOnly'],
  [2, 'invariants'],
  [3, 'checkConstraints'],
  [4, 'changeDataFeed'],
  [4, 'generatedColumns'],
  [5, 'columnMapping'],
  [6, 'identityColumns'],
];

function anyField(s: StructType, key: string): string | undefined {
  const walk = (t: DeltaType, at: string): string | undefined => {
    if (t.kind === 'struct') {
      for (const f of t.fields) {
        if (Object.keys(f.metadata).some((k) => k.startsWith(key))) return `${at}${f.name}`;
        const inner = walk(f.type, `${at}${f.name}.`);
        if (inner) return inner;
      }
    } else if (t.kind === 'array') return walk(t.elementType, at);
    else if (t.kind === 'map') return walk(t.keyType, at) ?? walk(t.valueType, at);
    return undefined;
  };
  return walk(s, '');
}

/** Features in effect for writers: explicit (writer 7) or implied by a legacy writer version. */
export function writerFeatures(p: ProtocolAction): Set<string> {
  if (p.minWriterVersion >= 7) return new Set(p.writerFeatures ?? []);
  return new Set(LEGACY.filter(([v]) => p.minWriterVersion >= v).map(([, f]) => f));
}

/** Throws E_DELTA_UNSUPPORTED when writing to the table would need something not implemented here. */
export function checkWriterProtocol(p: ProtocolAction, m: MetadataAction, schema: StructType, w: Where): void {
  if (!Number.isInteger(p.minWriterVersion) || p.minWriterVersion < 1 || p.minWriterVersion > 7) {
    throw unsupported(
      w,
      `cannot write to ${w.table}: unsupported Delta minWriterVersion ${p.minWriterVersion} (this writer implements 1-7)`,
    );
  }
  const features = writerFeatures(p);
  const missing = [...features].filter((f) => !SUPPORTED_WRITER_FEATURES.has(f));
  if (missing.length) {
    throw unsupported(
      w,
      `cannot write to ${w.table}: unsupported Delta writer feature(s) ${missing.join(', ')}`,
      'write the table with an engine that implements these features',
    );
  }
  const inUse = (cond: string | boolean | undefined, what: string): void => {
    if (cond)
      throw unsupported(
        w,
        `cannot write to ${w.table}: it uses ${what}${typeof cond === 'string' ? ` (column ${cond})` : ''}, which this writer does not enforce`,
      );
  };
  inUse(features.has('invariants') && anyField(schema, 'delta.invariants'), 'column invariants');
  inUse(features.has('generatedColumns') && anyField(schema, 'delta.generationExpression'), 'generated columns');
  inUse(features.has('identityColumns') && anyField(schema, 'delta.identity.'), 'identity columns');
  inUse(
    features.has('checkConstraints') && Object.keys(m.configuration).some((k) => k.startsWith('delta.constraints.')),
    'CHECK constraints',
  );
  inUse(columnMappingMode(p, m, w) !== 'none', 'column mapping');
  inUse(features.has('inCommitTimestamp') && m.configuration['delta.enableInCommitTimestamps'] === 'true', 'in-commit timestamps');
}

/** **Writer Requirements for AddCDCFile**: v4-6 honour the property; v7 only with the feature. */
export function cdfEnabled(p: ProtocolAction, m: MetadataAction): boolean {
  if (m.configuration['delta.enableChangeDataFeed'] !== 'true') return false;
  return p.minWriterVersion >= 7 ? (p.writerFeatures ?? []).includes('changeDataFeed') : p.minWriterVersion >= 4;
}

/** Partition columns must be top-level primitive columns whose values serialize as text. */
export function checkPartitionColumns(schema: StructType, partitionColumns: readonly string[], w: Where): void {
  for (const p of partitionColumns) {
    const f = schema.fields.find((x) => x.name === p);
    if (!f) throw deltaError(w, `partition column ${p} is not a column of the table`);
    if (f.type.kind !== 'primitive' && f.type.kind !== 'decimal')
      throw deltaError(w, `partition column ${p} has a nested type; partition columns must be primitive`);
    if (f.type.kind === 'primitive' && f.type.name === 'binary')
      throw unsupported(w, `binary partition column ${p} is not supported by this writer`);
  }
  if (new Set(partitionColumns).size !== partitionColumns.length) throw deltaError(w, 'partition columns must not repeat');
  if (partitionColumns.length >= schema.fields.length)
    throw deltaError(w, 'at least one column must not be a partition column (data files need a column)');
}
