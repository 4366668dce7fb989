import type { DuckDBConnection } from '@duckdb/node-api';
import { addToToken, columnSetKey, signedTokenSelect, tokenSelect, tokensFromRow } from '../engine/tokens.js';
import { errorMessage } from '../errors.js';
import type { Column } from '../lineage/types.js';
import { snapshotQuery, tableChanges, type DeltaReadCache, type Snapshot } from '../delta/index.js';
import { commitFiles } from '../sources/code/commitFiles.js';
import type { DeltaCommitSummary } from '../records/types.js';

export interface DeltaTokens {
  tokens: Record<string, string>;
  commits: DeltaCommitSummary[];
  /** Column-set keys whose projection changed. */
  changed: Set<string>;
  fallback?: string;
  /** Rows read to decide (change rows, or the full snapshot on fallback). */
  rowsRead: number;
}

/**
 * New tokens of a Delta source after it moved from `from` to the snapshot's version, reading only
 * the change rows of commits from+1..to: each token gains the signed count and hash sum of the
 * changes over its columns, so a projection is unchanged iff both are 0 — an update of an unread
 * column, OPTIMIZE (dataChange=false) or a MERGE rewriting equal values change nothing. Where the
 * change rows cannot be read (vacuumed files, a schema change inside the range) or a token is not
 * known yet, the snapshot is scanned and the fallback recorded.
 */
export async function deltaTokens(
  conn: DuckDBConnection,
  snapshot: Snapshot,
  from: number | undefined,
  old: Record<string, string>,
  sets: readonly string[][],
  schema: readonly Column[],
  /** Scan the snapshot even where change rows could be read, for this reason (a rewritten commit, a schema change). */
  rescan?: string,
  /** The run's Delta footers and deletion vectors (the project's). */
  cache?: DeltaReadCache,
): Promise<DeltaTokens> {
  const names = schema.map((c) => c.name);
  const known = from !== undefined && sets.every((s) => old[columnSetKey(s)] !== undefined);
  let fallback: string | undefined = from === undefined ? undefined : (rescan ?? (known ? undefined : 'first time these columns are read'));
  const commits: DeltaCommitSummary[] = [];
  if (from !== undefined && from < snapshot.version) {
    try {
      const ch = await tableChanges(conn, snapshot.tableDir, from + 1, snapshot.version, { requireChangeDataFeed: false, cache });
      const counts = await conn.runAndReadAll(
        `SELECT _commit_version::BIGINT, _change_type, count(*)::BIGINT FROM (${ch.sql}) GROUP BY ALL`,
      );
      for (const c of ch.commits) {
        const zero = { insert: 0, delete: 0, update_preimage: 0, update_postimage: 0 };
        const files = commitFiles(c.parameters);
        commits.push({ version: c.version, timestamp: c.timestamp, operation: c.operation, counts: zero, ...(files ? { files } : {}) });
      }
      let rowsRead = 0;
      for (const [v, type, n] of counts.getRows() as [bigint, keyof DeltaCommitSummary['counts'], bigint][]) {
        const c = commits.find((x) => x.version === Number(v));
        if (c && type in c.counts) c.counts[type] = Number(n);
        rowsRead += Number(n);
      }
      if (known && rescan === undefined) {
        const r = await conn.runAndReadAll(`SELECT ${signedTokenSelect(sets, names)} FROM (${ch.sql})`);
        const row = r.getRows()[0]!;
        const tokens: Record<string, string> = { ...old };
        const changed = new Set<string>();
        sets.forEach((s, i) => {
          const key = columnSetKey(s);
          const dCount = BigInt(String(row[0]));
          const dSum = BigInt(String(row[i + 1]));
          const next = addToToken(old[key]!, dCount, dSum);
          if (next === undefined) return;
          tokens[key] = next;
          if (dCount !== 0n || dSum !== 0n) changed.add(key);
        });
        if (Object.keys(tokens).length >= sets.length && sets.every((s) => tokens[columnSetKey(s)] !== undefined)) {
          return { tokens, commits, changed, rowsRead };
        }
        fallback = 'a stored token could not be extended';
      }
    } catch (e) {
      fallback = `change rows unreadable (${errorMessage(e).split('\n')[0]}); scanned the snapshot`;
    }
  }
  const sql = await snapshotQuery(conn, snapshot, { cache });
  const r = await conn.runAndReadAll(`SELECT ${tokenSelect(sets, names)} FROM (${sql})`);
  const { tokens, rows } = tokensFromRow(r.getRows()[0]!, sets, schema);
  const changed = new Set(sets.map(columnSetKey).filter((k) => old[k] !== tokens[k]));
  return { tokens: { ...old, ...tokens }, commits, changed, fallback, rowsRead: rows };
}
