import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { RelspecError, errorMessage } from '../errors.js';

/** What a refused statement is called in the error: DuckDB's own statement type, in words. */
const NAMES: Partial<Record<StatementType, string>> = {
  [StatementType.INSERT]: 'INSERT',
  [StatementType.UPDATE]: 'UPDATE',
  [StatementType.DELETE]: 'DELETE',
  [StatementType.CREATE]: 'CREATE',
  [StatementType.CREATE_FUNC]: 'CREATE FUNCTION',
  [StatementType.ALTER]: 'ALTER',
  [StatementType.DROP]: 'DROP',
  [StatementType.COPY]: 'COPY',
  [StatementType.COPY_DATABASE]: 'COPY DATABASE',
  [StatementType.EXPORT]: 'EXPORT',
  [StatementType.ATTACH]: 'ATTACH',
  [StatementType.DETACH]: 'DETACH',
  [StatementType.PRAGMA]: 'PRAGMA',
  [StatementType.SET]: 'SET',
  [StatementType.VARIABLE_SET]: 'SET VARIABLE',
  [StatementType.CALL]: 'CALL',
  [StatementType.EXPLAIN]: 'EXPLAIN',
  [StatementType.TRANSACTION]: 'a transaction statement',
  [StatementType.PREPARE]: 'PREPARE',
  [StatementType.EXECUTE]: 'EXECUTE',
  [StatementType.VACUUM]: 'VACUUM',
  [StatementType.ANALYZE]: 'ANALYZE',
  [StatementType.LOAD]: 'LOAD',
  [StatementType.EXTENSION]: 'INSTALL',
  [StatementType.UPDATE_EXTENSIONS]: 'UPDATE EXTENSIONS',
};

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
  if (prepared.statementType !== StatementType.SELECT) {
    const name = NAMES[prepared.statementType] ?? `a ${StatementType[prepared.statementType] ?? 'non-SELECT'} statement`;
    prepared.destroySync();
    throw new RelspecError('E_QUERY', `refused: ${name.includes(' ') ? name : `${name} statement`}`, { fix: FIX });
  }
  return prepared;
}

/** A statement DuckDB would not even bind (ATTACH of a missing file, COPY to a bad path) is still refused by its kind. */
function refusedKeyword(sql: string): string | undefined {
  const word = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*([a-z_]+)/i.exec(sql)?.[1]?.toUpperCase();
  return word && !['SELECT', 'WITH', 'FROM', 'VALUES', 'TABLE', 'SUMMARIZE', 'DESCRIBE', 'SHOW', '('].includes(word) ? word : undefined;
}

const firstLine = (e: unknown) => errorMessage(e).split('\n')[0]!;
