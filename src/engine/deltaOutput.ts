import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlName } from '../catalog/names.js';
import { quoteIdent } from '../util/sql.js';
import type { Column } from '../lineage/types.js';
import { createTable, DeltaReadCache, loadSnapshot, removeOrphans, snapshotQuery, writeTable } from '../delta/index.js';
import { tokenSelect, tokensFromRow } from './tokens.js';
import { checkContractData, type ContractCheck } from './contracts.js';

export interface DeltaOutputResult {
  rows: number;
  tokens: Record<string, string>;
  version: number;
  /** What the commit did: the first write, a row-level difference, a full overwrite (with a new schema), or nothing. */
  commit: 'create' | 'difference' | 'overwrite' | 'schema' | 'unchanged';
  changedRows: number;
}

const STAGE = '__relspec_delta_stage';

/**
 * Rows per data file of an output written in the order of its key: a keyed refresh rewrites the
 * file(s) holding the changed keys (copy-on-write, delta/write/prune.ts finds them), so the file
 * size bounds the cost of a small change; much smaller files would make full reads pay per file.
 */
export const DELTA_FILE_ROWS = 65_536;

/** The file layout of an output sorted by `sortBy` (a proven key), or one file per partition. */
const layoutOf = (sortBy: readonly string[] | undefined): { sortBy?: string[]; maxRowsPerFile?: number } =>
  sortBy?.length ? { sortBy: [...sortBy], maxRowsPerFile: DELTA_FILE_ROWS } : {};

/** Where an output's Delta table lives: one directory per output under the outputs directory. */
export const deltaOutputDir = (outputsDir: string, output: string): string => path.join(outputsDir, output);

/**
 * `@materialize delta`: the task's rows become the next version of a Delta table. A rebuild commits
 * only the row-level difference — every row tuple whose multiplicity changed is deleted and its new
 * copies inserted (replace-by-key over all columns, so duplicates stay exact) — with CDF, so
 * consumers outside relspec can follow the table's change feed. When the difference is not smaller
 * than the table, it overwrites. The warehouse then shows the output as a view over the snapshot.
 */
