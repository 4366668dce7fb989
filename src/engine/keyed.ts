import type { DuckDBConnection } from '@duckdb/node-api';
import { RelspecError, errorMessage } from '../errors.js';
import type { Column } from '../lineage/types.js';
import { quoteIdent } from '../util/sql.js';
import { checkContractData, type ContractCheck } from './contracts.js';
import { keyColumn, keyCondition, keyedRows, keyMatch, type KeyInfo } from './keyedSql.js';
import { addToToken, columnSetKey, tokenSelect } from './tokens.js';

/** Where key-scoped refreshes leave their net change rows, one table per output (read by key-scoped consumers). */
export const CHANGES_SCHEMA = 'relspec_changes';
export const changesTable = (output: string): string => `${quoteIdent(CHANGES_SCHEMA)}.${quoteIdent(output)}`;
/** The version of the output the change rows lead to, beside the output's own columns. */
export const CHANGE_VERSION = '_relspec_version';

export interface KeyedWrite {
  conn: DuckDBConnection;
  /** The output table (fully qualified, quoted). */
  target: string;
  /** The output name (the change table's name). */
  output: string;
  /** The task's SQL with its inputs restricted to the changed keys (engine/keyedSql.ts). */
  sql: string;
  keysTable: string;
  /** What the changed keys are like (keyedSql.ts keyInfo): literals filter the scans instead of a join. */
  info?: KeyInfo;
  /** Output key columns, in key order (`k0`, `k1`, … of the keys table). */
  key: readonly string[];
  sets: readonly (readonly string[])[];
  schema: readonly Column[];
  /** The output's tokens before this refresh (its trace), by column-set key. */
  before: Record<string, string>;
  /** The output's evidence version these change rows lead to. */
  version: number;
  contract?: ContractCheck;
  /** The change table's name (default the output; a slice's is its task's). */
  changes?: string;
  /** Where the output's current rows are read (default `target`; a Delta output's snapshot query). */
  oldRows?: string;
  /** A Delta output: commits the fresh rows (temp table name) for the changed keys; called only when some row changed. */
  apply?: (fresh: string) => Promise<void>;
  /**
   * A temp table already holding the output's rows of the changed keys (planRefresh made it while
   * counting them, OLD_TABLE): not read again. Dropped with the refresh.
   */
  oldTable?: string;
  /**
   * False when no key-scoped task reads the change rows (keyedBuild.ts): the two EXCEPT ALL over
   * every column are skipped and the change table is dropped, so a consumer sees no change rows
   * (changes_unknown) rather than stale ones. A Delta output still counts them (it commits only when some row changed).
   */
  changeRows?: boolean;
}

export interface KeyedResult {
  tokens: Record<string, string>;
  /** Row delta (inserted − removed) and key delta (keys present after − before), for the counts. */
  dRows: number;
  dKeys: number;
  /** Rows recomputed (the restricted result) and rows removed. */
  inserted: number;
  removed: number;
  /** Net change rows (written to the change table unless `changeRows` is false; a table output then leaves it absent). */
  changes?: number;
}

/** The connection's temp table of the output's current rows of the changed keys. */
export const OLD_TABLE = '__relspec_old';

const distinctKeys = (rel: string, key: readonly string[]) =>
  `(SELECT count(*) FROM (SELECT DISTINCT ${key.map(quoteIdent).join(', ')} FROM ${rel}))::BIGINT`;

/**
 * A key-scoped refresh in ONE transaction: the output's rows of the changed keys are deleted and
 * the task's result over its inputs restricted to those keys is inserted; a reader on another
 * connection sees the output before or after, never half. Tokens are additive (engine/tokens.ts:
 * counts and hash sums over rows), so the new ones are the old ones minus the removed rows' plus the
 * inserted rows' — never a scan of the whole output. The net change rows (removed EXCEPT ALL
 * inserted, and back) go to the change table, where a key-scoped consumer reads its changed keys.
 */
