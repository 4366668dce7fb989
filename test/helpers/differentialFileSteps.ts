/**
 * File-source steps of the differential generator that exercise change detection as the world does it
 * (docs/ARCHITECTURE.md "Change detection for files"): file names DuckDB would glob (`p[0] é.parquet` next to
 * `p0 é.parquet`, which the class `[0]` matches), and rewrites that put the old mtime and atime back.
 */
import { execFileSync } from 'node:child_process';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Rand, SourceModel } from './differential.js';

/**
 * The n-th file of a parquet source. File 0 is `p0 é.parquet` and file 1 `p[0] é.parquet`, whose name
 * as a glob (the class `[0]`) matches file 0: a reader that re-globs would read file 0 twice and file
 * 1 never. Every source with two files or more has such a pair.
 */
export function sourceFileName(source: string, n: number): string {
  switch (n % 4) {
    case 0:
      return `data/${source}/p${n} é.parquet`;
    case 1:
      return `data/${source}/p[${n - 1}] é.parquet`;
    case 2:
      return `data/${source}/日本 ${n}.parquet`;
    default:
      return `data/${source}/part${n}.parquet`;
  }
}

type FileModel = SourceModel['files'][number];

/**
 * New bytes with the old mtime and atime restored (what `cp -p`, `rsync -t`, `tar x` leave): the `v`
 * values of two rows swapped, which keeps the column's dictionary and statistics, so the file usually
 * keeps its size too. Returns a description, or undefined when the file has no two rows to swap.
 */
export async function keepMtimeRewrite(
  r: Rand,
  s: SourceModel,
  f: FileModel,
  dir: string,
  write: (s: SourceModel, f: FileModel) => Promise<void>,
): Promise<string | undefined> {
  const vi = s.columns.findIndex((c) => c.name === 'v');
  const ki = s.columns.findIndex((c) => c.name === 'k');
  const pairs: [number, number][] = [];
  for (let i = 0; i < f.rows.length; i++)
    for (let j = i + 1; j < f.rows.length; j++)
      if (f.rows[i]![vi] !== f.rows[j]![vi] && f.rows[i]![ki] !== f.rows[j]![ki]) pairs.push([i, j]);
  if (pairs.length === 0) return undefined;
  const [i, j] = r.pick(pairs);
  const file = path.join(dir, f.file);
  const ref = path.join(dir, '.mtime-ref');
  const before = statSync(file);
  // `touch -r` copies atime and mtime to the nanosecond (utimensat), as `cp -p` does.
  writeFileSync(ref, '');
  execFileSync('touch', ['-r', file, ref]);
  [f.rows[i]![vi], f.rows[j]![vi]] = [f.rows[j]![vi]!, f.rows[i]![vi]!];
  await write(s, f);
  execFileSync('touch', ['-r', ref, file]);
  rmSync(ref);
  const after = statSync(file);
  if (after.mtimeMs !== before.mtimeMs) throw new Error(`keepMtimeRewrite: mtime of ${f.file} not restored`);
  return `rewrite ${f.file} keeping its mtime (swap v of 2 rows; size ${after.size === before.size ? 'kept' : `${before.size} → ${after.size}`})`;
}
