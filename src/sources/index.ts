import type { DuckDBConnection } from '@duckdb/node-api';
import type { ResolvedSource } from '../config/types.js';
import { RelspecError } from '../errors.js';
import type { Column } from '../lineage/types.js';
import { fileSourceSchema, listSourceFiles, type SourceFile } from './files.js';

export { listSourceFiles, readerSql, fileSourceSchema, type SourceFile } from './files.js';

export interface ObservedSource {
  name: string;
  format: ResolvedSource['format'];
  files: SourceFile[];
  schema: Column[];
}

/** Reads what a source looks like now: its files and schema. */
export async function observeSource(conn: DuckDBConnection, source: ResolvedSource): Promise<ObservedSource> {
  if (source.format === 'delta' || source.format === 'code') {
    throw new RelspecError('E_SOURCE', `${source.format} sources are not supported yet (source ${source.name})`, {
      file: source.path,
      fix: 'use a parquet, csv or json source for now',
    });
  }
  const files = await listSourceFiles(source);
  const schema = await fileSourceSchema(conn, source, files.map((f) => f.path));
  return { name: source.name, format: source.format, files, schema };
}
