import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ActionSet } from './actions.js';
import { createHash } from 'node:crypto';
import { statFile } from '../util/fileStat.js';
import type { LogFileFingerprint } from './logFingerprint.js';
import { parseJsonLines } from './parse.js';
import { deltaError, firstLine, type Where } from './util.js';

/**
 * Listing `_delta_log/` (Delta protocol, **Delta Log Entries**, **Checkpoints**, **Last Checkpoint File**).
 * Only names matching the anchored patterns below are log entries. Everything else is ignored:
 * `.crc` version checksums, Hadoop `.*.crc`, `*.tmp` files of in-flight writers, macOS `._*`
 * AppleDouble files, log compactions (optional for readers), `_staged_commits/` (catalog-managed
 * tables only: "Delta clients should not attempt to directly interpret the contents").
 * `_last_checkpoint` is not read at all: it is only a hint to avoid listing ("may be corrupt"), and
 * a local listing is cheap, so the listing is always the truth.
 */
const COMMIT = /^(\d{20})\.json$/;
const CLASSIC = /^(\d{20})\.checkpoint\.parquet$/;
const MULTI_PART = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/;
const V2 = /^(\d{20})\.checkpoint\.([^.]+)\.(json|parquet)$/;

export interface LogFile {
  name: string;
  path: string;
  version: number;
}

export interface CheckpointEntry {
  version: number;
  kind: 'classic' | 'multipart' | 'v2';
  /** All files of the checkpoint (several only for multi-part). */
  files: LogFile[];
  format: 'parquet' | 'json';
}

export interface LogListing {
  tableDir: string;
  logDir: string;
  commits: Map<number, LogFile>;
  /** Usable checkpoints (multi-part ones only with every part present), newest first. */
  checkpoints: CheckpointEntry[];
  /** Highest version that a commit or a checkpoint describes. */
  latestVersion: number;
  /** Lowest commit version present (undefined when the log holds only checkpoints). */
  earliestCommit?: number;
  /** Multi-part checkpoints with missing parts (ignored), for error messages. */
  incompleteCheckpoints?: { version: number; parts: number; present: number }[];
}

function parseVersion(digits: string, where: Where): number {
  const v = Number(digits);
  if (!Number.isSafeInteger(v)) throw deltaError(where, `log version ${digits} is too large`);
  return v;
}

