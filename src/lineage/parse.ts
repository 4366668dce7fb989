import { createHash } from 'node:crypto';
import { listValue } from '@duckdb/node-api';
import type { Scratch } from './duck.js';
import { treeFacts, volatileFunctions, type TreeFacts } from './fileReads.js';

export interface TableRef {
  catalog: string;
  schema: string;
  table: string;
  /** Byte offset of the reference in the SQL (DuckDB's `query_location`), and its alias ('' when none). */
  location?: number;
  alias?: string;
}

export type ParseResult =
  | {
      ok: true;
      /** Hash of the parse tree with locations removed: formatting and comments never change it. */
      treeHash: string;
      refs: TableRef[];
      tableFunctions: string[];
      notes: string[];
      /** The planner cannot tell this query's columns (dynamic PIVOT): require all columns. */
      opaque: boolean;
      /** Files read through table functions, untracked reads, volatile functions. */
      facts: TreeFacts;
    }
  | { ok: false; message: string; kind: 'syntax' | 'not_query' | 'multiple' };

const QUERY_NODE_TYPES = new Set(['SELECT_NODE', 'SET_OPERATION_NODE', 'RECURSIVE_CTE_NODE', 'CTE_NODE']);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
const isObj = (v: Json | undefined): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Collects base-table references, honouring CTE scope the way DuckDB binds: a CTE is visible in the
 * query body and in the CTEs after it in the same WITH, and in its own body only when it is
 * recursive; so `WITH t AS (SELECT * FROM t)` reads the real table t.
 */
function collect(root: Json, refs: TableRef[], functions: Set<string>): void {
  const visit = (v: Json | undefined, scope: ReadonlySet<string>): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x, scope);
      return;
    }
    if (!isObj(v)) return;
    if (typeof v.type === 'string' && QUERY_NODE_TYPES.has(v.type) && 'cte_map' in v) {
      visitQuery(v, scope);
      return;
    }
    if (v.type === 'BASE_TABLE' && typeof v.table_name === 'string') {
      const schema = String(v.schema_name ?? '');
      const catalog = String(v.catalog_name ?? '');
      if (!(schema === '' && catalog === '' && scope.has(v.table_name.toLowerCase()))) {
        const location = typeof v.query_location === 'number' ? v.query_location : undefined;
        refs.push({ catalog, schema, table: v.table_name, location, alias: String(v.alias ?? '') });
      }
    }
    if (v.type === 'TABLE_FUNCTION' && isObj(v.function) && typeof v.function.function_name === 'string') {
      functions.add(v.function.function_name.toLowerCase());
    }
    for (const k of Object.keys(v)) visit(v[k], scope);
  };

  const visitQuery = (node: Obj, outer: ReadonlySet<string>): void => {
    let scope = new Set(outer);
    const map = isObj(node.cte_map) && Array.isArray(node.cte_map.map) ? node.cte_map.map : [];
    for (const entry of map) {
      if (!isObj(entry) || typeof entry.key !== 'string') continue;
      const name = entry.key.toLowerCase();
      const value = isObj(entry.value) ? entry.value : {};
      const body = isObj(value.query) ? value.query.node : undefined;
      const recursive = isObj(body) && body.type === 'RECURSIVE_CTE_NODE';
      visit(body, recursive ? new Set([...scope, name]) : scope);
      scope = new Set([...scope, name]);
    }
    if (node.type === 'RECURSIVE_CTE_NODE' && typeof node.cte_name === 'string') {
      scope.add(node.cte_name.toLowerCase());
    }
    for (const k of Object.keys(node)) if (k !== 'cte_map') visit(node[k], scope);
  };

  visit(root, new Set());
}

/** The base-table references of one statement serialized by json_serialize_sql (CTE names excluded); undefined when it is not one query. */
export function statementRefs(serialized: string): TableRef[] | undefined {
  const tree = JSON.parse(serialized) as Obj;
  const statements = !tree.error && Array.isArray(tree.statements) ? tree.statements : [];
  if (statements.length !== 1) return undefined;
  const refs: TableRef[] = [];
  collect(statements[0]!, refs, new Set());
  return refs;
}

/** Location fields move with formatting; everything else in the tree is semantics. */
function stripLocations(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripLocations);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const k of Object.keys(v)) if (!k.endsWith('location')) out[k] = stripLocations(v[k]!);
  return out;
}

export const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Comments and string literals removed: the text a name-based fallback may look at. */
export function stripCommentsAndStrings(sql: string): string {
  return sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\/|'(?:[^']|'')*'/g, ' ');
}

const DYNAMIC_PIVOT = /^\s*(pivot|pivot_wider)\b/i;

const NO_FACTS: TreeFacts = { fileCalls: [], untracked: [], volatile: [] };

function analyse(sql: string, serialized: string, volatile: ReadonlySet<string>): ParseResult {
  const tree = JSON.parse(serialized) as Obj;
  if (tree.error) {
    const message = String(tree.error_message ?? 'parse error');
    if (/Only SELECT statements/i.test(message)) {
      const body = stripCommentsAndStrings(sql);
      if (DYNAMIC_PIVOT.test(body)) {
        // DuckDB can neither serialize a PIVOT without an IN list nor plan it over empty stubs
        // (it reads the data to find the columns), so this task gets name-based inputs and all columns.
        return {
          ok: true,
          treeHash: sha('dynamic-pivot\0' + body.replace(/\s+/g, ' ').trim().toLowerCase()),
          refs: [],
          tableFunctions: [],
          notes: ['dynamic PIVOT (no IN list): inputs found by name in the SQL text, all columns required'],
          opaque: true,
          facts: NO_FACTS,
        };
      }
      const word = /^\s*([A-Za-z]+)/.exec(body)?.[1]?.toUpperCase() ?? 'a non-SELECT';
      return { ok: false, kind: 'not_query', message: `the task body is a ${word} statement, not a query` };
    }
    return { ok: false, kind: 'syntax', message };
  }
  const statements = Array.isArray(tree.statements) ? tree.statements : [];
  if (statements.length !== 1) {
    return { ok: false, kind: 'multiple', message: `the task body has ${statements.length} statements` };
  }
  const stmt = statements[0]!;
  const refs: TableRef[] = [];
  const functions = new Set<string>();
  collect(stmt, refs, functions);
  // Files read through table functions are tracked inputs now (lineage/fileReads.ts): no note.
  const notes: string[] = [];
  return {
    ok: true,
    treeHash: sha(JSON.stringify(stripLocations(stmt))),
    refs,
    tableFunctions: [...functions].sort(),
    notes,
    opaque: false,
    facts: treeFacts(sql, stmt, volatile),
  };
}

/** Parses many queries in one DuckDB call (≈65 µs a query instead of a round trip each). */
export async function parseMany(scratch: Scratch, sqls: readonly string[]): Promise<ParseResult[]> {
  if (sqls.length === 0) return [];
  const rows = await scratch.rows(
    `SELECT i::INTEGER, json_serialize_sql(l[i]) FROM (SELECT $1::VARCHAR[] AS l), range(1, len(l) + 1) r(i)`,
    [listValue([...sqls])],
  );
  const volatile = await volatileFunctions(scratch);
  const out = new Array<ParseResult>(sqls.length);
  for (const [i, j] of rows as [number, string][]) out[i - 1] = analyse(sqls[i - 1]!, j, volatile);
  return out;
}
