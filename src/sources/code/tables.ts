/**
 * The Delta tables a `code` source keeps under the state directory — the five fact tables the
 * extractor fills per file, and `entry_points` (./entryPoints.ts) — their columns, and how rows get
 * into DuckDB (an appender into a scratch table, which the Delta writer then
 * reads with a SELECT).
 */
import path from 'node:path';
import { LIST, VARCHAR, listValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { quoteIdent } from '../../util/sql.js';
import type { ColumnSpec } from '../../delta/index.js';
import type { Facts } from '../../code/types.js';
import type { EntryPointRow } from './entryPoints.js';

/** The tables of extracted facts, replaced per file. */
export const FACT_TABLES = ['files', 'symbols', 'references', 'calls', 'imports'] as const;
export type FactTable = (typeof FACT_TABLES)[number];
export const CODE_TABLES = [...FACT_TABLES, 'entry_points'] as const;
export type CodeTable = (typeof CODE_TABLES)[number];

type Kind = 'str' | 'str?' | 'int' | 'bool' | 'strs';
interface Col {
  name: string;
  kind: Kind;
}

const SPAN: Col[] = [
  { name: 'start_line', kind: 'int' },
  { name: 'start_col', kind: 'int' },
  { name: 'end_line', kind: 'int' },
  { name: 'end_col', kind: 'int' },
];

/** Column order = the row types in ../code/types.ts and ./entryPoints.ts (documented there). */
const COLUMNS: Record<CodeTable, Col[]> = {
  files: [
    { name: 'path', kind: 'str' },
    { name: 'language', kind: 'str' },
    { name: 'size', kind: 'int' },
    { name: 'sha', kind: 'str' },
    { name: 'lines', kind: 'int' },
    { name: 'syntax_errors', kind: 'int' },
  ],
  symbols: [
    { name: 'id', kind: 'str' },
    { name: 'path', kind: 'str' },
    { name: 'kind', kind: 'str' },
    { name: 'name', kind: 'str' },
    { name: 'qualified_name', kind: 'str' },
    ...SPAN,
    { name: 'exported', kind: 'bool' },
    { name: 'parent_id', kind: 'str?' },
  ],
  references: [
    { name: 'symbol', kind: 'str?' },
    { name: 'name', kind: 'str' },
    { name: 'path', kind: 'str' },
    ...SPAN,
    { name: 'role', kind: 'str' },
    { name: 'resolved', kind: 'bool' },
  ],
  calls: [
    { name: 'caller', kind: 'str' },
    { name: 'callee', kind: 'str?' },
    { name: 'callee_name', kind: 'str' },
    { name: 'path', kind: 'str' },
    ...SPAN,
    { name: 'resolved', kind: 'bool' },
    { name: 'external', kind: 'bool' },
  ],
  imports: [
    { name: 'path', kind: 'str' },
    { name: 'module', kind: 'str' },
    { name: 'resolved_path', kind: 'str?' },
    { name: 'names', kind: 'strs' },
    { name: 'aliases', kind: 'strs' },
    { name: 'kind', kind: 'str' },
    { name: 'type_only', kind: 'bool' },
  ],
  entry_points: [
    { name: 'path', kind: 'str' },
    { name: 'package', kind: 'str' },
    { name: 'package_name', kind: 'str?' },
    { name: 'field', kind: 'str' },
    { name: 'subpath', kind: 'str?' },
    { name: 'target', kind: 'str' },
  ],
};

const DUCK_TYPE: Record<Kind, string> = { str: 'VARCHAR', 'str?': 'VARCHAR', int: 'INTEGER', bool: 'BOOLEAN', strs: 'VARCHAR[]' };

/** The table's columns as the Delta writer takes them (non-null where the extractor never emits null). */
export function tableColumns(table: CodeTable): ColumnSpec[] {
  return COLUMNS[table].map((c) => ({ name: c.name, type: DUCK_TYPE[c.kind], nullable: c.kind === 'str?' || c.kind === 'strs' }));
}

/** The table's columns as lineage and the graph see them (`{ name, type }`). */
export function tableSchema(table: CodeTable): { name: string; type: string }[] {
  return COLUMNS[table].map((c) => ({ name: c.name, type: DUCK_TYPE[c.kind] }));
}

/** `<state>/code/<source>/<table>`: relspec's own state, ignored by the watcher like the rest of it. */
export const codeSourceDir = (stateDir: string, source: string): string => path.join(stateDir, 'code', source);
export const codeTableDir = (stateDir: string, source: string, table: CodeTable): string =>
  path.join(codeSourceDir(stateDir, source), table);

/** The dataset name tasks use: `<source>.<table>` (DuckDB schema = the source name). */
export const codeDataset = (source: string, table: CodeTable): string => `${source}.${table}`;

export type FactRow = Facts[FactTable][number] | EntryPointRow;

function append(a: DuckDBAppender, kind: Kind, v: unknown): void {
  if (v === null || v === undefined) return a.appendNull();
  switch (kind) {
    case 'str':
    case 'str?':
      return a.appendVarchar(String(v));
    case 'int':
      return a.appendInteger(Number(v));
    case 'bool':
      return a.appendBoolean(Boolean(v));
    case 'strs':
      return a.appendList(listValue((v as string[]).map(String)), LIST(VARCHAR));
  }
}

/**
 * Creates (or replaces) the TEMP table `name` (private to the connection, so several tables can be
 * staged at once on different connections) with the table's columns and appends `rows` to it.
 * Returns its qualified name, for `SELECT * FROM …`.
 */
export async function stageRows(conn: DuckDBConnection, name: string, table: CodeTable, rows: readonly FactRow[]): Promise<string> {
  const cols = COLUMNS[table];
  const q = `temp.main.${quoteIdent(name)}`;
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE ${quoteIdent(name)} (${cols.map((c) => `${quoteIdent(c.name)} ${DUCK_TYPE[c.kind]}`).join(', ')})`,
  );
  if (rows.length === 0) return q;
  const a = await conn.createAppender(name, 'main', 'temp');
  try {
    for (const r of rows) {
      const rec = r as unknown as Record<string, unknown>;
      for (const c of cols) append(a, c.kind, rec[c.name]);
      a.endRow();
    }
    a.flushSync();
  } finally {
    a.closeSync();
  }
  return q;
}
