import { createHash } from 'node:crypto';
import type { Project } from '../project/load.js';
import type { ObservedSource } from '../sources/index.js';
import { hashFileContent } from '../util/fileStat.js';
import { mapLimit } from '../delta/util.js';
import type { EvidenceRow, SourceFileTuple } from '../state/store.js';
import type { RootChange } from '../records/types.js';

/**
 * A file source's change detection (docs/ARCHITECTURE.md "Change detection for files"): the stat signature of every
 * listed file (size, mtime and ctime in ns, inode, device) is the cheap check; when any part of it moved
 * — `cp -p`, `rsync -t`, `tar x` and `touch -r` keep size and mtime but not ctime — that file is hashed
 * and its content decides. Per-file hashes are kept in the evidence, so only moved files are read.
 */
export interface FileSourceObservation {
  /** A new version (with its root change), or only a new signature (touched, same bytes). */
  evidence: EvidenceRow;
  change?: RootChange;
}

/** What the reader sees: the source's format and options are part of its identity. */
function readerIdentity(project: Project, name: string): string {
  const s = project.config.sources[name]!;
  return JSON.stringify([s.format, s.path, s.options]);
}

export function filesSignature(project: Project, src: ObservedSource): string {
  const h = createHash('sha256').update(readerIdentity(project, src.name));
  for (const f of src.files) h.update(`\0${f.path}\0${f.signature}`);
  return h.digest('hex').slice(0, 24);
}

/** Per-file content hashes: the stored one where the signature did not move, the bytes' where it did. */
async function fileHashes(src: ObservedSource, old: EvidenceRow | undefined): Promise<string[]> {
  const before = new Map((old?.files ?? []).map((t) => [t[0], t]));
  return mapLimit(src.files, 8, async (f) => {
    const o = before.get(f.path);
    if (o && o[3] === f.signature && o[4]) return o[4];
    // Gone since it was listed: not these bytes, whatever they were. The next run lists it no more.
    return hashFileContent(f.path).catch(() => `unreadable@${f.signature}`);
  });
}

function contentHash(project: Project, src: ObservedSource, hashes: readonly string[]): string {
  const h = createHash('sha256').update(readerIdentity(project, src.name));
  src.files.forEach((f, i) => h.update(`\0${f.path}\0${hashes[i]}`));
  return h.digest('hex').slice(0, 24);
}

const tuples = (src: ObservedSource, hashes: readonly string[]): SourceFileTuple[] =>
  src.files.map((f, i) => [f.path, f.size, f.mtimeMs, f.signature, hashes[i]!]);

/** Files added, removed, and modified (bytes changed; a legacy row without a hash: signature moved). */
function diffFiles(
  old: EvidenceRow,
  src: ObservedSource,
  hashes: readonly string[],
): { added: string[]; removed: string[]; modified: string[] } {
  const before = new Map((old.files ?? []).map((t) => [t[0], t]));
  const now = new Map(src.files.map((f, i) => [f.path, { sig: f.signature, hash: hashes[i]! }]));
  const modified = (p: string): boolean => {
    const o = before.get(p)!;
    const n = now.get(p)!;
    return o[4] ? o[4] !== n.hash : o[3] !== n.sig;
  };
  return {
    added: [...now.keys()].filter((p) => !before.has(p)),
    removed: [...before.keys()].filter((p) => !now.has(p)),
    modified: [...now.keys()].filter((p) => before.has(p) && modified(p)),
  };
}

/** Nothing moved: undefined. Otherwise the evidence to write and, when the bytes changed, the root change. */
export async function observeFileSource(
  project: Project,
  src: ObservedSource,
  old: EvidenceRow | undefined,
): Promise<FileSourceObservation | undefined> {
  const sig = filesSignature(project, src);
  const prev = old && old.kind === 'source' ? old : undefined;
  if (prev && prev.filesSig === sig) return undefined;
  const hashes = await fileHashes(src, prev);
  const content = contentHash(project, src, hashes);
  if (prev && prev.contentHash === content) {
    // Touched, not changed (same bytes): remember the new signature so we do not hash again.
    return { evidence: { ...prev, filesSig: sig, files: tuples(src, hashes) } };
  }
  const path = project.config.sources[src.name]!.path;
  const version = (prev?.version ?? 0) + 1;
  const id = `source:${src.name}@${version}:${content.slice(0, 8)}`;
  const change: RootChange = prev
    ? {
        id,
        kind: 'source_changed',
        source: src.name,
        path,
        fromVersion: prev.version,
        toVersion: version,
        files: diffFiles(prev, src, hashes),
      }
    : { id, kind: 'source_added', source: src.name, path, toVersion: version };
  return {
    change,
    evidence: {
      name: src.name,
      kind: 'source',
      version,
      schema: src.schema,
      schemaFp: null,
      tokens: {},
      filesSig: sig,
      contentHash: content,
      changeId: id,
      updatedRun: null,
      files: tuples(src, hashes),
    },
  };
}
