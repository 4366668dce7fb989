import { createHash } from 'node:crypto';
import { createReadStream, statSync, type BigIntStats } from 'node:fs';
import { stat } from 'node:fs/promises';

/**
 * A file's stat signature: size, mtime and ctime in nanoseconds, inode and device (docs/ARCHITECTURE.md,
 * "Change detection for files"). mtime alone is not enough: `cp -p`, `rsync -t`, `tar x` and `touch -r`
 * put an old mtime back on new bytes. ctime cannot be set from user space, so any of those moves it; an
 * atomic save (write a temp file, rename it over) moves the inode. When any part of the signature moved,
 * the content hash decides whether the file changed.
 */
export type StatSignature = string;

export interface StatSnapshot {
  size: number;
  mtimeMs: number;
  signature: StatSignature;
}

const snapshotOf = (st: BigIntStats): StatSnapshot => ({
  size: Number(st.size),
  mtimeMs: Number(st.mtimeNs / 1_000_000n),
  signature: `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}:${st.dev}`,
});

/** The stat signature of a path (follows symlinks, as the readers do). */
export async function statFile(path: string): Promise<StatSnapshot> {
  return snapshotOf(await stat(path, { bigint: true }));
}

/** `statFile` for synchronous callers (the code extractor's file cache); `isFile` spares a second stat. */
export function statFileSync(path: string): StatSnapshot & { isFile: boolean } {
  const st = statSync(path, { bigint: true });
  return { ...snapshotOf(st), isFile: st.isFile() };
}

/** Feeds a file's bytes into a running hash. */
export async function hashInto(path: string, h: ReturnType<typeof createHash>): Promise<void> {
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
}

/** sha256 of a file's bytes, hex, 24 characters (the width of relspec's other content hashes). */
export async function hashFileContent(path: string): Promise<string> {
  const h = createHash('sha256');
  await hashInto(path, h);
  return h.digest('hex').slice(0, 24);
}
