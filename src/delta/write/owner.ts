import { createHash } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Who wrote a data file: every file this writer creates carries a writer tag in its name,
 * `w<host>x<pid>` (host: 8 hex digits of the host name's hash), so the orphan sweep
 * (orphans.ts) can tell the leftovers of a dead writer from the files of one still writing.
 * "Data files MUST be uniquely named" (**Data Files**): the tag sits next to a random UUID.
 */

const hostTag = (): string => createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** This process's writer tag. */
export const writerTag = (): string => `w${hostTag()}x${process.pid}`;

const TAG = /-w([0-9a-f]{8})x(\d+)\.parquet$/;

/** Whether this writer (any relspec process, any host) created the file `name` (its tag; prune.ts trusts its string maxima). */
export const taggedFile = (name: string): boolean => TAG.test(name);

export type Owner = 'alive' | 'dead' | 'unknown';

/**
 * Whether the writer that created `name` is running: `unknown` without a tag (another engine, an
 * older relspec) or for another host, where a pid says nothing. A reused pid reads `alive`: the
 * file is kept until that process is gone too, which errs on the safe side.
 */
export function fileOwner(name: string): Owner {
  const m = TAG.exec(name);
  if (!m || m[1] !== hostTag()) return 'unknown';
  const pid = Number(m[2]);
  if (pid === process.pid) return 'alive';
  try {
    process.kill(pid, 0);
    return 'alive';
  } catch (e) {
    // EPERM: the process exists, it belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'ESRCH' ? 'dead' : 'alive';
  }
}
