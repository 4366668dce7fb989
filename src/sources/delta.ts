import type { DuckDBConnection } from '@duckdb/node-api';
import type { ResolvedSource } from '../config/types.js';
import type { Column } from '../lineage/types.js';
import { loadSnapshot, type DeltaReadCache, type LoadOptions, type Snapshot } from '../delta/index.js';
import { duckType } from '../delta/schema.js';
import { fileSchemas } from '../delta/read/fileSchema.js';

/**
 * `options.version` / `options.timestamp` (checked by config/validate.ts): the one version the source
 * reads. A pinned source never moves, so observing it reports a change only when the pin is edited.
 */
export function deltaPin(source: ResolvedSource): LoadOptions {
  const { version, timestamp } = source.options;
  // E_CONFIG: an out-of-range pin is fixed by editing the config (exit 2, like any config error).
  const pin = (key: string) => ({ name: `sources.${source.name}.options.${key}`, code: 'E_CONFIG' as const });
  if (version !== undefined) return { version: Number(version), pin: pin('version') };
  if (timestamp !== undefined) return { timestamp: String(timestamp), pin: pin('timestamp') };
  return {};
}

/**
 * A Delta source as of now: the snapshot this run pins, and its schema in DuckDB types. `cache` is
 * the one the run's later reads of the snapshot use.
 */
export async function observeDeltaSource(
  conn: DuckDBConnection,
  source: ResolvedSource,
  cache?: DeltaReadCache,
): Promise<{ schema: Column[]; delta: Snapshot }> {
  const snapshot = await loadSnapshot(conn, source.path, deltaPin(source));
  // Missing or unreadable data files are this source's error now, not an abort when the run
  // registers the snapshot later (the footers are kept in `cache` for that).
  await fileSchemas(
    conn,
    snapshot.files.map((f) => f.absPath),
    { table: snapshot.tableDir, version: snapshot.version },
    cache,
  );
  const schema = snapshot.schema.fields.map((f) => ({ name: f.name, type: duckType(f.type) }));
  return { schema, delta: snapshot };
}
