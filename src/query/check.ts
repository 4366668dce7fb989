import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { RelspecError, errorMessage } from '../errors.js';

const FIX = 'relspec query runs one read-only query: SELECT, WITH, FROM-first or VALUES';

/**
 * The query, prepared — never run — after DuckDB's own parser found exactly one statement and its
 * binder typed it a SELECT (WITH, FROM-first and VALUES are SELECTs to DuckDB). Anything else is an
 * E_QUERY error naming what was refused; preparing executes nothing, so nothing has changed.
 */
export async function prepareReadOnly(conn: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  if (sql.trim() === '') throw new RelspecError('E_QUERY', 'the query is empty', { fix: FIX });
  let extracted;
  try {
    extracted = await conn.extractStatements(sql);
  } catch (e) {
    throw new RelspecError('E_QUERY', `the query does not parse: ${firstLine(e)}`, { fix: FIX });
  }
  if (extracted.count !== 1) {
    throw new RelspecError('E_QUERY', `refused: ${extracted.count} statements`, { fix: `${FIX}; send them one at a time` });
  }
  // Parse-only check first: binding some statements already acts (EXPORT DATABASE creates its
  // directory), and DuckDB rewrites PRAGMA into a SELECT before the binder types it.
  if (!(await parsesAsSelect(conn, sql))) {
    throw new RelspecError('E_QUERY', `refused: ${refusedKeyword(sql) ?? 'a non-SELECT'} statement`, { fix: FIX });
  }
  let prepared: DuckDBPreparedStatement;
  try {
    prepared = await extracted.prepare(0);
  } catch (e) {
    const refused = refusedKeyword(sql);
    if (refused) throw new RelspecError('E_QUERY', `refused: ${refused} statement`, { fix: FIX });
    throw new RelspecError('E_QUERY', `the query failed: ${firstLine(e)}`, {
      fix: 'name sources and outputs as tasks do (see `relspec status`)',
    });
  }
  // The binder's verdict too: a SELECT to the parser that binds as something else is refused.
  if (prepared.statementType !== StatementType.SELECT) {
    const name = refusedKeyword(sql) ?? StatementType[prepared.statementType] ?? 'a non-SELECT';
    prepared.destroySync();
    throw new RelspecError('E_QUERY', `refused: ${name} statement`, { fix: FIX });
  }
  return prepared;
}

/** json_serialize_sql parses without binding and serializes SELECT statements only (errors as data, not a throw). */
async function parsesAsSelect(conn: DuckDBConnection, sql: string): Promise<boolean> {
  const r = await conn.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
  const tree = JSON.parse(String(r.getRows()[0]![0])) as { error?: boolean };
  return tree.error !== true;
}

/** A statement DuckDB would not even bind (ATTACH of a missing file, COPY to a bad path) is still refused by its kind. */
function refusedKeyword(sql: string): string | undefined {
  const word = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*([a-z_]+)/i.exec(sql)?.[1]?.toUpperCase();
  return word && !['SELECT', 'WITH', 'FROM', 'VALUES', 'TABLE', 'SUMMARIZE', 'DESCRIBE', 'SHOW', '('].includes(word) ? word : undefined;
}

const firstLine = (e: unknown) => errorMessage(e).split('\n')[0]!;
