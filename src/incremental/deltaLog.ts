import { listLog, type Snapshot } from '../delta/index.js';
import { checkLogFiles, fingerprintLogFile, type LogFileFingerprint, type RewrittenLogFile } from '../delta/logFingerprint.js';

export interface DeltaLogState {
  /** What to store: every consumed log file's fingerprint, as of this observation. */
  logFiles: LogFileFingerprint[];
  /** Consumed files whose bytes changed since they were read. */
  rewritten: RewrittenLogFile[];
  /** `logFiles` differs from what is stored (new files, refreshed signatures, rewrites). */
  changed: boolean;
}

/**
 * The log files a Delta source has consumed, checked against what they were when read
 * (logFingerprint.ts). Consumed means: the commits the pinned snapshot replayed (fingerprinted by
 * the reader itself, of the bytes it parsed), its checkpoint, and the commits after the stored
 * version that the change rows are about to be read from — those are fingerprinted here, before
 * deltaTokens reads them, so a write in between is seen next time rather than lost.
 *
 * Checkpoints count: a parquet checkpoint cannot be half-valid (its footer is written last), but a
 * checkpoint replaced by different bytes is still a changed input; the scan that follows decides
 * whether any projection moved (two writers may legally write equivalent checkpoints).
 */
export async function deltaLogState(
  snap: Snapshot,
  stored: readonly LogFileFingerprint[],
  storedVersion: number | undefined,
): Promise<DeltaLogState> {
  const listing = await listLog(snap.tableDir);
  const check = await checkLogFiles(listing.logDir, stored);
  const byName = new Map(check.kept.map((f) => [f.name, f]));
  const fromSnapshot = new Map((snap.logFiles ?? []).map((f) => [f.name, f]));
  let changed = check.refreshed || check.rewritten.length > 0;
  for (const r of check.rewritten) {
    // The snapshot's own record is of the bytes this run reads; a fresh hash could be of later ones.
    byName.set(r.name, fromSnapshot.get(r.name) ?? (await fingerprintLogFile(listing.logDir, r.name, r.version)));
  }
  const add = async (name: string, version: number): Promise<void> => {
    if (byName.has(name)) return;
    byName.set(name, fromSnapshot.get(name) ?? (await fingerprintLogFile(listing.logDir, name, version)));
    changed = true;
  };
  for (const f of fromSnapshot.values()) await add(f.name, f.version);
  const cp = listing.checkpoints.find((c) => c.version === snap.checkpointVersion);
  for (const f of cp?.files ?? []) await add(f.name, f.version);
  if (storedVersion !== undefined) {
    for (let v = storedVersion + 1; v <= snap.version; v++) {
      const f = listing.commits.get(v);
      if (f) await add(f.name, v);
    }
  }
  const logFiles = [...byName.values()].sort((a, b) => a.version - b.version || a.name.localeCompare(b.name));
  return { logFiles, rewritten: check.rewritten, changed };
}