export async function refreshKeys(w: KeyedWrite): Promise<KeyedResult> {
  const { conn, target, key } = w;
  const info = w.info ?? { hasNull: true };
  const names = w.schema.map((c) => c.name);
  const old = w.oldTable ?? OLD_TABLE;
  const fresh = '__relspec_new';
  const cols = names.map(quoteIdent).join(', ');
  const changes = changesTable(w.changes ?? w.output);
  const net = (a: string, b: string) => `SELECT ${cols} FROM ${a} EXCEPT ALL SELECT ${cols} FROM ${b}`;
  const writeChanges = w.changeRows ?? true;
  // A table output changes in this transaction; a Delta output in its own commit (w.apply).
  const tx = w.apply === undefined;
  if (tx) await conn.run('BEGIN TRANSACTION');
  try {
    const oldRows = w.oldTable
      ? ''
      : `CREATE OR REPLACE TEMP TABLE ${old} AS ${keyedRows(w.oldRows ?? target, '__t', key, w.keysTable, info)};`;
    const changeRows = writeChanges
      ? `CREATE OR REPLACE TABLE ${changes} AS
         SELECT *, 'delete' AS _change_type, ${w.version}::BIGINT AS ${CHANGE_VERSION} FROM (${net(old, fresh)})
         UNION ALL
         SELECT *, 'insert', ${w.version}::BIGINT FROM (${net(fresh, old)});`
      : `DROP TABLE IF EXISTS ${changes};`;
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${fresh} AS\n${w.sql}\n;\n${oldRows}\n${changeRows}`);
    const counted = writeChanges
      ? `(SELECT count(*) FROM ${changes})::BIGINT`
      : w.apply
        ? `(SELECT count(*) FROM ((${net(old, fresh)}) UNION ALL (${net(fresh, old)})))::BIGINT`
        : 'NULL::BIGINT';
    const r = await conn.runAndReadAll(
      `SELECT ${tokenSelect(w.sets, names)}, ${distinctKeys(old, key)}, 0::BIGINT FROM ${old}
       UNION ALL SELECT ${tokenSelect(w.sets, names)}, ${distinctKeys(fresh, key)}, ${counted} FROM ${fresh}`,
    );
    const [removed, inserted] = r.getRows() as unknown[][];
    const last = w.sets.length + 1;
    const nChanges = inserted![last + 1] === null ? undefined : Number(inserted![last + 1]);
    if (w.apply) {
      if (nChanges !== 0) await w.apply(fresh);
    } else {
      await conn.run(
        `${
          info.list
            ? `DELETE FROM ${target} AS __t WHERE ${keyCondition('__t', key, w.keysTable, info)}`
            : `DELETE FROM ${target} AS __t USING ${w.keysTable} AS __k WHERE ${keyMatch('__t', key, '__k', info.hasNull)}`
        };
         INSERT INTO ${target} (${cols}) SELECT ${cols} FROM ${fresh};`,
      );
      if (w.contract) await checkContractData(conn, target, w.contract);
      await conn.run('COMMIT');
    }
    // Only the sets read today, as a full build keeps: a set not moved here would keep the token of the
    // rows before, which a reader of that set added later would take as current (and be cut off by).
    const tokens: Record<string, string> = {};
    w.sets.forEach((s, i) => {
      const k = columnSetKey(s);
      const dCount = BigInt(String(inserted![0])) - BigInt(String(removed![0]));
      const dSum = BigInt(String(inserted![i + 1])) - BigInt(String(removed![i + 1]));
      const next = w.before[k] === undefined ? undefined : addToToken(w.before[k], dCount, dSum);
      if (next === undefined) throw new Error(`no stored token for ${k}`);
      tokens[k] = next;
    });
    return {
      tokens,
      dRows: Number(inserted![0]) - Number(removed![0]),
      dKeys: Number(inserted![last]) - Number(removed![last]),
      inserted: Number(inserted![0]),
      removed: Number(removed![0]),
      ...(nChanges === undefined ? {} : { changes: nChanges }),
    };
  } catch (e) {
    if (tx) await conn.run('ROLLBACK').catch(() => undefined);
    if (e instanceof RelspecError) throw e;
    throw new RelspecError('E_TASK_RUN', `the query failed while refreshing ${w.output} by key: ${errorMessage(e).split('\n')[0]}`, {
      fix: 'fix the query or the input rows it fails on; the previous output is kept and the next run retries',
      cause: e,
    });
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${fresh}; DROP TABLE IF EXISTS ${old};`).catch(() => undefined);
  }
}

/** The keys table from change-row queries, each selecting the key columns as k0, k1, …; returns how many keys. */
export async function collectKeys(conn: DuckDBConnection, keysTable: string, queries: readonly string[]): Promise<number> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${keysTable} AS SELECT DISTINCT * FROM (${queries.join('\nUNION ALL\n')})`);
  const r = await conn.runAndReadAll(`SELECT count(*)::BIGINT FROM ${keysTable}`);
  return Number(r.getRows()[0]![0]);
}

/**
 * Keys in an output for each candidate key, in one scan: counted at a full build, then kept up to
 * date by each refresh's key delta. NULL is a key like any other (count(DISTINCT) skips it).
 */
export async function countKeysMany(conn: DuckDBConnection, target: string, keys: readonly (readonly string[])[]): Promise<number[]> {
  if (keys.length === 0) return [];
  const r = await conn.runAndReadAll(`SELECT ${keyCountSelect(keys).join(', ')} FROM ${target}`);
  return r.getRows()[0]!.map(Number);
}

/** One aggregate per candidate key: its distinct values (NULL counted as one). */
export const keyCountSelect = (keys: readonly (readonly string[])[]): string[] =>
  keys.map((k) =>
    k.length === 1
      ? `(count(DISTINCT ${quoteIdent(k[0]!)}) + coalesce(max((${quoteIdent(k[0]!)} IS NULL)::INT), 0))::BIGINT`
      : `count(DISTINCT row(${k.map(quoteIdent).join(', ')}))::BIGINT`,
  );

export const selectKeys = (rel: string, columns: readonly string[], where = ''): string =>
  `SELECT DISTINCT ${columns.map((c, i) => `${quoteIdent(c)} AS ${keyColumn(i)}`).join(', ')} FROM ${rel}${where ? ` WHERE ${where}` : ''}`;
