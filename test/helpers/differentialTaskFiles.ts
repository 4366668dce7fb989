/**
 * Tasks that read a side file through a table function (`read_csv('data/side/w0.csv')`,
 * `read_parquet('data/side/w1.parquet')`) with a literal path, and the steps that rewrite those files, for
 * the differential generator (issue 11 item 4): after every step every output must still equal a
 * clean build, so a side-file edit the incremental run misses shows up as a difference.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withMemoryDuck } from '../../src/engine/memory.js';
import type { Rand } from './differential.js';

/** A side file: one row per key `k` (unique, so a join never multiplies rows), a weight `w`. */
export interface SideFile {
  file: string;
  format: 'csv' | 'parquet';
  rows: [k: number, w: number][];
}

/** The shape of a task joining one input with a side file. */
export interface SideShape {
  kind: 'side';
  from: string;
  side: string;
  reader: 'read_csv' | 'read_parquet';
}

/** What the generator's model keeps for these tasks. */
export interface SideModel {
  sideFiles?: SideFile[];
}

const K_MAX = 11;

function randomRows(r: Rand): [number, number][] {
  const keys = Array.from({ length: K_MAX + 1 }, (_, k) => k).filter(() => r.chance(0.6));
  // At least one row: a header-only CSV would sniff as VARCHAR columns.
  return (keys.length > 0 ? keys : [r.int(0, K_MAX)]).map((k) => [k, r.int(0, 50)]);
}

/** A side shape over `from`: a new side file, or one another task already reads. */
export function randomSideShape(r: Rand, m: SideModel, from: string): SideShape {
  m.sideFiles ??= [];
  if (m.sideFiles.length === 0 || r.chance(0.4)) {
    const n = m.sideFiles.length;
    const format = r.chance(0.5) ? 'csv' : 'parquet';
    m.sideFiles.push({ file: `data/side/w${n}.${format}`, format, rows: randomRows(r) });
  }
  const f = r.pick(m.sideFiles);
  return { kind: 'side', from, side: f.file, reader: f.format === 'csv' ? 'read_csv' : 'read_parquet' };
}

/** The task's clauses (lower case; the generator applies its formatting styles). */
export function sideClauses(s: SideShape): string[] {
  return [
    `select a.k, ((a.v + coalesce(s.w, 0)) % 10007)::BIGINT as v, a.g`,
    `from ${s.from} as a`,
    `left join ${s.reader}('${s.side}') as s on a.k = s.k`,
  ];
}

export async function writeSideFile(dir: string, f: SideFile): Promise<void> {
  const p = path.join(dir, f.file);
  mkdirSync(path.dirname(p), { recursive: true });
  if (f.format === 'csv') {
    writeFileSync(p, `k,w\n${f.rows.map(([k, w]) => `${k},${w}`).join('\n')}${f.rows.length ? '\n' : ''}`);
    return;
  }
  const values = f.rows.length > 0 ? f.rows.map(([k, w]) => `(${k}, ${w})`).join(', ') : '(0, 0)';
  const where = f.rows.length > 0 ? '' : ' WHERE false';
  await withMemoryDuck((c) =>
    c.run(
      `COPY (SELECT c0::BIGINT AS k, c1::BIGINT AS w FROM (VALUES ${values}) t(c0, c1)${where}) TO '${p.replace(/'/g, "''")}' (FORMAT parquet)`,
    ),
  );
}

/** Writes the side files the model has and the project directory does not (new tasks made them up). */
export async function ensureSideFiles(dir: string, m: SideModel): Promise<void> {
  for (const f of m.sideFiles ?? []) if (!existsSync(path.join(dir, f.file))) await writeSideFile(dir, f);
}

/**
 * Rewrites one side file that some task reads: new weights (sometimes with the old mtime put back,
 * as `cp -p` leaves it), or the same bytes again (minimality: nothing may build).
 */
export async function sideFileStep(
  r: Rand,
  m: SideModel,
  dir: string,
  readBy: (file: string) => boolean,
): Promise<{ description: string; expectNoBuild: boolean } | undefined> {
  const files = (m.sideFiles ?? []).filter((f) => readBy(f.file));
  if (files.length === 0) return undefined;
  const f = r.pick(files);
  const mode = r.weighted({ edit: 3, keep_mtime: 1.5, same: 1 });
  if (mode === 'same') {
    await writeSideFile(dir, f);
    return { description: `rewrite side file ${f.file} with the same rows`, expectNoBuild: f.format === 'csv' };
  }
  const before = f.rows.map(([k, w]) => `${k}:${w}`).join(',');
  for (let i = 0; i < 4 && f.rows.map(([k, w]) => `${k}:${w}`).join(',') === before; i++) {
    if (f.rows.length > 0 && r.chance(0.7)) {
      const row = r.pick(f.rows);
      row[1] = (row[1] + r.int(1, 9)) % 51;
    } else f.rows = randomRows(r);
  }
  const file = path.join(dir, f.file);
  if (mode === 'keep_mtime') {
    const ref = path.join(dir, '.side-mtime-ref');
    writeFileSync(ref, '');
    execFileSync('touch', ['-r', file, ref]);
    await writeSideFile(dir, f);
    execFileSync('touch', ['-r', ref, file]);
    rmSync(ref);
    return { description: `rewrite side file ${f.file} keeping its mtime`, expectNoBuild: false };
  }
  await writeSideFile(dir, f);
  return { description: `rewrite side file ${f.file} (${f.rows.length} rows)`, expectNoBuild: false };
}
