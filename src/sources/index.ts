import type { DuckDBConnection } from '@duckdb/node-api';
import type { ResolvedSource } from '../config/types.js';
import { RelspecError } from '../errors.js';
import type { Column } from '../lineage/types.js';
import { fileSourceSchema, listSourceFiles, type SourceFile } from './files.js';
import { loadSnapshot, type Snapshot } from './delta/index.js';
import { duckType } from './delta/schema.js';

export { listSourceFiles, readerSql, fileSourceSchema, type SourceFile } from './files.js';

export interface ObservedSource {
  name: string;
  format: ResolvedSource['format'];
  files: SourceFile[];
  schema: Column[];
  /** Delta sources: the snapshot pinned for this run (DESIGN invariant 7, snapshot isolation). */
  delta?: Snapshot;
}

/** Reads what a source looks like now: its files and schema. */
export async function observeSource(conn: DuckDBConnection, source: ResolvedSource): Promise<ObservedSource> {
  if (source.format === 'delta') {
    const snapshot = await loadSnapshot(conn, source.path);
    const schema = snapshot.schema.fields.map((f) => ({ name: f.name, type: duckType(f.type) }));
    return { name: source.name, format: source.format, files: [], schema, delta: snapshot };
  }
  if (source.format === 'code') {
    throw new RelspecError('E_SOURCE', `${source.format} sources are not supported yet (source ${source.name})`, {
      file: source.path,
      fix: 'use a parquet, csv or json source for now',
    });
  }
  const files = await listSourceFiles(source);
  const schema = await fileSourceSchema(conn, source, files.map((f) => f.path));
  return { name: source.name, format: source.format, files, schema };
}
