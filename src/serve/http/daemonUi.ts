import type { DuckDBInstance } from '@duckdb/node-api';
import type { LoadedConfig } from '../../config/load.js';
import { errorMessage } from '../../errors.js';
import type { Log } from '../../daemon/log.js';
import { daemonBackend } from './backends.js';
import type { UiEvents } from './events.js';
import { startHttpServer, type UiServer } from './server.js';

// What the daemon needs, from one module.
export { UiEvents } from './events.js';
export type { UiServer } from './server.js';

/**
 * The daemon's page and API on `watch.port` (0: a free port); `now` gives the daemon's config and
 * DuckDB instance as of each request. A port that cannot be had is logged and the daemon goes on
 * without a page: keeping outputs fresh matters more than showing them.
 */
export async function startDaemonUi(
  events: UiEvents,
  log: Log,
  now: () => { loaded: LoadedConfig; instance: DuckDBInstance | undefined },
  portOverride?: number,
): Promise<UiServer | undefined> {
  const config = () => now().loaded;
  const port = portOverride ?? config().config.watch.port ?? 0;
  try {
    const ui = await startHttpServer(
      daemonBackend(config, () => now().instance, events),
      { port },
    );
    log('ui', 'listening', ui.url, { url: ui.url, port: ui.port });
    return ui;
  } catch (e) {
    log('ui', 'error', `no page: ${errorMessage(e)}`, { error: errorMessage(e) });
    return undefined;
  }
}
