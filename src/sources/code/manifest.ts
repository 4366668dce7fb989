/**
 * The sidecar of a code source (`<state>/code/<source>/manifest.json`): what the Delta tables hold,
 * per file. It survives restarts, so a one-shot `relspec run` knows which files changed since the
 * facts were committed (stat signature, then sha) and what each file's facts depended on (the
 * extractor's baseline), without extracting the code base again.
 *
 * It is only a cache of the tables: each table's entry records the Delta version it describes, and
 * a table whose version differs (a crash between commit and manifest write, another writer) is
 * rewritten from a full extraction. A missing or unreadable manifest means the same for all tables.
 */
import { readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ImportRow } from '../../code/types.js';
import { statFileSync } from '../../util/fileStat.js';
import { CODE_TABLES, type CodeTable } from './tables.js';

export const MANIFEST_FORMAT = 1;

/** A table's facts for one file: hash of its rows (sorted, as JSON) and their count. */
export interface FileFacts {
  hash: string;
  rows: number;
}

export interface ManifestFile {
  size: number;
  mtimeMs: number;
  /** Stat signature (fileStat.ts) of the bytes `sha` describes; absent in manifests of older relspecs. */
  signature?: string;
  sha: string;
  facts: Partial<Record<CodeTable, FileFacts>>;
  /** The extractor's baseline for this file. */
  imports: ImportRow[];
  targets: string[];
  global: boolean;
  surface?: string;
}

export interface LastSync {
  at: string;
  ms: number;
  mode: 'full' | 'incremental';
  extracted: number;
  added: string[];
  removed: string[];
  modified: string[];
}

export interface Manifest {
  format: number;
  /** Extraction root and glob: another one invalidates everything. */
  identity: string;
  /** Delta version each table is at after relspec's last commit to it. */
  tables: Partial<Record<CodeTable, number>>;
  files: Record<string, ManifestFile>;
  /** The entry_points table's rows (./entryPoints.ts), which are not per file. */
  entryPoints?: FileFacts;
  last?: LastSync;
}

export const manifestPath = (sourceDir: string): string => path.join(sourceDir, 'manifest.json');

export function emptyManifest(identity: string): Manifest {
  return { format: MANIFEST_FORMAT, identity, tables: {}, files: {} };
}

/**
 * The manifest each source directory was last written with, held by a long-lived owner (the warm
 * extractors) so a watch step does not parse and re-read the whole file (every file's import rows)
 * twice per step. An entry is used only while the file still carries the stat signature of that
 * write; anything else (another writer, a restore) reads the disk again.
 */
export class ManifestCache {
  private readonly byDir = new Map<string, { signature: string; manifest: Manifest }>();

  /**
   * The manifest last written to `sourceDir`, if the file is still that write. `take` removes it: the
   * caller mutates it and must write it back (writeManifest) for it to be cached again, so a step that
   * fails half-way never leaves a mutated object standing in for the file.
   */
  get(sourceDir: string, take: boolean): Manifest | undefined {
    const hit = this.byDir.get(sourceDir);
    if (!hit) return undefined;
    const current = signatureOf(manifestPath(sourceDir)) === hit.signature;
    if (take || !current) this.byDir.delete(sourceDir);
    return current ? hit.manifest : undefined;
  }

  /** Records `m` as the content of `sourceDir`'s manifest as written just now. */
  set(sourceDir: string, m: Manifest): void {
    const signature = signatureOf(manifestPath(sourceDir));
    if (signature === undefined) this.byDir.delete(sourceDir);
    else this.byDir.set(sourceDir, { signature, manifest: m });
  }
}

function signatureOf(file: string): string | undefined {
  try {
    return statFileSync(file).signature;
  } catch {
    return undefined;
  }
}

/**
 * The manifest, or undefined when absent, unreadable, of another format or another identity.
 * `cache`: served from there when it holds the file's last write (`take`: see ManifestCache.get).
 */
export function readManifest(sourceDir: string, identity: string, cache?: { from: ManifestCache; take: boolean }): Manifest | undefined {
  const hit = cache?.from.get(sourceDir, cache.take);
  if (hit) return hit.identity === identity ? hit : undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath(sourceDir), 'utf8'));
  } catch {
    return undefined;
  }
  const m = raw as Partial<Manifest> | null;
  if (
    !m ||
    m.format !== MANIFEST_FORMAT ||
    m.identity !== identity ||
    typeof m.files !== 'object' ||
    m.files === null ||
    typeof m.tables !== 'object' ||
    m.tables === null
  ) {
    return undefined;
  }
  return m as Manifest;
}

/** Written to a temp file and renamed: a reader (or a crash) never sees half a manifest. */
export function writeManifest(sourceDir: string, m: Manifest, cache?: ManifestCache): void {
  mkdirSync(sourceDir, { recursive: true });
  const file = manifestPath(sourceDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(m));
  renameSync(tmp, file);
  cache?.set(sourceDir, m);
}

/** Rows per table over all files (what the tables hold). */
export function tableRows(m: Manifest): Record<CodeTable, number> {
  const out = Object.fromEntries(CODE_TABLES.map((t) => [t, 0])) as Record<CodeTable, number>;
  for (const f of Object.values(m.files)) for (const t of CODE_TABLES) out[t] += f.facts[t]?.rows ?? 0;
  out.entry_points = m.entryPoints?.rows ?? 0;
  return out;
}
