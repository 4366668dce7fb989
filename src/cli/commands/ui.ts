import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../config/load.js';
import { stateDirBackend } from '../../serve/http/backends.js';
import { DAEMON_JSON, startHttpServer } from '../../serve/http/server.js';
import { readLockOwner, writerAlive } from '../../state/lock.js';
import { print, type GlobalOptions } from '../context.js';

export interface UiCliOptions extends GlobalOptions {
  /** Checked by the option table (cli/main.ts): 0–65535; 0 picks a free port. */
  port?: number;
}

/**
 * `relspec ui`: the daemon's page and API over a state directory when no daemon runs. Reads only:
 * SQLite directly, the warehouse read-only per query (a `relspec run` can still take it between).
 * Serves until SIGINT/SIGTERM.
 */
export async function uiCommand(opts: UiCliOptions): Promise<number> {
  const loaded = await loadConfig(opts.config);
  const c = loaded.config;
  const daemonUrl = runningDaemonUrl(c.stateDir);
  if (daemonUrl) {
    // The daemon holds the warehouse and serves the same page, with live events.
    print(`[ui] ${daemonUrl} (served by the running daemon, pid ${readLockOwner(c.stateDir)?.pid})`);
    return 0;
  }
  const ui = await startHttpServer(stateDirBackend(loaded), { port: opts.port ?? c.watch.port ?? 0 });
  print(`[ui] ${ui.url}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await ui.close();
  return 0;
}

/** The URL a live daemon wrote to state/daemon.json, if a daemon holds the state now. */
function runningDaemonUrl(stateDir: string): string | undefined {
  if (!writerAlive(stateDir) || readLockOwner(stateDir)?.holder !== 'daemon') return undefined;
  try {
    return (JSON.parse(readFileSync(path.join(stateDir, DAEMON_JSON), 'utf8')) as { url?: string }).url;
  } catch {
    return undefined;
  }
}
