import type { Scratch } from './duck.js';

/**
 * What a task's parse tree says about the world outside its input datasets: files it reads through
 * table functions, calls whose files relspec cannot know, and functions whose result changes from
 * one run to the next (docs/ARCHITECTURE.md invariant 8: where relspec cannot know, it says so).
 */

/** A string literal in the SQL: its value and its byte offset (DuckDB's `query_location`). */
export interface SqlLiteral {
  value: string;
  location: number;
}

/** `read_csv('data/x.csv')` or `read_parquet(['a.parquet', 'p/*.parquet'])`: literal paths or globs. */
export interface FileCall {
  fn: string;
  /** The first argument was a list literal (`[...]`), so each element may be replaced by several. */
  list: boolean;
  args: SqlLiteral[];
}

/** A file-reading call whose paths are not literals (a column, a variable, a parameter, `||`). */
export interface UntrackedCall {
  fn: string;
  /** The call as written (shortened), for warnings. */
  call: string;
}

export interface TreeFacts {
  fileCalls: FileCall[];
  untracked: UntrackedCall[];
  /** Non-deterministic functions called, sorted. */
  volatile: string[];
}

/**
 * Table functions that read files given as their first argument (DuckDB's own list:
 * `SELECT function_name FROM duckdb_functions() WHERE function_type = 'table'`). `glob` lists files:
 * the listing, not the contents, is what it depends on.
 */
export const FILE_READERS = new Set([
  'read_csv',
  'read_csv_auto',
  'sniff_csv',
  'read_parquet',
  'parquet_scan',
  'parquet_metadata',
  'parquet_schema',
  'parquet_file_metadata',
  'parquet_kv_metadata',
  'parquet_full_metadata',
  'read_json',
  'read_json_auto',
  'read_ndjson',
  'read_ndjson_auto',
  'read_json_objects',
  'read_json_objects_auto',
  'read_ndjson_objects',
  'read_text',
  'read_blob',
  'glob',
]);

/** Table functions that read a relation named at run time: their inputs cannot be known statically. */
const DYNAMIC_READERS = new Set(['query', 'query_table', 'read_duckdb']);

/**
 * DuckDB marks `random`, `uuid`, `gen_random_uuid`, `nextval`, … VOLATILE, and `now`, `today`,
 * `current_date`, `get_current_timestamp`, … CONSISTENT_WITHIN_QUERY: both change between runs. Not
 * counted: functions that are stable for one warehouse (current_database, current_schema(s),
 * in_search_path) or only have side effects (error, write_log, sleep_ms).
 */
const NOT_VOLATILE = new Set(['error', 'write_log', 'sleep_ms', 'current_database', 'current_schema', 'current_schemas', 'in_search_path']);
/**
 * What the stability column misses: `current_localtimestamp` is marked CONSISTENT, and the SQL
 * keywords `current_date`, `current_timestamp`, `current_time`, `localtime`, `localtimestamp` parse
 * as column references, not function calls.
 */
const ALSO_VOLATILE = ['current_localtimestamp'];
const VOLATILE_KEYWORDS = new Set(['current_date', 'current_timestamp', 'current_time', 'localtime', 'localtimestamp']);

export async function volatileFunctions(scratch: Scratch): Promise<Set<string>> {
  const rows = await scratch.rows(
    "SELECT DISTINCT function_name FROM duckdb_functions() WHERE stability IN ('VOLATILE', 'CONSISTENT_WITHIN_QUERY')",
  );
  const out = new Set(rows.map((r) => String(r[0]).toLowerCase()).filter((f) => !NOT_VOLATILE.has(f)));
  for (const f of ALSO_VOLATILE) out.add(f);
  return out;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
const isObj = (v: Json | undefined): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

const stringConstant = (v: Json | undefined): SqlLiteral | undefined => {
  if (!isObj(v) || v.class !== 'CONSTANT' || !isObj(v.value) || v.value.is_null) return undefined;
  const type = isObj(v.value.type) ? v.value.type.id : undefined;
  if (type !== 'VARCHAR' || typeof v.value.value !== 'string' || typeof v.query_location !== 'number') return undefined;
  return { value: v.value.value, location: v.query_location };
};

/** A URL (`s3://`, `https://`): no stat signature to follow. */
const REMOTE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** The call as written: from the function name to its closing parenthesis (quotes respected). */
export function callText(sql: Buffer, at: number): string {
  let depth = 0;
  let quote: number | undefined;
  for (let i = at; i < sql.length; i++) {
    const ch = sql[i]!;
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === 0x27 || ch === 0x22) quote = ch;
    else if (ch === 0x28) depth++;
    else if (ch === 0x29 && --depth === 0) {
      const text = sql
        .subarray(at, i + 1)
        .toString('utf8')
        .replace(/\s+/g, ' ');
      return text.length > 80 ? `${text.slice(0, 77)}...` : text;
    }
  }
  return sql.subarray(at, Math.min(sql.length, at + 80)).toString('utf8');
}

/** Walks one statement's tree (from json_serialize_sql) for file reads and volatile calls. */
export function treeFacts(sql: string, stmt: Json, volatile: ReadonlySet<string>): TreeFacts {
  const bytes = Buffer.from(sql, 'utf8');
  const facts: TreeFacts = { fileCalls: [], untracked: [], volatile: [] };
  const vol = new Set<string>();
  const visit = (v: Json | undefined): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    if (!isObj(v)) return;
    if (v.type === 'TABLE_FUNCTION' && isObj(v.function) && typeof v.function.function_name === 'string') {
      const f = v.function;
      const fn = String(f.function_name).toLowerCase();
      const at = typeof f.query_location === 'number' ? f.query_location : -1;
      const first = Array.isArray(f.children) ? f.children[0] : undefined;
      if (FILE_READERS.has(fn)) {
        const one = stringConstant(first);
        const items =
          isObj(first) && first.function_name === 'list_value' && Array.isArray(first.children)
            ? first.children.map(stringConstant)
            : undefined;
        const args = one ? [one] : items && items.length > 0 && items.every((x) => x !== undefined) ? (items as SqlLiteral[]) : undefined;
        // A literal must start with a plain quote to be rewritten to an absolute path (E'…' and $$…$$ are not).
        if (args && args.every((a) => bytes[a.location] === 0x27 && !REMOTE.test(a.value))) facts.fileCalls.push({ fn, list: !one, args });
        else facts.untracked.push({ fn, call: at >= 0 ? callText(bytes, at) : `${fn}(…)` });
      } else if (DYNAMIC_READERS.has(fn)) {
        facts.untracked.push({ fn, call: at >= 0 ? callText(bytes, at) : `${fn}(…)` });
      }
    }
    if (v.class === 'FUNCTION' && typeof v.function_name === 'string' && volatile.has(v.function_name.toLowerCase())) {
      vol.add(v.function_name.toLowerCase());
    }
    if (v.class === 'COLUMN_REF' && Array.isArray(v.column_names) && v.column_names.length === 1) {
      const name = String(v.column_names[0]).toLowerCase();
      if (VOLATILE_KEYWORDS.has(name)) vol.add(name);
    }
    for (const k of Object.keys(v)) visit(v[k]);
  };
  visit(stmt);
  facts.volatile = [...vol].sort();
  return facts;
}
