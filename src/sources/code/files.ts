/**
 * The files of a code source and which of them changed since the manifest: the stat signature first
 * (size, mtime and ctime in ns, inode, device: `cp -p` or `tar x` keep size and mtime, never ctime),
 * then the sha of the bytes (a touched file with the same content is not a change).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { glob } from 'tinyglobby';
import type { ResolvedSource } from '../../config/types.js';
import type { Manifest } from './manifest.js';
import { statFileSync } from '../../util/fileStat.js';
import { splitSourceGlob } from '../globParts.js';

const posix = (p: string): string => p.split(path.sep).join('/');

/**
 * The extraction root: the config directory, so fact paths read like the repository's
 * (`src/x.ts`) and its tsconfig.json applies — unless the glob's static base lies outside it, in
 * which case the base is the root.
 */
export function codeRoot(source: ResolvedSource, configRoot: string): string {
  // The config's directory is a name, not a pattern (`proj [1]/src/**/*.ts`): globParts.ts.
  const base = path.resolve(splitSourceGlob(source.path, configRoot).base);
  const rel = path.relative(configRoot, base);
  return rel.startsWith('..') || path.isAbsolute(rel) ? base : configRoot;
}

export interface ListedFile {
  rel: string;
  size: number;
  mtimeMs: number;
  signature: string;
}

/**
 * The source's files, relative to `root` with forward slashes, sorted. Dependency folders and
 * relspec's own state never count as code, whatever the glob says.
 */
export async function listCodeFiles(source: ResolvedSource, root: string, exclude: readonly string[]): Promise<ListedFile[]> {
  const parts = splitSourceGlob(source.path, root);
  const found = parts.isGlob
    ? await glob(parts.pattern, {
        cwd: parts.base,
        absolute: true,
        onlyFiles: true,
        expandDirectories: false,
        ignore: ['**/node_modules/**', '**/.git/**'],
      })
    : [source.path];
  const inside = (dir: string, p: string) => p === dir || p.startsWith(dir + path.sep);
  const out: ListedFile[] = [];
  for (const abs of found) {
    const p = path.normalize(abs);
    if (exclude.some((d) => inside(d, p))) continue;
    let st: ReturnType<typeof statFileSync>;
    try {
      st = statFileSync(p);
    } catch {
      continue; // deleted between the glob and the stat: not part of this run
    }
    out.push({ rel: posix(path.relative(root, p)), size: st.size, mtimeMs: st.mtimeMs, signature: st.signature });
  }
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

export interface FileChanges {
  added: string[];
  removed: string[];
  modified: string[];
  /** Files whose stat signature moved but whose bytes did not: the manifest takes the new stat. */
  touched: Map<string, { size: number; mtimeMs: number; signature: string }>;
}

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** What changed since the manifest; `undefined` manifest: every file is added. */
export function diffFiles(listed: readonly ListedFile[], root: string, manifest: Manifest | undefined): FileChanges {
  const ch: FileChanges = { added: [], removed: [], modified: [], touched: new Map() };
  const now = new Set(listed.map((f) => f.rel));
  for (const f of listed) {
    const old = manifest?.files[f.rel];
    if (!old) {
      ch.added.push(f.rel);
      continue;
    }
    // A manifest written before signatures were kept has none: the file counts as moved, the sha decides.
    if (old.signature !== undefined && old.signature === f.signature) continue;
    let sha: string;
    try {
      sha = sha256(readFileSync(path.join(root, f.rel)));
    } catch {
      ch.modified.push(f.rel); // unreadable now: let the extractor decide (it drops vanished files)
      continue;
    }
    if (sha === old.sha) ch.touched.set(f.rel, { size: f.size, mtimeMs: f.mtimeMs, signature: f.signature });
    else ch.modified.push(f.rel);
  }
  for (const rel of Object.keys(manifest?.files ?? {})) if (!now.has(rel)) ch.removed.push(rel);
  ch.removed.sort();
  return ch;
}
