import { randomUUID } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckType, type DeltaField, type StructType } from '../schema.js';
import { deltaError, firstLine, type Where } from '../util.js';
import { naiveAsUtc, quoteIdent } from '../../util/sql.js';

/**
 * Staging the rows of a write: the caller's SELECT is run once into a TEMP table on the caller's
 * connection, its columns matched to the table's by name and cast to the table types, so every
 * later step (partition listing, file writes, change rows, counts) sees the same rows.
 */

/** A set of TEMP tables private to one write, dropped by `drop()`. */
export class TempTables {
  private readonly names: string[] = [];
  // Unique without a process-wide counter: TEMP tables are per connection, and a connection may be shared.
  private readonly prefix = `__relspec_delta_w${randomUUID().replace(/-/g, '').slice(0, 16)}`;

  constructor(private readonly conn: DuckDBConnection) {}

  name(role: string): string {
    const n = `temp.main.${quoteIdent(`${this.prefix}_${role}`)}`;
    this.names.push(n);
    return n;
  }

  async drop(): Promise<void> {
    for (const n of this.names.splice(0)) await this.conn.run(`DROP TABLE IF EXISTS ${n}`).catch(() => undefined);
  }
}

/** A caller's SELECT, usable as a subquery (a trailing `;` would end the statement). */
export const subquery = (sql: string): string => `(${sql.trim().replace(/;+\s*$/, '')}\n)`;

export async function run(conn: DuckDBConnection, w: Where, what: string, sql: string): Promise<unknown[][]> {
  try {
    return (await conn.runAndReadAll(sql)).getRows() as unknown[][];
  } catch (e) {
    throw deltaError(w, `${what}: ${firstLine(e)}`, undefined, e);
  }
}

export async function countRows(conn: DuckDBConnection, w: Where, relation: string): Promise<number> {
  const [[n]] = await run(conn, w, 'cannot count rows', `SELECT count(*) FROM ${relation}`);
  return Number(n);
}

/** Converts a query column to the table type; naive timestamps become UTC instants, as the reader does. */
function convert(ref: string, from: string, f: DeltaField): string {
  const target = duckType(f.type);
  if (from === target) return ref;
  return (target === 'TIMESTAMP WITH TIME ZONE' ? naiveAsUtc(ref, from) : undefined) ?? `CAST(${ref} AS ${target})`;
}

/**
 * The SELECT list that maps the columns of `query` onto `fields`, by name (exact, else a unique
 * case-insensitive match); positionally when `positional` and the names do not all match.
 */
export async function projectQuery(
  conn: DuckDBConnection,
  w: Where,
  what: string,
  query: string,
  fields: readonly DeltaField[],
  positional = false,
): Promise<string[]> {
  const described = await run(conn, w, `invalid ${what}`, `DESCRIBE SELECT * FROM ${subquery(query)} AS __q`);
  const cols = described.map((r) => ({ name: String(r[0]), type: String(r[1]) }));
  const find = (name: string): { name: string; type: string } | undefined => {
    const exact = cols.find((c) => c.name === name);
    if (exact) return exact;
    const loose = cols.filter((c) => c.name.toLowerCase() === name.toLowerCase());
    return loose.length === 1 ? loose[0] : undefined;
  };
  let matched = fields.map((f) => find(f.name));
  if (matched.some((m) => !m) && positional && cols.length === fields.length) matched = cols;
  const missing = fields.filter((_, i) => !matched[i]);
  if (missing.length) {
    throw deltaError(
      w,
      `the ${what} does not return column(s) ${missing.map((f) => f.name).join(', ')} (it returns ${cols.map((c) => c.name).join(', ')})`,
      'return exactly the table columns, by name',
    );
  }
  const used = new Set(matched.map((m) => m!.name));
  const extra = cols.filter((c) => !used.has(c.name));
  if (extra.length) {
    throw deltaError(
      w,
      `the ${what} returns column(s) ${extra.map((c) => c.name).join(', ')} that the table does not have`,
      'schema evolution is not supported: return exactly the table columns',
    );
  }
  return fields.map((f, i) => `${convert(`__q.${quoteIdent(matched[i]!.name)}`, matched[i]!.type, f)} AS ${quoteIdent(f.name)}`);
}

/** Runs the write's SELECT into TEMP table `name` with the table's columns and types; returns its row count. */
export async function stageRows(conn: DuckDBConnection, w: Where, schema: StructType, sql: string, name: string): Promise<number> {
  const select = await projectQuery(conn, w, 'write query', sql, schema.fields);
  await run(conn, w, 'the write query failed', `CREATE TEMP TABLE ${name} AS SELECT ${select.join(', ')} FROM ${subquery(sql)} AS __q`);
  const required = schema.fields.filter((f) => !f.nullable);
  if (required.length) {
    const [counts] = await run(
      conn,
      w,
      'cannot check NOT NULL columns',
      `SELECT ${required.map((f) => `count(*) FILTER (WHERE ${quoteIdent(f.name)} IS NULL)`).join(', ')} FROM ${name}`,
    );
    const bad = required.filter((_, i) => Number(counts[i]) > 0);
    if (bad.length) throw deltaError(w, `the write query returns NULL in non-nullable column(s) ${bad.map((f) => f.name).join(', ')}`);
  }
  return countRows(conn, w, name);
}

/** Stages the distinct key tuples to delete: those of the new rows, plus those of `deleteKeysSql`. */
export async function stageKeys(
  conn: DuckDBConnection,
  w: Where,
  keyFields: readonly DeltaField[],
  rows: string,
  deleteKeysSql: string | undefined,
  name: string,
): Promise<number> {
  const cols = keyFields.map((f) => quoteIdent(f.name)).join(', ');
  let sql = `SELECT ${cols} FROM ${rows}`;
  if (deleteKeysSql !== undefined) {
    const select = await projectQuery(conn, w, 'deleteKeysSql query', deleteKeysSql, keyFields, true);
    sql += `\nUNION\nSELECT ${select.join(', ')} FROM ${subquery(deleteKeysSql)} AS __q`;
  }
  // UNION removes duplicates and, like DISTINCT, treats NULLs as equal.
  await run(conn, w, 'the deleteKeysSql query failed', `CREATE TEMP TABLE ${name} AS SELECT DISTINCT * FROM (${sql})`);
  return countRows(conn, w, name);
}

/** Null-safe key match of alias `t` against the staged keys. */
export const keyMatch = (t: string, keys: string, keyFields: readonly DeltaField[]): string =>
  `EXISTS (SELECT 1 FROM ${keys} AS __k WHERE ${keyFields.map((f) => `${t}.${quoteIdent(f.name)} IS NOT DISTINCT FROM __k.${quoteIdent(f.name)}`).join(' AND ')})`;
