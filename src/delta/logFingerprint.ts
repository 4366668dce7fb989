import path from 'node:path';
import { hashFileContent, statFile } from '../util/fileStat.js';

/**
 * Fingerprints of the log files a reader consumed. the Delta protocol says log entries are immutable
 * (**Delta Log Entries**; "Writers MUST never overwrite an existing log entry"), but a copy in
 * progress or a non-atomic writer can show a commit half-written: every line valid, the add
 * actions there, the remove actions not yet. Taking that as version N and trusting the version
 * number afterwards keeps a stale snapshot forever. So every commit (and checkpoint) file read is
 * remembered as size + content hash, with its stat signature so that checking it again is one
 * stat (docs/ARCHITECTURE.md "Change detection for files"); only a moved signature is hashed again.
 */
export interface LogFileFingerprint {
  /** File name inside `_delta_log/`. */
  name: string;
  version: number;
  size: number;
  /** `statFile` signature taken before the bytes were read: a write after the read still moves it. */
  signature: string;
  hash: string;
}

/** A consumed log file whose bytes differ from what was read before. */
export interface RewrittenLogFile {
  name: string;
  version: number;
  from: { size: number; hash: string };
  to: { size: number; hash: string };
}

/** Stat, then hash: a write landing in between moves the signature, so the next check hashes again. */
export async function fingerprintLogFile(logDir: string, name: string, version: number): Promise<LogFileFingerprint> {
  const file = path.join(logDir, name);
  const st = await statFile(file);
  return { name, version, size: st.size, signature: st.signature, hash: await hashFileContent(file) };
}

export interface LogFileCheck {
  /** The stored fingerprints still valid, with refreshed signatures; gone files dropped. */
  kept: LogFileFingerprint[];
  /** Files whose bytes changed since they were read, oldest version first. */
  rewritten: RewrittenLogFile[];
  /** Some kept signature moved over the same bytes (`cp -p`, `touch`): worth storing again. */
  refreshed: boolean;
}

/**
 * Re-checks stored fingerprints. A file that is gone is not a change: **Metadata Cleanup** may
 * delete commits and checkpoints older than the retention, and the versions after them are still
 * described by a checkpoint. A file whose signature moved is hashed; a different hash is a rewrite.
 */
export async function checkLogFiles(logDir: string, stored: readonly LogFileFingerprint[]): Promise<LogFileCheck> {
  const kept: LogFileFingerprint[] = [];
  const rewritten: RewrittenLogFile[] = [];
  let refreshed = false;
  for (const fp of stored) {
    let now: LogFileFingerprint;
    try {
      const st = await statFile(path.join(logDir, fp.name));
      if (st.signature === fp.signature) {
        kept.push(fp);
        continue;
      }
      now = await fingerprintLogFile(logDir, fp.name, fp.version);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    if (now.hash === fp.hash && now.size === fp.size) {
      kept.push(now);
      refreshed = true;
    } else {
      rewritten.push({
        name: fp.name,
        version: fp.version,
        from: { size: fp.size, hash: fp.hash },
        to: { size: now.size, hash: now.hash },
      });
    }
  }
  rewritten.sort((a, b) => a.version - b.version || a.name.localeCompare(b.name));
  return { kept, rewritten, refreshed };
}
