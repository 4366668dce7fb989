import { statSync } from 'node:fs';
import path from 'node:path';
import { glob } from 'tinyglobby';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { FileFormat, ResolvedSource } from '../config/types.js';
import { RelspecError, errorMessage } from '../errors.js';
import { duckPath } from '../delta/util.js';
import { statFile, type StatSignature } from '../util/fileStat.js';
import { isInside, splitSourceGlob } from './globParts.js';
import type { Column } from '../lineage/types.js';
import { sqlString } from '../util/sql.js';

const READERS: Record<FileFormat, string> = { parquet: 'read_parquet', csv: 'read_csv', json: 'read_json' };

export interface SourceFile {
  path: string;
  size: number;
  mtimeMs: number;
  /** The stat signature (fileStat.ts): when it moved, the content hash decides. */
  signature: StatSignature;
}

/** Where a source's glob is evaluated and what it may never read. */
export interface SourceScope {
  /** The config's directory: the part of the glob above it is a literal name (globParts.ts). */
  root: string;
  /** relspec's own directories (state, outputs, code-source tables). */
  exclude: readonly string[];
}

export interface SourceListing {
  files: SourceFile[];
  /** Files the glob matched inside relspec's own directories, left out (sorted): `validate` warns. */
  excluded: string[];
}

/**
 * A path DuckDB's readers take literally. DuckDB (1.5) globs every path it is given that holds `*`, `?`
 * or `[` — even when a file of exactly that name exists — so `a[1].csv` reads `a1.csv`. It has no
 * escape character and no setting to turn globbing off, but its glob supports one-character classes
 * in every path component, so each metacharacter becomes a class holding only itself (`[` → `[[]`,
 * `*` → `[*]`, `?` → `[?]`); `]`, `{`, `}`, `!`, `^` and `\` are literal outside a class. Chosen over
 * hard links or symlinks under the state directory because it needs no extra files (no cleanup, no
 * cross-device failure, no race with a rename) and DuckDB still reports the real name (`filename`).
 * Checked on every such name (dot files, directories named `t[1] é`) in test/sources/literalPaths.test.ts.
 * The Delta reader uses the same rule (`duckPath` in delta/util.ts): one implementation.
 */
export function duckPathPattern(p: string): string {
  return duckPath(p);
}

/** `duckPathPattern` as a SQL string literal: what to hand `read_csv` / `read_parquet` / `read_json`. */
export function duckLiteralPath(p: string): string {
  return sqlString(duckPathPattern(p));
}

function sqlLiteral(v: string | number | boolean): string {
  return typeof v === 'string' ? sqlString(v) : String(v);
}

/**
 * The files a file source reads now, sorted (the glob is relative to the config's directory). relspec's
 * own files never count, whatever the glob says: a `**` glob for parquet over a project holding
 * `state/` would otherwise read the Delta outputs' data files — removed and `_change_data/` files included — and each
 * run would grow the count it reads from its own last output.
 */
export async function listSourceFiles(source: ResolvedSource, scope: SourceScope): Promise<SourceListing> {
  const parts = splitSourceGlob(source.path, scope.root);
  const found = parts.isGlob
    ? await glob(parts.pattern, { cwd: parts.base, absolute: true, onlyFiles: true, expandDirectories: false })
    : isFile(source.path)
      ? [source.path]
      : [];
  const own = scope.exclude.map((d) => path.resolve(d));
  const excluded: string[] = [];
  const kept: string[] = [];
  for (const f of found) (own.some((d) => isInside(d, path.normalize(f))) ? excluded : kept).push(path.normalize(f));
  const stats = await Promise.all(
    kept.sort().map(async (p) => {
      try {
        const st = await statFile(p);
        return { path: p, size: st.size, mtimeMs: st.mtimeMs, signature: st.signature };
      } catch {
        return undefined; // gone between the glob and the stat
      }
    }),
  );
  return { files: stats.filter((f): f is SourceFile => f !== undefined), excluded: excluded.sort() };
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** A DuckDB table expression reading exactly these files with the source's options. */
export function readerSql(source: ResolvedSource, files: readonly string[]): string {
  const reader = READERS[source.format as FileFormat];
  if (!reader) throw new Error(`readerSql: ${source.format} is not a file format`);
  const opts = Object.entries(source.options).map(([k, v]) => `, ${k} = ${sqlLiteral(v)}`);
  return `${reader}([${files.map(duckLiteralPath).join(', ')}]${opts.join('')})`;
}

/** Schema from DuckDB's own reader, so lineage sees exactly the columns execution will. */
export async function fileSourceSchema(conn: DuckDBConnection, source: ResolvedSource, files: readonly string[]): Promise<Column[]> {
  if (files.length === 0) {
    throw new RelspecError('E_SOURCE', `source ${source.name} matches no files`, {
      file: source.path,
      fix: `check sources.${source.name}.path, or add files matching it`,
    });
  }
  try {
    const r = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${readerSql(source, files)}`);
    const columns = (r.getRows() as unknown[][]).map(([name, type]) => ({ name: String(name), type: String(type) }));
    if (source.format === 'csv') await checkCsvDialect(conn, source, files, columns);
    return columns;
  } catch (e) {
    if (e instanceof RelspecError) throw e;
    throw new RelspecError('E_SOURCE', `cannot read source ${source.name}: ${duckDetail(e)}`, {
      file: source.path,
      fix: `check that the files are valid ${source.format}${source.format === 'csv' ? ' (and the reader options)' : ''}`,
    });
  }
}

/**
 * DuckDB's CSV sniffer gives up on a file whose rows have different numbers of fields and reads it
 * as ONE column named after the whole header line (`"id,name"`): every task then fails to bind,
 * blaming the task. When that one column's name holds a delimiter, read with that delimiter to
 * get the real error (the line), and report it as the source's.
 */
async function checkCsvDialect(
  conn: DuckDBConnection,
  source: ResolvedSource,
  files: readonly string[],
  columns: readonly Column[],
): Promise<void> {
  if (columns.length !== 1 || ['delim', 'sep', 'columns', 'auto_detect'].some((k) => k in source.options)) return;
  const delim = [',', ';', '\t', '|'].find((d) => columns[0]!.name.includes(d));
  if (!delim) return;
  const probe = { ...source, options: { ...source.options, delim } };
  try {
    await conn.runAndReadAll(`SELECT count(*) FROM ${readerSql(probe, files)}`);
  } catch (e) {
    const detail = duckDetail(e);
    throw new RelspecError(
      'E_SOURCE',
      `source ${source.name} is not a consistent CSV: with delimiter ${JSON.stringify(delim)} DuckDB cannot read it (${detail}); without one it would read a single column ${JSON.stringify(columns[0]!.name)}`,
      {
        file: source.path,
        fix: `give every row as many fields as the header (a ragged row?), or set sources.${source.name}.options (e.g. null_padding: true, or ignore_errors: true)`,
      },
    );
  }
}

/** DuckDB's first line, plus the line that says what is wrong when the first only says where (CSV errors). */
function duckDetail(e: unknown): string {
  const lines = errorMessage(e)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const why = lines
    .slice(1)
    .find((l) => /not utf-8|Expected Number of Columns|not possible to automatically detect|Value with unterminated quote/i.test(l));
  return why ? `${lines[0]}: ${why}` : (lines[0] ?? '');
}
