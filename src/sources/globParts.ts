import { statSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';

/**
 * A source glob as a literal directory plus a pattern below it. A source's `path` is written relative
 * to the config's directory and resolved to an absolute glob; the config's directory is a *name*, not
 * a pattern, so a project living in `proj [1] é/` must not have its `[1]` read as a character class
 * (tinyglobby and picomatch would match `proj 1 é/` too, or instead). Only the part the user wrote is
 * a pattern. A glob reaching outside the config's directory (`../x/*.csv`, an absolute path) is split
 * at its static base, as globbing libraries do.
 */
export interface GlobParts {
  /** A directory taken literally. */
  base: string;
  /** A posix glob relative to `base`; '' when the source path has no glob characters. */
  pattern: string;
  isGlob: boolean;
}

const posix = (p: string): string => p.split(path.sep).join('/');

export function splitSourceGlob(absGlob: string, root: string): GlobParts {
  const rel = path.relative(root, absGlob);
  const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  const scan = picomatch.scan(posix(inside ? rel : absGlob));
  if (!scan.isGlob || namesAFile(absGlob)) return { base: path.dirname(absGlob), pattern: '', isGlob: false };
  const base = inside ? path.join(root, scan.base) : scan.base === '' ? '/' : path.normalize(scan.base);
  return { base, pattern: scan.glob, isGlob: true };
}

/**
 * `data/a[1].csv` where a file of exactly that name exists is that file, not a character class:
 * only for paths whose sole glob syntax is brackets (a `*`, `?` or brace is always a pattern).
 */
function namesAFile(absGlob: string): boolean {
  if (/[*?{}]/.test(absGlob)) return false;
  try {
    return statSync(absGlob).isFile();
  } catch {
    return false;
  }
}

/** `p` is `dir` or below it (both absolute, normalized). */
export const isInside = (dir: string, p: string): boolean => p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
