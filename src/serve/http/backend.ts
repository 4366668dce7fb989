import type { DuckDBConnection } from '@duckdb/node-api';
import type { LoadedConfig } from '../../config/load.js';
import { loadProject, type Project } from '../../project/load.js';
import { openStateDb } from '../../state/db.js';
import { openStateReader, type StateReader } from '../../state/reader.js';
import type { UiEvents } from './events.js';

/**
 * What the HTTP app reads, the same for the daemon and for `relspec ui`: SQLite directly (WAL lets
 * a reader in while a run writes), DuckDB through `connect` — the daemon's own instance, or the
 * warehouse opened read-only when no daemon holds it.
 */
export interface UiBackend {
  /** The config in force (the daemon swaps it on a reload). */
  config(): LoadedConfig;
  /** A read connection for one request; `close` after. */
  connect(): Promise<{ conn: DuckDBConnection; close(): void }>;
  /** Live run and task events (task events only from a daemon). */
  events?: UiEvents;
  /** Called when the server closes. */
  close?(): void;
}

/** Opens the state reader for one request and closes it after, whatever `fn` does. */
export function withReader<T>(backend: UiBackend, fn: (r: StateReader) => T): T {
  const reader = openStateReader(backend.config().config.stateDir);
  try {
    return fn(reader);
  } finally {
    reader.close();
  }
}

/**
 * The project (graph, task SQL, required columns), loaded once per run and config: a run is what
 * changes the graph, and loading it (catalog, lineage) costs far more than a request should.
 * The cache belongs to one app, not to the module.
 */
export function projectCache(backend: UiBackend): () => Promise<Project> {
  let key = '';
  let loading: Promise<Project> | undefined;
  return () => {
    const loaded = backend.config();
    const last = lastRun(backend);
    const k = `${loaded.hash}:${last}`;
    if (!loading || k !== key) {
      key = k;
      loading = (async () => {
        // Its own handle for the lineage cache: never the daemon's, which a run may be writing through.
        const db = openStateDb(loaded.config.stateDir);
        try {
          return await loadProject({ config: loaded, db });
        } finally {
          db.close();
        }
      })();
      loading.catch(() => (loading = undefined));
    }
    return loading;
  };
}

/** The latest run id; 0 before the first run (no state yet). */
function lastRun(backend: UiBackend): number {
  try {
    return withReader(backend, (r) => r.store.lastRunId() ?? 0);
  } catch {
    return 0;
  }
}
