/**
 * Quoting for SQL built as text (DuckDB). Everything relspec puts into SQL goes through these, so a
 * name or value with quotes, spaces or non-ASCII characters stays exactly itself.
 */

/** An identifier: double quotes, inner double quotes doubled. */
export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** A string literal: single quotes, inner single quotes doubled. */
export const sqlString = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** A list literal of strings, `['a', 'b']`. An empty list has no element type: cast it where one is needed. */
export const sqlList = (values: readonly string[]): string => `[${values.map(sqlString).join(', ')}]`;

/**
 * The parts of a dotted name as written by {@link quoteIdent} (`"a"."b""c"` → `a`, `b"c`); unquoted
 * parts are taken as written. The inverse of joining quoted parts with `.`, for names that are kept
 * as SQL text and need to be shown or compared.
 */
export function splitQualified(sql: string): string[] {
  const parts: string[] = [];
  let i = 0;
  for (;;) {
    let part = '';
    if (sql[i] === '"') {
      for (i++; i < sql.length; i++) {
        if (sql[i] !== '"') part += sql[i];
        else if (sql[i + 1] === '"') part += sql[i++];
        else break;
      }
      i++;
    } else {
      const dot = sql.indexOf('.', i);
      const end = dot < 0 ? sql.length : dot;
      part = sql.slice(i, end);
      i = end;
    }
    parts.push(part);
    if (sql[i] !== '.') return parts;
    i++;
  }
}

const NAIVE_TIMESTAMPS = new Set(['TIMESTAMP', 'TIMESTAMP_NS', 'TIMESTAMP_MS', 'TIMESTAMP_S']);

/**
 * `expr`, of DuckDB type `from`, as a TIMESTAMPTZ taking a naive timestamp's wall-clock value as UTC;
 * undefined when `from` is not a naive timestamp. A plain CAST would apply the session time zone.
 */
export function naiveAsUtc(expr: string, from: string): string | undefined {
  if (!NAIVE_TIMESTAMPS.has(from)) return undefined;
  return `timezone('UTC', ${from === 'TIMESTAMP' ? expr : `CAST(${expr} AS TIMESTAMP)`})`;
}