export async function materializeDelta(
  conn: DuckDBConnection,
  outputsDir: string,
  output: string,
  sql: string,
  sets: readonly (readonly string[])[],
  schema: readonly Column[],
  /** Footers and deletion vectors of the table's (immutable) files, kept by the run or the daemon. */
  cache: DeltaReadCache = new DeltaReadCache(),
  /** Points the output's view at the new snapshot (the warehouse does it atomically, replacing a table of that name). */
  replaceView: (query: string) => Promise<void> = (query) =>
    conn.run(`CREATE OR REPLACE VIEW ${sqlName(output)} AS\n${query}`).then(() => undefined),
  /** The task's contract, checked on the staged rows before anything is committed to the table. */
  contract?: ContractCheck,
  /** The key later refreshes replace by (keyedBuild.ts layoutKey): files are written in its order. */
  sortBy?: readonly string[],
): Promise<DeltaOutputResult> {
  const layout = layoutOf(sortBy);
  const dir = deltaOutputDir(outputsDir, output);
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${STAGE} AS\n${sql}\n;`);
  if (contract) {
    try {
      await checkContractData(conn, STAGE, contract);
    } catch (e) {
      // Nothing was committed: the table keeps its version; only the staged rows go.
      await conn.run(`DROP TABLE IF EXISTS ${STAGE}`);
      throw e;
    }
  }
  const staged = (await conn.runAndReadAll(`DESCRIBE ${STAGE}`)).getRows().map(([n, t]) => ({ name: String(n), type: String(t) }));
  const cols = staged.map((c) => quoteIdent(c.name)).join(', ');
  let commit: DeltaOutputResult['commit'] = 'unchanged';
  let changedRows = 0;
  let current = existsSync(path.join(dir, '_delta_log')) ? await loadSnapshot(conn, dir).catch(() => undefined) : undefined;
  const sameSchema =
    current !== undefined &&
    JSON.stringify(
      (await conn.runAndReadAll(`DESCRIBE (${await snapshotQuery(conn, current, { cache })})`)).getRows().map(([n, t]) => [n, t]),
    ) === JSON.stringify(staged.map((c) => [c.name, c.type]));
  if (!current) {
    // First build (or a directory that is no readable table): start the table.
    rmSync(dir, { recursive: true, force: true });
    await createTable(conn, dir, { schema: staged, name: output });
    await writeTable(conn, dir, { mode: 'append', sql: `SELECT * FROM ${STAGE}`, operation: 'WRITE', ...layout });
    commit = 'create';
  } else if (!sameSchema) {
    // The columns changed: the next version of the same table (same id, history and time travel
    // kept) holds the new schema and the rewritten rows in one commit (writer/evolve.ts).
    await writeTable(conn, dir, {
      mode: 'overwrite',
      schema: staged,
      sql: `SELECT * FROM ${STAGE}`,
      operation: 'CREATE OR REPLACE TABLE AS SELECT',
      ...layout,
    });
    commit = 'schema';
    const counted = `SELECT (SELECT count(*) FROM (${await snapshotQuery(conn, current, { cache })})) + (SELECT count(*) FROM ${STAGE})`;
    changedRows = Number((await conn.runAndReadAll(counted)).getRows()[0]![0]);
  } else {
    const old = `(${await snapshotQuery(conn, current, { cache })})`;
    const diff = `SELECT DISTINCT * FROM ((SELECT ${cols} FROM ${old} EXCEPT ALL SELECT ${cols} FROM ${STAGE}) UNION ALL (SELECT ${cols} FROM ${STAGE} EXCEPT ALL SELECT ${cols} FROM ${old}))`;
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${STAGE}_diff AS ${diff}`);
    const [[nDiff]] = (await conn.runAndReadAll(`SELECT count(*) FROM ${STAGE}_diff`)).getRows();
    if (Number(nDiff) > 0) {
      // NULL-safe tuple membership: a row-value IN would drop tuples containing NULLs.
      const member = `EXISTS (SELECT 1 FROM ${STAGE}_diff d WHERE ${staged.map((c) => `d.${quoteIdent(c.name)} IS NOT DISTINCT FROM t.${quoteIdent(c.name)}`).join(' AND ')})`;
      const inDiff = (rel: string) => `SELECT count(*) FROM ${rel} t WHERE ${member}`;
      const [[a]] = (await conn.runAndReadAll(inDiff(old))).getRows();
      const [[b]] = (await conn.runAndReadAll(inDiff(STAGE))).getRows();
      const [[size]] = (await conn.runAndReadAll(`SELECT count(*) FROM ${old}`)).getRows();
      changedRows = Number(a) + Number(b);
      if (changedRows < Number(size)) {
        await writeTable(conn, dir, {
          mode: 'replace',
          keys: staged.map((c) => c.name),
          deleteKeysSql: `SELECT * FROM ${STAGE}_diff`,
          sql: `SELECT * FROM ${STAGE} t WHERE ${member}`,
          operation: 'MERGE',
          ...layout,
        });
        commit = 'difference';
      } else {
        await writeTable(conn, dir, { mode: 'overwrite', sql: `SELECT * FROM ${STAGE}`, operation: 'WRITE', ...layout });
        commit = 'overwrite';
      }
    }
  }
  // Every commit sweeps the files of killed writes first (writer/orphans.ts); a rebuild that
  // commits nothing (the killed build had the same rows) sweeps too, or they would stay.
  if (commit === 'unchanged') await removeOrphans(conn, current!);
  current = await loadSnapshot(conn, dir);
  const query = await snapshotQuery(conn, current, { inlineRowsLimit: Infinity, cache });
  await replaceView(query);
  const r = await conn.runAndReadAll(
    `SELECT ${tokenSelect(
      sets,
      schema.map((c) => c.name),
    )} FROM ${sqlName(output)}`,
  );
  const { rows, tokens } = tokensFromRow(r.getRows()[0]!, sets, schema);
  await conn.run(`DROP TABLE IF EXISTS ${STAGE}; DROP TABLE IF EXISTS ${STAGE}_diff;`);
  return { rows, tokens, version: current.version, commit, changedRows };
}

/**
 * A key-scoped refresh of a Delta output (engine/keyed.ts refreshKeys): its current rows, and the
 * commit of the changed keys' rows — one MERGE deleting every row of those keys (NULL-safe) and
 * inserting their new rows, so the commit (and its CDF) holds only those rows; then the view moves.
 */
export async function deltaKeyedWrite(
  conn: DuckDBConnection,
  outputsDir: string,
  output: string,
  keysTable: string,
  key: readonly string[],
  cache: DeltaReadCache,
  replaceView: (query: string) => Promise<void>,
): Promise<{ oldRows: string; apply: (fresh: string) => Promise<void> }> {
  const dir = deltaOutputDir(outputsDir, output);
  const current = await loadSnapshot(conn, dir);
  return {
    oldRows: `(${await snapshotQuery(conn, current, { cache })})`,
    apply: async (fresh) => {
      await writeTable(conn, dir, {
        mode: 'replace',
        keys: [...key],
        deleteKeysSql: `SELECT * FROM ${keysTable}`,
        sql: `SELECT * FROM ${fresh}`,
        operation: 'MERGE',
        ...layoutOf(key),
      });
      const snap = await loadSnapshot(conn, dir);
      await replaceView(await snapshotQuery(conn, snap, { inlineRowsLimit: Infinity, cache }));
    },
  };
}