export async function listLog(tableDir: string): Promise<LogListing> {
  const table = path.resolve(tableDir);
  const logDir = path.join(table, '_delta_log');
  let names: string[];
  try {
    names = await readdir(logDir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw deltaError(
        { table },
        'not a Delta table: no _delta_log directory',
        'point the source at the table root (the directory that contains _delta_log/)',
      );
    }
    throw deltaError({ table, file: logDir }, `cannot list the Delta log: ${firstLine(e)}`);
  }
  const w: Where = { table, file: logDir };
  const commits = new Map<number, LogFile>();
  const multi = new Map<string, { version: number; parts: number; files: Map<number, LogFile> }>();
  const checkpoints: CheckpointEntry[] = [];
  for (const name of names) {
    const file = (version: number): LogFile => ({ name, path: path.join(logDir, name), version });
    let m: RegExpExecArray | null;
    if ((m = COMMIT.exec(name))) {
      const v = parseVersion(m[1], w);
      commits.set(v, file(v));
    } else if ((m = CLASSIC.exec(name))) {
      const v = parseVersion(m[1], w);
      checkpoints.push({ version: v, kind: 'classic', files: [file(v)], format: 'parquet' });
    } else if ((m = MULTI_PART.exec(name))) {
      const v = parseVersion(m[1], w);
      const part = Number(m[2]);
      const parts = Number(m[3]);
      if (part < 1 || part > parts) continue;
      const key = `${v}/${parts}`;
      const g = multi.get(key) ?? { version: v, parts, files: new Map() };
      g.files.set(part, file(v));
      multi.set(key, g);
    } else if ((m = V2.exec(name))) {
      const v = parseVersion(m[1], w);
      checkpoints.push({ version: v, kind: 'v2', files: [file(v)], format: m[3] as 'json' | 'parquet' });
    }
  }
  // "readers must ignore multi-part checkpoints with missing parts" (**Checkpoints**).
  const incomplete: { version: number; parts: number; present: number }[] = [];
  for (const g of multi.values()) {
    if (g.files.size !== g.parts) {
      incomplete.push({ version: g.version, parts: g.parts, present: g.files.size });
      continue;
    }
    const files = [...g.files.entries()].sort((a, b) => a[0] - b[0]).map(([, f]) => f);
    checkpoints.push({ version: g.version, kind: 'multipart', files, format: 'parquet' });
  }
  // Newest first; at equal versions prefer v2 (self-describing), then classic, then multi-part.
  const rank = { v2: 0, classic: 1, multipart: 2 } as const;
  checkpoints.sort((a, b) => b.version - a.version || rank[a.kind] - rank[b.kind] || a.files[0].name.localeCompare(b.files[0].name));
  // A loop, not Math.max(...): a long log would overflow the argument list.
  let latest = -1;
  let earliest: number | undefined;
  for (const v of commits.keys()) {
    if (v > latest) latest = v;
    if (earliest === undefined || v < earliest) earliest = v;
  }
  if (checkpoints.length && checkpoints[0].version > latest) latest = checkpoints[0].version;
  if (latest < 0) {
    throw deltaError(
      { table, file: logDir },
      'the Delta log holds no commits and no checkpoints',
      'the table was never committed, or its log was deleted',
    );
  }
  return {
    tableDir: table,
    logDir,
    commits,
    checkpoints,
    latestVersion: latest,
    earliestCommit: earliest,
    ...(incomplete.length ? { incompleteCheckpoints: incomplete.sort((a, b) => b.version - a.version) } : {}),
  };
}

/**
 * Reads and parses commit `version`; a missing file is an E_DELTA error naming the version. With
 * `seen`, the fingerprint of the bytes actually parsed goes there (stat taken before the read, see
 * logFingerprint.ts): hashing the file later could see a completed commit the parse never saw.
 */
export async function readCommit(listing: LogListing, version: number, seen?: Map<number, LogFileFingerprint>): Promise<ActionSet> {
  const f = listing.commits.get(version);
  const w: Where = {
    table: listing.tableDir,
    version,
    file: f?.path ?? path.join(listing.logDir, `${String(version).padStart(20, '0')}.json`),
  };
  if (!f) throw missingCommit(listing, version);
  let text: string;
  try {
    const st = seen ? await statFile(f.path) : undefined;
    const bytes = await readFile(f.path);
    if (st)
      seen!.set(version, {
        name: f.name,
        version,
        size: bytes.length,
        signature: st.signature,
        hash: createHash('sha256').update(bytes).digest('hex').slice(0, 24),
      });
    text = bytes.toString('utf8');
  } catch (e) {
    throw deltaError(w, `cannot read commit ${version}: ${firstLine(e)}`);
  }
  const set = parseJsonLines(text, w);
  // "A single log entry MUST NOT include more than one action that reconciles with each other" and
  // at most one metaData and one protocol (**Delta Log Entries**).
  if (set.metaData.length > 1)
    throw deltaError(w, `commit ${version} holds ${set.metaData.length} metaData actions (at most one is allowed)`);
  if (set.protocol.length > 1)
    throw deltaError(w, `commit ${version} holds ${set.protocol.length} protocol actions (at most one is allowed)`);
  return set;
}

export function missingCommit(listing: LogListing, version: number): Error {
  const name = `${String(version).padStart(20, '0')}.json`;
  return deltaError(
    { table: listing.tableDir, version, file: path.join(listing.logDir, name) },
    `commit ${version} is missing from the Delta log (${name} not found)`,
    'the log is incomplete (truncated by metadata cleanup, or partially copied); read a version covered by a checkpoint, or restore the missing commit',
  );
}
