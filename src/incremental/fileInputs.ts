import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { GraphTask } from '../graph/index.js';
import { listingKey } from '../lineage/taskFiles.js';
import { hashFileContent, statFile } from '../util/fileStat.js';
import type { Db } from '../state/db.js';
import type { Cause } from '../records/types.js';

/** The token of a file that is not there: a change like any other (the task then fails, naming it). */
export const MISSING = 'missing';

/**
 * Content hashes of the files tasks read through table functions, by the same rule as sources
 * (docs/ARCHITECTURE.md "Change detection for files"): the stat signature (size, mtime and ctime ns, inode,
 * device) is compared with the last one seen; only when it moved is the content hashed. Signatures
 * persist in `file_stats`, so a file nobody touched is never hashed again, across runs and restarts.
 */
export class FileBook {
  private readonly known = new Map<string, { signature: string; hash: string }>();
  private readonly seen = new Map<string, string>();
  private readonly dirty = new Map<string, { signature: string; hash: string }>();

  constructor(private readonly db: Db) {
    for (const r of db.prepare('SELECT path, signature, hash FROM file_stats').iterate() as Iterable<{
      path: string;
      signature: string;
      hash: string;
    }>) {
      this.known.set(r.path, { signature: r.signature, hash: r.hash });
    }
  }

  /** The file's content hash now, or MISSING. Asked once per run per path (tasks share files). */
  async token(path: string): Promise<string> {
    const cached = this.seen.get(path);
    if (cached !== undefined) return cached;
    let token = MISSING;
    try {
      const st = await statFile(path);
      const old = this.known.get(path);
      if (old && old.signature === st.signature) token = old.hash;
      else {
        token = await hashFileContent(path);
        const entry = { signature: st.signature, hash: token };
        this.known.set(path, entry);
        this.dirty.set(path, entry);
      }
    } catch {
      token = MISSING;
    }
    this.seen.set(path, token);
    return token;
  }

  /** Writes the signatures learnt in this run (one transaction). */
  flush(): void {
    if (this.dirty.size === 0) return;
    const st = this.db.prepare('INSERT OR REPLACE INTO file_stats (path, signature, hash) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      for (const [p, e] of this.dirty) st.run(p, e.signature, e.hash);
    })();
    this.dirty.clear();
  }
}

/** Every file input of a task now: each listed file's content hash, and each `glob()` listing's hash. */
export async function currentFiles(task: GraphTask, book: FileBook): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of task.files ?? []) {
    if (f.fn === 'glob') {
      const listed = f.glob ? f.paths : f.paths.filter((p) => existsSync(p));
      out[listingKey(f.abs)] = createHash('sha256').update(listed.join('\0')).digest('hex').slice(0, 24);
      continue;
    }
    for (const p of f.paths) out[p] = await book.token(p);
  }
  return out;
}

/** One cause per file whose token differs from the build's (added to or dropped from a glob included). */
export function fileCauses(before: Record<string, string>, now: Record<string, string>): Cause[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])].sort();
  return keys
    .filter((k) => before[k] !== now[k])
    .map((path) => ({ kind: 'file_changed', path, from: before[path] ?? null, to: now[path] ?? null }));
}
