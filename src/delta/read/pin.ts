import { stat } from 'node:fs/promises';
import type { LogListing } from '../log.js';
import { readCommit } from '../log.js';
import { parseIsoTimestamp } from '../../util/isoTime.js';
import { RelspecError, type ErrorCode } from '../../errors.js';
import { mapLimit } from '../util.js';
import { commitTimestamp } from './timestamp.js';

/**
 * Time travel: which version a pin names, and whether this log can still produce it. The reader
 * does not know about configs, so the caller names the pin (`sources.items.options.version`, or
 * `--version`) and the code its errors carry (E_CONFIG for a config's pin: editing it is the fix).
 */
export interface Pin {
  name: string;
  code: ErrorCode;
}

const pinError = (listing: LogListing, pin: Pin, message: string, fix: string): RelspecError =>
  new RelspecError(pin.code, message, { file: listing.tableDir, fix });

export interface VersionRange {
  /** Oldest version whose state the retained log (commit 0, or a checkpoint and every later commit) rebuilds. */
  first: number;
  latest: number;
}

/** Oldest reconstructible version: the lowest starting point (commit 0 or a checkpoint) with every later commit present. */
export function retainedRange(listing: LogListing): VersionRange | undefined {
  const latest = listing.latestVersion;
  const starts = [...(listing.commits.has(0) ? [0] : []), ...listing.checkpoints.map((c) => c.version)].sort((a, b) => a - b);
  for (const s of starts) {
    let ok = true;
    for (let v = s + 1; v <= latest && ok; v++) ok = listing.commits.has(v);
    if (ok) return { first: s, latest };
  }
  return starts.length ? { first: starts[0], latest } : undefined;
}

const rangeText = (r: VersionRange | undefined): string => (r ? `versions ${r.first} to ${r.latest}` : 'no reconstructible version');

/** Checks that `version` is one the retained log rebuilds; the error names the range and the pin to edit. */
export function checkPinnedVersion(listing: LogListing, version: number, pin: Pin): void {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw pinError(listing, pin, `${pin.name} is ${String(version)}: versions are non-negative integers`, `set ${pin.name} to e.g. 0`);
  }
  const r = retainedRange(listing);
  if (version > listing.latestVersion) {
    throw pinError(
      listing,
      pin,
      `${pin.name} ${version} is past the latest version ${listing.latestVersion} of Delta table ${listing.tableDir} (available: ${rangeText(r)})`,
      `set ${pin.name} to a version between ${r?.first ?? 0} and ${listing.latestVersion}`,
    );
  }
  if (r && version < r.first) {
    throw pinError(
      listing,
      pin,
      `${pin.name} ${version} is before the oldest version the retained log of Delta table ${listing.tableDir} rebuilds (available: ${rangeText(r)}; older commits were removed by metadata cleanup)`,
      `set ${pin.name} to a version between ${r.first} and ${r.latest}`,
    );
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Commit timestamps of the retained commits from `first` on. In-Commit Timestamps are used where
 * they apply (commitTimestamp); file modification times otherwise, made strictly increasing as
 * Delta's own history manager does ("if the timestamps are not monotonically increasing, adjust"),
 * so a copy that reset mtimes still resolves every instant to one version.
 */
async function retainedStamps(listing: LogListing, first: number): Promise<{ version: number; timestamp: number }[]> {
  const versions = [...listing.commits.keys()].sort((a, b) => a - b);
  const sets = await mapLimit(versions, 16, (v) => readCommit(listing, v));
  const mtimes = await mapLimit(versions, 32, async (v) => (await stat(listing.commits.get(v)!.path)).mtimeMs);
  // The configuration in effect decides In-Commit Timestamps; before a truncated log's first
  // metaData it is unknown and the presence of `inCommitTimestamp` decides (as history.ts does).
  let config: Record<string, string> | undefined;
  const out: { version: number; timestamp: number }[] = [];
  let prev = -Infinity;
  versions.forEach((v, i) => {
    if (sets[i].metaData.length) config = sets[i].metaData[0].configuration;
    const stamp = commitTimestamp(v, sets[i].commitInfo, config, mtimes[i]);
    const ts = stamp.inCommitTimestamp ? stamp.timestamp : Math.max(stamp.timestamp, prev + 1);
    prev = ts;
    if (v >= first) out.push({ version: v, timestamp: ts });
  });
  return out;
}

/**
 * The version a timestamp pin reads (Delta time travel): the latest commit whose timestamp is at
 * or before it. An instant before the oldest retained commit or after the latest is an error, not
 * the nearest version: a pin past the latest commit would silently move as the table grows.
 */
export async function versionAtTimestamp(listing: LogListing, timestamp: string, pin: Pin): Promise<number> {
  const ms = parseIsoTimestamp(timestamp);
  if (ms === undefined) {
    throw pinError(listing, pin, `${pin.name} ${JSON.stringify(timestamp)} is not an ISO-8601 timestamp`, `e.g. 2024-05-01T12:00:00Z`);
  }
  const r = retainedRange(listing);
  const stamps = r ? await retainedStamps(listing, r.first) : [];
  if (!stamps.length) {
    throw pinError(
      listing,
      pin,
      `${pin.name}: the log of Delta table ${listing.tableDir} holds no commit to resolve a timestamp against`,
      `pin a version instead`,
    );
  }
  const firstC = stamps[0];
  const lastC = stamps[stamps.length - 1];
  const avail = `available: ${iso(firstC.timestamp)} (version ${firstC.version}) to ${iso(lastC.timestamp)} (version ${lastC.version})`;
  const fix = `set ${pin.name} between ${iso(firstC.timestamp)} and ${iso(lastC.timestamp)}, or pin a version`;
  if (ms < firstC.timestamp) {
    throw pinError(
      listing,
      pin,
      `${pin.name} ${timestamp} is before the oldest retained commit of Delta table ${listing.tableDir} (${avail})`,
      fix,
    );
  }
  if (ms > lastC.timestamp) {
    throw pinError(listing, pin, `${pin.name} ${timestamp} is after the latest commit of Delta table ${listing.tableDir} (${avail})`, fix);
  }
  let found = firstC.version;
  for (const s of stamps) if (s.timestamp <= ms) found = s.version;
  return found;
}
