import { statSync } from 'node:fs';
import path from 'node:path';
import { glob } from 'tinyglobby';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { FileFormat, ResolvedSource } from '../config/types.js';
import { RelspecError, errorMessage } from '../errors.js';
import type { Column } from '../lineage/types.js';

const READERS: Record<FileFormat, string> = { parquet: 'read_parquet', csv: 'read_csv', json: 'read_json' };

export interface SourceFile {
  path: string;
  size: number;
  mtimeMs: number;
}

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

function sqlLiteral(v: string | number | boolean): string {
  return typeof v === 'string' ? sqlString(v) : String(v);
}

/** The files a file source reads now, sorted (the glob is relative to the config's directory). */
export async function listSourceFiles(source: ResolvedSource): Promise<SourceFile[]> {
  const files = await glob(source.path.split(path.sep).join('/'), { absolute: true, onlyFiles: true, expandDirectories: false });
  return files.sort().map((p) => {
    const st = statSync(p);
    return { path: p, size: st.size, mtimeMs: st.mtimeMs };
  });
}

/** A DuckDB table expression reading exactly these files with the source's options. */
export function readerSql(source: ResolvedSource, files: readonly string[]): string {
  const reader = READERS[source.format as FileFormat];
  if (!reader) throw new Error(`readerSql: ${source.format} is not a file format`);
  const opts = Object.entries(source.options).map(([k, v]) => `, ${k} = ${sqlLiteral(v)}`);
  return `${reader}([${files.map(sqlString).join(', ')}]${opts.join('')})`;
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
    return (r.getRows() as unknown[][]).map(([name, type]) => ({ name: String(name), type: String(type) }));
  } catch (e) {
    throw new RelspecError('E_SOURCE', `cannot read source ${source.name}: ${errorMessage(e).split('\n')[0]}`, {
      file: source.path,
      fix: `check that the files are valid ${source.format}${source.format === 'csv' ? ' (and the reader options)' : ''}`,
    });
  }
}
