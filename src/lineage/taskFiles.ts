import { existsSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { glob } from 'tinyglobby';
import { duckLiteralPath } from '../sources/files.js';
import type { FileCall } from './fileReads.js';
import { sqlString } from '../util/sql.js';

/** One literal path or glob a task reads, resolved against the config's directory. */
export interface FileRead {
  fn: string;
  /** As written in the SQL. */
  pattern: string;
  /** Absolute (relative literals resolve against the config's directory). */
  abs: string;
  glob: boolean;
  /** The files it stands for now, sorted (a literal path: itself, whether or not it exists). */
  paths: string[];
  /** A glob: how many matches were relspec's own files (state and output directories), left out. */
  excluded?: number;
}

export interface ResolvedFileReads {
  reads: FileRead[];
  /** The task's SQL with every literal replaced by absolute literal paths; undefined when unchanged. */
  execSql?: string;
}

const inside = (dir: string, p: string): boolean => p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);

/**
 * Lists the files behind each literal and rewrites the SQL that lineage and execution run.
 *
 * Why a rewrite and not DuckDB's `file_search_path`: that setting is only consulted when the path
 * does not exist relative to the process's working directory, so a `data/side.csv` next to the
 * caller would still win; and a view keeps the literal, so every later reader (another cwd) would
 * resolve it again. An absolute literal reads the same file from anywhere.
 *
 * A glob is expanded here, not by DuckDB: the list is what relspec tracks (a file added changes
 * it), it never includes the state or output directories (the source-glob rule, docs/ARCHITECTURE.md "Change
 * detection for files"), and each file is handed over as a literal path (`duckLiteralPath`), so
 * `[`, `*` and `?` in a name are not globbed again. A glob matching nothing is left as a pattern,
 * so DuckDB reports it in its own words. `glob()` gets the listing too (it takes a list; an empty
 * one is `[]::VARCHAR[]`): its result is the listing, which relspec tracks as one input.
 */
export async function resolveFileReads(
  sql: string,
  calls: readonly FileCall[],
  root: string,
  exclude: readonly string[],
): Promise<ResolvedFileReads> {
  if (calls.length === 0) return { reads: [] };
  const reads: FileRead[] = [];
  const edits: { at: number; end: number; text: string }[] = [];
  const bytes = Buffer.from(sql, 'utf8');
  for (const call of calls) {
    for (const arg of call.args) {
      const relative = !path.isAbsolute(arg.value);
      const abs = relative ? path.resolve(root, arg.value) : path.normalize(arg.value);
      // Only what the user wrote is a pattern: the config's directory is a name (it may hold `[`).
      const isGlob = picomatch.scan(arg.value.split(path.sep).join('/')).isGlob;
      let paths = [abs];
      let excluded = 0;
      if (isGlob) {
        const found = await glob(arg.value.split(path.sep).join('/'), {
          cwd: root,
          absolute: true,
          onlyFiles: true,
          expandDirectories: false,
          dot: false,
        });
        paths = found
          .map((p) => path.normalize(p))
          .filter((p) => !exclude.some((d) => inside(d, p)))
          .sort();
        excluded = found.length - paths.length;
      }
      reads.push({ fn: call.fn, pattern: arg.value, abs, glob: isGlob, paths, ...(excluded > 0 ? { excluded } : {}) });
      const literals = paths.map(duckLiteralPath);
      let text = call.list || literals.length === 1 ? literals.join(', ') : `[${literals.join(', ')}]`;
      if (literals.length === 0) text = call.fn === 'glob' && !call.list ? '[]::VARCHAR[]' : sqlString(abs);
      edits.push({ at: arg.location, end: literalEnd(bytes, arg.location), text });
    }
  }
  edits.sort((a, b) => b.at - a.at);
  let out = bytes;
  for (const e of edits) out = Buffer.concat([out.subarray(0, e.at), Buffer.from(e.text, 'utf8'), out.subarray(e.end)]);
  return { reads, execSql: out.toString('utf8') };
}

/** The byte after a '…' literal starting at `at` ('' escapes a quote). */
function literalEnd(b: Buffer, at: number): number {
  for (let i = at + 1; i < b.length; i++) {
    if (b[i] !== 0x27) continue;
    if (b[i + 1] === 0x27) {
      i++;
      continue;
    }
    return i + 1;
  }
  return b.length;
}

/**
 * Literal paths that do not exist and globs that match nothing (or only relspec's own files, which
 * DuckDB, handed the pattern, would read): the task fails with E_TASK_FILE, naming them.
 */
export function absentFileReads(reads: readonly FileRead[]): FileRead[] {
  // glob() of nothing is an empty listing, not an error.
  return reads.filter((r) => r.fn !== 'glob' && (r.glob ? r.paths.length === 0 : !existsSync(r.abs)));
}

/** What a task's file inputs are keyed by in its trace: a file's path, or a `glob()` listing. */
export const listingKey = (abs: string): string => `glob:${abs}`;
