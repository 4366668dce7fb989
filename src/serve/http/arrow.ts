import type { Json } from '@duckdb/node-api';
import { Bool, Float64, Int32, Int64, Table, Utf8, tableToIPC, vectorFromArray, type DataType } from 'apache-arrow';
import type { QueryRows } from '../../query/run.js';

/**
 * Arrow types for DuckDB's scalar types; everything else (lists, structs, decimals, dates) travels as
 * the text of its JSON value, as `relspec query --json` shows it — exact, if not typed.
 */
function arrowType(duckType: string): { type: DataType; value: (v: Json) => unknown } {
  const t = duckType.toUpperCase();
  if (t === 'BOOLEAN') return { type: new Bool(), value: (v) => v };
  if (['TINYINT', 'SMALLINT', 'INTEGER', 'UTINYINT', 'USMALLINT'].includes(t)) return { type: new Int32(), value: (v) => v };
  // BIGINT arrives as a number, or a string beyond 2^53: BigInt takes both exactly.
  if (t === 'BIGINT' || t === 'UINTEGER') return { type: new Int64(), value: (v) => (v === null ? null : BigInt(v as number | string)) };
  if (t === 'DOUBLE' || t === 'FLOAT') return { type: new Float64(), value: (v) => v };
  if (t === 'VARCHAR') return { type: new Utf8(), value: (v) => v };
  return { type: new Utf8(), value: (v) => (v === null ? null : typeof v === 'string' ? v : JSON.stringify(v)) };
}

/** The rows as an Arrow IPC stream (`Accept: application/vnd.apache.arrow.stream`). */
export function rowsToArrowStream(result: QueryRows): Uint8Array<ArrayBuffer> {
  const vectors = Object.fromEntries(
    result.columns.map((col, i) => {
      const { type, value } = arrowType(col.type);
      return [
        col.name,
        vectorFromArray(
          result.rows.map((r) => value(r[i]!)),
          type,
        ),
      ];
    }),
  );
  // A copy into a plain ArrayBuffer: what a Response body takes.
  return new Uint8Array(tableToIPC(new Table(vectors), 'stream'));
}
