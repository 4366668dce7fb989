/**
 * DuckDB type names as a contract writes them (`INT`, `text`, `numeric(10,2)`, `int[]`) → the name
 * DuckDB itself prints in DESCRIBE (`INTEGER`, `VARCHAR`, `DECIMAL(10,2)`, `INTEGER[]`), so a
 * declared type and an inferred one compare as strings. A known list rather than asking DuckDB:
 * the header is parsed without a connection, and an unknown name is a typo worth reporting there.
 */
const ALIASES: Readonly<Record<string, string>> = {
  INTEGER: 'INTEGER',
  INT: 'INTEGER',
  INT4: 'INTEGER',
  INT32: 'INTEGER',
  SIGNED: 'INTEGER',
  BIGINT: 'BIGINT',
  INT8: 'BIGINT',
  INT64: 'BIGINT',
  LONG: 'BIGINT',
  SMALLINT: 'SMALLINT',
  INT2: 'SMALLINT',
  INT16: 'SMALLINT',
  SHORT: 'SMALLINT',
  TINYINT: 'TINYINT',
  INT1: 'TINYINT',
  HUGEINT: 'HUGEINT',
  INT128: 'HUGEINT',
  UHUGEINT: 'UHUGEINT',
  UBIGINT: 'UBIGINT',
  UINTEGER: 'UINTEGER',
  USMALLINT: 'USMALLINT',
  UTINYINT: 'UTINYINT',
  DOUBLE: 'DOUBLE',
  FLOAT8: 'DOUBLE',
  'DOUBLE PRECISION': 'DOUBLE',
  FLOAT: 'FLOAT',
  FLOAT4: 'FLOAT',
  REAL: 'FLOAT',
  VARCHAR: 'VARCHAR',
  TEXT: 'VARCHAR',
  STRING: 'VARCHAR',
  CHAR: 'VARCHAR',
  BPCHAR: 'VARCHAR',
  NVARCHAR: 'VARCHAR',
  'CHARACTER VARYING': 'VARCHAR',
  BOOLEAN: 'BOOLEAN',
  BOOL: 'BOOLEAN',
  LOGICAL: 'BOOLEAN',
  DATE: 'DATE',
  TIME: 'TIME',
  TIMETZ: 'TIME WITH TIME ZONE',
  'TIME WITH TIME ZONE': 'TIME WITH TIME ZONE',
  TIMESTAMP: 'TIMESTAMP',
  DATETIME: 'TIMESTAMP',
  'TIMESTAMP WITHOUT TIME ZONE': 'TIMESTAMP',
  TIMESTAMPTZ: 'TIMESTAMP WITH TIME ZONE',
  'TIMESTAMP WITH TIME ZONE': 'TIMESTAMP WITH TIME ZONE',
  TIMESTAMP_S: 'TIMESTAMP_S',
  TIMESTAMP_MS: 'TIMESTAMP_MS',
  TIMESTAMP_NS: 'TIMESTAMP_NS',
  TIMESTAMP_US: 'TIMESTAMP',
  INTERVAL: 'INTERVAL',
  BLOB: 'BLOB',
  BYTEA: 'BLOB',
  BINARY: 'BLOB',
  VARBINARY: 'BLOB',
  BIT: 'BIT',
  BITSTRING: 'BIT',
  UUID: 'UUID',
  JSON: 'JSON',
  VARINT: 'VARINT',
  BIGNUM: 'BIGNUM',
  // DECIMAL and NUMERIC without (p,s) are DECIMAL(18,3) in DuckDB.
  DECIMAL: 'DECIMAL(18,3)',
  NUMERIC: 'DECIMAL(18,3)',
  DEC: 'DECIMAL(18,3)',
};

export const KNOWN_TYPES: readonly string[] = Object.keys(ALIASES);

/** Top-level comma split, ignoring commas inside parentheses and double quotes. */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === '(') depth++;
    if (!quoted && ch === ')') depth--;
    if (!quoted && depth === 0 && ch === ',') {
      parts.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  parts.push(cur.trim());
  return parts;
}

/** `"My Col"` → `My Col`; a bare name as written. */
export const unquoteIdent = (s: string): string => (/^".*"$/.test(s) ? s.slice(1, -1).replace(/""/g, '"') : s);

const quoteField = (s: string): string => (/^[A-Za-z_][\w]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`);

/** The DuckDB spelling of `type`, or undefined when it is not a type this list knows. */
export function normalizeType(type: string): string | undefined {
  const t = type.trim().replace(/\s+/g, ' ');
  const list = /^(.*?)\s*\[(\d*)\]$/s.exec(t);
  if (list) {
    const inner = normalizeType(list[1]!);
    return inner && `${inner}[${list[2]}]`;
  }
  const call = /^([A-Za-z_][\w ]*?)\s*\((.*)\)$/s.exec(t);
  if (call) {
    const head = call[1]!.toUpperCase();
    const args = splitTopLevel(call[2]!);
    if (head === 'DECIMAL' || head === 'NUMERIC' || head === 'DEC') {
      if (!args.every((a) => /^\d+$/.test(a)) || args.length > 2) return undefined;
      return `DECIMAL(${args[0]},${args[1] ?? '0'})`;
    }
    // Lengths on strings are accepted and ignored by DuckDB.
    if (ALIASES[head] === 'VARCHAR' && args.length === 1 && /^\d+$/.test(args[0]!)) return 'VARCHAR';
    if (head === 'LIST' && args.length === 1) {
      const inner = normalizeType(args[0]!);
      return inner && `${inner}[]`;
    }
    if (head === 'MAP' && args.length === 2) {
      const [k, v] = args.map(normalizeType);
      return k && v && `MAP(${k}, ${v})`;
    }
    if (head === 'STRUCT' || head === 'UNION') {
      const fields = args.map((a) => {
        const m = /^("(?:[^"]|"")*"|[^\s"]+)\s+(.+)$/s.exec(a);
        const ft = m && normalizeType(m[2]!);
        return m && ft ? `${quoteField(unquoteIdent(m[1]!))} ${ft}` : undefined;
      });
      return fields.every((f) => f !== undefined) ? `${head}(${fields.join(', ')})` : undefined;
    }
    if (head === 'ENUM') return `ENUM(${args.join(', ')})`;
    return undefined;
  }
  return ALIASES[t.toUpperCase()];
}

/** Normalizes a type DuckDB reported (lineage, DESCRIBE); unknown spellings are kept as written. */
export const canonicalType = (type: string): string => normalizeType(type) ?? type.trim().replace(/\s+/g, ' ');
