import type { DuckDBConnection } from '@duckdb/node-api';
import type { ResolvedSource } from '../config/types.js';
import type { Column } from '../lineage/types.js';
import { fileSourceSchema, listSourceFiles, type SourceFile, type SourceScope } from './files.js';
import type { DeltaReadCache, Snapshot } from '../delta/index.js';
import { observeDeltaSource } from './delta.js';
import type { CodeTable } from './code/index.js';

export { readerSql, type SourceFile, type SourceScope } from './files.js';
export { CodeExtractors, describeCodeSync, observeCodeSource, sourceDatasets, type CodeSyncResult } from './code/index.js';

export interface ObservedSource {
  name: string;
  format: ResolvedSource['format'];
  files: SourceFile[];
  /** File sources: what the glob matched inside relspec's own directories and left out. */
  excluded?: string[];
  schema: Column[];
  /** Delta sources: the snapshot pinned for this run (docs/ARCHITECTURE.md invariant 7, snapshot isolation). */
  delta?: Snapshot;
  /** One of a code source's tables (a Delta table relspec writes under the state directory). */
  code?: { source: string; table: CodeTable };
}

/** Reads what a source looks like now: its files and schema (a Delta source's footers go to `deltaCache`). */
export async function observeSource(
  conn: DuckDBConnection,
  source: ResolvedSource,
  scope: SourceScope,
  deltaCache?: DeltaReadCache,
): Promise<ObservedSource> {
  if (source.format === 'delta') {
    const { schema, delta } = await observeDeltaSource(conn, source, deltaCache);
    return { name: source.name, format: source.format, files: [], schema, delta };
  }
  if (source.format === 'code') {
    // A code source is five datasets, observed (and extracted) by observeCodeSource.
    throw new Error(`observeSource: code source ${source.name} goes through observeCodeSource`);
  }
  const { files, excluded } = await listSourceFiles(source, scope);
  const schema = await fileSourceSchema(
    conn,
    source,
    files.map((f) => f.path),
  );
  return { name: source.name, format: source.format, files, excluded, schema };
}
