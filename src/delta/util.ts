import path from 'node:path';
import { RelspecError, errorMessage } from '../errors.js';

/** Where an error happened: the table, the version being read and (optionally) the log/data file. */
export interface Where {
  table: string;
  version?: number;
  file?: string;
  /** 1-based line in a JSON log file. */
  line?: number;
}

const at = (w: Where): string =>
  (w.version === undefined ? w.table : `${w.table} at version ${w.version}`) +
  (w.file && w.file !== w.table ? `, ${w.file}${w.line ? ` line ${w.line}` : ''}` : '');

/** A corrupt, incomplete or inconsistent table: the message names the table, the version and the rule broken. */
export function deltaError(w: Where, message: string, fix?: string, cause?: unknown): RelspecError {
  return new RelspecError('E_DELTA', `${message} (${at(w)})`, { file: w.file ?? w.table, fix: fix ?? DEFAULT_FIX, cause });
}

/** For rules whose fix is not more specific: the log or a file breaks the protocol. */
const DEFAULT_FIX =
  'the table breaks the Delta protocol at this version: restore the named file from the writer or a backup, or rewrite the table with a conforming writer';

/** A valid table that uses something this reader does not implement. Never silently ignored. */
export function unsupported(w: Where, message: string, fix?: string): RelspecError {
  return new RelspecError('E_DELTA_UNSUPPORTED', message, { file: w.file ?? w.table, fix });
}

/** First line of a (DuckDB) error message: enough to explain, short enough for one-line errors. */
export const firstLine = (e: unknown): string => errorMessage(e).split('\n')[0];

/**
 * DuckDB expands `*`, `?` and `[` in file names even inside an explicit list; a bracket class
 * matches the character literally. (docs/delta-notes.md §10: the corpus has `%`, spaces, emoji, `=`.)
 */
export function duckPath(p: string): string {
  return /[*?[]/.test(p) ? p.replace(/[*?[]/g, (c) => `[${c}]`) : p;
}

export const fmtVersion = (v: number): string => String(v).padStart(20, '0');

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;

/**
 * Resolves the `path` of an add/remove/cdc action or a `p` deletion vector to a local file.
 * Add File and Remove File: "path: A relative path to a data file from the root of the table or an
 * absolute path to a file that should be added to the table. The path is a URI ... which needs to
 * be decoded". Only local files (`file:` URIs or plain paths) can be read here.
 */
export function resolveDataPath(tableDir: string, p: string, w: Where): string {
  if (SCHEME.test(p)) {
    if (!/^file:/i.test(p)) {
      throw unsupported(w, `remote Delta file ${p} in ${w.table} cannot be read (only local files are supported)`);
    }
    // file:/a/b, file:///a/b and file://localhost/a/b all name /a/b.
    const rest = p.replace(/^file:(\/\/(localhost)?)?/i, '');
    return decodeUri(rest.startsWith('/') ? rest : `/${rest}`);
  }
  const decoded = decodeUri(p);
  return path.isAbsolute(decoded) ? decoded : path.join(tableDir, decoded);
}

function decodeUri(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    // Some old writers stored unencoded paths with a literal `%`; the raw string is then the name.
    return p;
  }
}

/** A small bounded-concurrency map (file reads, stats) that keeps results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
