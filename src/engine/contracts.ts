import type { DuckDBConnection } from '@duckdb/node-api';
import { contractError, contractProblems } from '../catalog/contractCheck.js';
import type { OutputContract } from '../catalog/types.js';
import { RelspecError } from '../errors.js';
import { quoteIdent } from '../util/sql.js';

/** What the build checks a task's rows against, and the task it names in the error. */
export interface ContractCheck {
  task: string;
  file?: string;
  contract: OutputContract;
}

const SAMPLE = 3;
const SAMPLE_CHARS = 200;

const clip = (s: string): string => (s.length > SAMPLE_CHARS ? `${s.slice(0, SAMPLE_CHARS)}…` : s);

async function sample(conn: DuckDBConnection, sql: string): Promise<string> {
  const rows = (await conn.runAndReadAll(sql)).getRows();
  return rows.map(([j]) => clip(String(j))).join(', ');
}

/**
 * After a build, inside its transaction: the relation's columns against the contract, then NOT NULL
 * (rows with a NULL per column) and unique keys (keys seen more than once; NULLs count as equal).
 * A violation throws E_CONTRACT with the counts and up to 3 sample rows as JSON (sorted, so the
 * message is stable); the caller rolls back, so the previous output stands.
 */
export async function checkContractData(conn: DuckDBConnection, relation: string, check: ContractCheck): Promise<void> {
  const { contract } = check;
  const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`))
    .getRows()
    .map(([n, t]) => ({ name: String(n), type: String(t) }));
  const schemaError = contractError({ name: check.task, file: check.file ?? '' }, contractProblems(check, described), '(built output)');
  if (schemaError) throw schemaError;
  const byLower = new Map(described.map((c) => [c.name.toLowerCase(), c.name]));
  const col = (name: string) => quoteIdent(byLower.get(name.toLowerCase()) ?? name);
  const problems: string[] = [];
  const notNull = (contract.columns ?? []).filter((c) => c.notNull);
  if (notNull.length > 0) {
    const counts = (
      await conn.runAndReadAll(`SELECT ${notNull.map((c) => `count(*) FILTER (WHERE ${col(c.name)} IS NULL)`).join(', ')} FROM ${relation}`)
    ).getRows()[0]!;
    for (const [i, c] of notNull.entries()) {
      const n = Number(counts[i]);
      if (n === 0) continue;
      const eg = await sample(
        conn,
        `SELECT to_json(t)::VARCHAR FROM ${relation} t WHERE ${col(c.name)} IS NULL ORDER BY 1 LIMIT ${SAMPLE}`,
      );
      problems.push(`${n} row${n === 1 ? '' : 's'} with NULL ${c.name} (e.g. ${eg})`);
    }
  }
  for (const key of contract.unique ?? []) {
    const cols = key.map(col).join(', ');
    const dup = `SELECT ${cols}, count(*) AS "count" FROM ${relation} GROUP BY ALL HAVING count(*) > 1`;
    const [[n]] = (await conn.runAndReadAll(`SELECT count(*) FROM (${dup})`)).getRows() as [[bigint]];
    if (Number(n) === 0) continue;
    const eg = await sample(conn, `SELECT to_json(d)::VARCHAR FROM (${dup}) d ORDER BY 1 LIMIT ${SAMPLE}`);
    problems.push(
      `${Number(n)} duplicate ${key.length > 1 ? `(${key.join(', ')}) keys` : `${key[0]} value${Number(n) === 1 ? '' : 's'}`} (e.g. ${eg})`,
    );
  }
  if (problems.length === 0) return;
  throw new RelspecError('E_CONTRACT', `contract: ${problems.join('; ')}`, {
    ...(check.file ? { file: check.file } : {}),
    fix: `fix the query or its input rows (task ${check.task}); the previous output is kept and its consumers wait`,
  });
}
