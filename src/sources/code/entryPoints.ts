/**
 * The `entry_points` table of a code source: which files of the code base are a package's public
 * entry points, from the nearest package.json above each file (inside the extraction root) — its
 * `exports` (every subpath and condition), `main`, `module`, `types` and `typings`. A target is
 * usually a build output (`./dist/index.js`); it is mapped back to a file of the code base: the target
 * itself, else the same name with a source extension (`.ts`, `.tsx`, … or `/index.*`), directly or
 * with the output folder (`dist`, `lib`, `build`, `out`, `esm`, `cjs`, `types`) replaced by `src` or
 * dropped. Targets that map to no file of the code base give no row.
 *
 * Recomputed on every observe step (a few package.json reads) and committed whole when it changed,
 * so an edit to a package.json reaches the analyses without re-extracting any code.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { createTable, writeTable } from '../../delta/index.js';
import type { ResolvedSource } from '../../config/types.js';
import { sha256 } from './files.js';
import type { Manifest } from './manifest.js';
import { codeTableDir, stageRows, tableColumns } from './tables.js';

export interface EntryPointRow {
  /** The entry file (a file of the code base). */
  path: string;
  /** The package.json naming it, relative to the root. */
  package: string;
  /** Its `name`; null when it has none. */
  package_name: string | null;
  field: 'exports' | 'main' | 'module' | 'types' | 'typings';
  /** The `exports` subpath (`.`, `./node`); null for the other fields. */
  subpath: string | null;
  /** The target as written (`./dist/index.js`). */
  target: string;
}

const OUT_DIRS = new Set(['dist', 'lib', 'build', 'out', 'esm', 'cjs', 'types']);
const SOURCE_EXTS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const OUTPUT_EXT = /(\.d)?\.(c|m)?(js|ts)x?$/;

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The file of the code base a target stands for (paths relative to the root, forward slashes). */
function mapTarget(pkgDir: string, target: string, files: ReadonlySet<string>): string | undefined {
  const rel = path.posix.normalize(path.posix.join(pkgDir, target));
  if (files.has(rel)) return rel;
  const inPkg = path.posix.relative(pkgDir, rel);
  if (inPkg.startsWith('..')) return undefined;
  const stem = inPkg.replace(OUTPUT_EXT, '');
  const [first, ...rest] = stem.split('/');
  const stems = [stem];
  if (first !== undefined && OUT_DIRS.has(first) && rest.length > 0) stems.push(['src', ...rest].join('/'), rest.join('/'));
  for (const s of stems) {
    for (const base of [s, `${s}/index`]) {
      for (const ext of SOURCE_EXTS) {
        const c = path.posix.join(pkgDir, base + ext);
        if (files.has(c)) return c;
      }
    }
  }
  return undefined;
}

/** `exports` targets with their subpath: a string, an array, a subpath map (keys start with `.`) or nested conditions. */
function exportTargets(v: unknown, subpath: string, out: { subpath: string; target: string }[]): void {
  if (typeof v === 'string') {
    if (!v.includes('*')) out.push({ subpath, target: v });
  } else if (Array.isArray(v)) {
    for (const x of v) exportTargets(x, subpath, out);
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) exportTargets(x, k.startsWith('.') ? k : subpath, out);
  }
}

/** The entry points of the packages the files belong to, sorted. */
export function entryPoints(root: string, files: readonly string[]): EntryPointRow[] {
  const fileSet = new Set(files);
  const nearest = new Map<string, string | null>(); // dir (relative, '' = root) → package.json dir
  const lookup = (dir: string): string | null => {
    const known = nearest.get(dir);
    if (known !== undefined) return known;
    const here = isFile(path.join(root, dir, 'package.json'))
      ? dir
      : dir === ''
        ? null
        : lookup(path.posix.dirname(dir) === '.' ? '' : path.posix.dirname(dir));
    nearest.set(dir, here);
    return here;
  };
  const pkgDirs = new Set<string>();
  for (const f of files) {
    const d = path.posix.dirname(f);
    const p = lookup(d === '.' ? '' : d);
    if (p !== null) pkgDirs.add(p);
  }
  const rows: EntryPointRow[] = [];
  for (const dir of [...pkgDirs].sort()) {
    const pkgFile = dir === '' ? 'package.json' : `${dir}/package.json`;
    let pkg: Record<string, unknown>;
    try {
      const raw: unknown = JSON.parse(readFileSync(path.join(root, pkgFile), 'utf8'));
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) continue;
      pkg = raw as Record<string, unknown>;
    } catch {
      continue; // an unreadable package.json names no entry points
    }
    const name = typeof pkg.name === 'string' ? pkg.name : null;
    const targets: { field: EntryPointRow['field']; subpath: string | null; target: string }[] = [];
    for (const field of ['main', 'module', 'types', 'typings'] as const) {
      const t = pkg[field];
      if (typeof t === 'string') targets.push({ field, subpath: null, target: t });
    }
    const ex: { subpath: string; target: string }[] = [];
    exportTargets(pkg.exports, '.', ex);
    for (const e of ex) targets.push({ field: 'exports', ...e });
    for (const t of targets) {
      const p = mapTarget(dir, t.target, fileSet);
      if (p) rows.push({ path: p, package: pkgFile, package_name: name, ...t });
    }
  }
  const key = (r: EntryPointRow): string => JSON.stringify([r.path, r.package, r.field, r.subpath, r.target]);
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(key(r)) && seen.add(key(r))).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * Brings the entry_points table up to date: overwritten when its rows differ from what the manifest
 * records (or the table is not the manifest's version), otherwise untouched. Updates `m` (the caller
 * writes it). Returns the commit, if any.
 */
export async function syncEntryPoints(
  conn: DuckDBConnection,
  stateDir: string,
  source: ResolvedSource,
  root: string,
  files: readonly string[],
  m: Manifest,
  version: number | undefined,
): Promise<{ version: number; rows: number } | undefined> {
  const rows = entryPoints(root, files);
  const hash = sha256(JSON.stringify(rows)).slice(0, 32);
  const trusted = version !== undefined && m.tables.entry_points === version;
  if (trusted && m.entryPoints?.hash === hash) return undefined;
  const dir = codeTableDir(stateDir, source.name, 'entry_points');
  if (version === undefined) {
    await createTable(conn, dir, {
      schema: tableColumns('entry_points'),
      name: `${source.name}.entry_points`,
      description: `package entry points of ${source.path}`,
    });
  }
  const stage = await stageRows(conn, '__relspec_code_entry_points', 'entry_points', rows);
  try {
    const res = await writeTable(conn, dir, { mode: 'overwrite', sql: `SELECT * FROM ${stage}`, operation: 'CODE ENTRY POINTS' });
    m.tables.entry_points = res.version;
    m.entryPoints = { hash, rows: rows.length };
    return { version: res.version, rows: rows.length };
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${stage}`);
  }
}
