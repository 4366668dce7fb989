import type { DuckDBInstance } from '@duckdb/node-api';
import type { LoadedConfig } from '../../config/load.js';
import { openWarehouseReadOnly } from '../../engine/readOnly.js';
import { RelspecError } from '../../errors.js';
import type { UiBackend } from './backend.js';
import type { UiEvents } from './events.js';
import { pollRuns } from './poll.js';

/**
 * Inside the daemon: its config as of the last reload, and read connections on its own DuckDB
 * instance (DuckDB lets one process open the file for writing; a connection of its own never
 * blocks the run loop's, and sees each build once it commits).
 */
export function daemonBackend(config: () => LoadedConfig, instance: () => DuckDBInstance | undefined, events: UiEvents): UiBackend {
  return {
    config,
    events,
    connect: async () => {
      const db = instance();
      if (!db) throw new RelspecError('E_STATE', 'the daemon has no warehouse open right now', { fix: 'retry in a moment' });
      const conn = await db.connect();
      return { conn, close: () => conn.closeSync() };
    },
  };
}

/** `relspec ui` with no daemon: the warehouse opened read-only per query, so a `relspec run` can still take it between queries. */
export function stateDirBackend(loaded: LoadedConfig): UiBackend {
  const poll = pollRuns(loaded.config.stateDir);
  return { config: () => loaded, connect: () => openWarehouseReadOnly(loaded.config.stateDir), events: poll.events, close: poll.stop };
}
