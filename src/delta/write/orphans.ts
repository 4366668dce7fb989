import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { readCheckpoint } from '../checkpoint.js';
import { listLog, readCommit } from '../log.js';
import type { Snapshot } from '../read/snapshot.js';
import { mapLimit, resolveDataPath, type Where } from '../util.js';
import { fileOwner } from './owner.js';

/**
 * Removing the data files of writes that never committed (a killed or failed write leaves its
 * part files behind: nothing references them, nothing ever will). Run at the start of each write.
 *
 * This is not VACUUM: a file some retained version references is always kept — a removed file is
 * still read by time travel to the versions before its removal, a checkpoint's tombstones are kept
 * for VACUUM, cdc files serve the change feed. Only a parquet file under the table directory (data
 * files and `_change_data/`; `_delta_log/` is never touched) that no commit and no checkpoint
 * names can go, and only when no running writer may still commit it:
 *  - its name carries a writer tag (owner.ts) of this host whose process is gone: a dead writer
 *    commits nothing more (the lock per state directory keeps one relspec per project, but two
 *    projects, or the API, may write one table: the pid, not the lock, is the owner);
 *  - or, for a file without a usable tag (another engine, another host, an older relspec), it is
 *    older than the table's `delta.deletedFileRetentionDuration` (default 7 days), the window
 *    VACUUM leaves to "uncommitted files ... still in use by concurrent writers".
 * Order matters: owners are checked before the log is listed, so a writer that committed and then
 * exited is seen in the listing; one still alive keeps its files whatever the listing says.
 * With a truncated log (**Metadata Cleanup**), a file older than the oldest log file left may have
 * been referenced by a commit that is gone: kept, unless past the retention like VACUUM would.
 */

const DAY = 86_400_000;
const UNITS: Record<string, number> = { second: 1000, minute: 60_000, hour: 3_600_000, day: DAY, week: 7 * DAY };

/** `interval 7 days`, `interval 168 hours` (Spark's CalendarInterval text); 7 days otherwise. */
export function retentionMs(config: Record<string, string>): number {
  const m = /^\s*interval\s+(\d+)\s+(second|minute|hour|day|week)s?\s*$/i.exec(config['delta.deletedFileRetentionDuration'] ?? '');
  return m ? Number(m[1]) * UNITS[m[2]!.toLowerCase()]! : 7 * DAY;
}

async function parquetFiles(dir: string, top: boolean, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return; // a partition directory removed meanwhile
  }
  for (const e of entries) {
    if (top && e.name === '_delta_log') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await parquetFiles(p, false, out);
    else if (e.isFile() && e.name.endsWith('.parquet')) out.push(p);
  }
}

/** Every data, cdc and removed file path a retained commit or checkpoint names, decoded. */
async function referenced(conn: DuckDBConnection, table: string): Promise<{ paths: Set<string>; oldestLogMs: number; truncated: boolean }> {
  const listing = await listLog(table);
  const paths = new Set<string>();
  const versions = [...listing.commits.keys()].sort((a, b) => a - b);
  const sets = await mapLimit(versions, 16, (v) => readCommit(listing, v));
  sets.forEach((set, i) => {
    const w: Where = { table, version: versions[i] };
    for (const a of [...set.adds, ...set.removes, ...set.cdcs]) paths.add(resolveDataPath(table, a.path, w));
  });
  const truncated = listing.earliestCommit !== 0;
  let oldestLogMs = Infinity;
  if (truncated) {
    for (const cp of listing.checkpoints) {
      const set = await readCheckpoint(conn, listing, cp);
      const w: Where = { table, version: cp.version };
      for (const a of [...set.adds, ...set.removes]) paths.add(resolveDataPath(table, a.path, w));
      for (const f of cp.files) oldestLogMs = Math.min(oldestLogMs, (await stat(f.path)).mtimeMs);
    }
    for (const f of listing.commits.values()) oldestLogMs = Math.min(oldestLogMs, (await stat(f.path)).mtimeMs);
  }
  return { paths, oldestLogMs, truncated };
}

/** Deletes the orphaned data files of `snap`'s table (see above); returns their paths. */
export async function removeOrphans(conn: DuckDBConnection, snap: Snapshot, now = Date.now()): Promise<string[]> {
  const table = snap.tableDir;
  const live = new Set(snap.files.map((f) => f.absPath));
  const all: string[] = [];
  await parquetFiles(table, true, all);
  const retention = retentionMs(snap.configuration);
  const candidates: { file: string; mtimeMs: number; expired: boolean }[] = [];
  for (const file of all) {
    if (live.has(file)) continue;
    const mtimeMs = await stat(file).then(
      (s) => s.mtimeMs,
      () => undefined,
    );
    if (mtimeMs === undefined) continue;
    const expired = mtimeMs < now - retention;
    const owner = fileOwner(path.basename(file));
    if (owner === 'dead' || (owner === 'unknown' && expired)) candidates.push({ file, mtimeMs, expired });
  }
  if (!candidates.length) return [];
  let refs: Awaited<ReturnType<typeof referenced>>;
  try {
    refs = await referenced(conn, table);
  } catch {
    // A log entry this sweep cannot read (an old commit the snapshot did not need): without every
    // reference nothing is provably an orphan, so nothing is deleted and the write goes on.
    return [];
  }
  const removed: string[] = [];
  for (const c of candidates) {
    if (refs.paths.has(c.file)) continue;
    if (refs.truncated && c.mtimeMs < refs.oldestLogMs && !c.expired) continue;
    try {
      await unlink(c.file);
      removed.push(c.file);
    } catch {
      // Gone already, or not ours to delete: the next write tries again; the write itself goes on.
    }
  }
  return removed.sort();
}
