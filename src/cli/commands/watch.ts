import { startDaemon } from '../../daemon/daemon.js';
import type { GlobalOptions } from '../context.js';

export interface WatchCliOptions extends GlobalOptions {
  jsonLog?: boolean;
  /** The page's port; overrides `watch.port`. */
  port?: number;
}

/**
 * `relspec watch`: a thin shell over startDaemon. SIGINT/SIGTERM stop it cleanly (exit 0); a second
 * signal while it is still stopping exits at once (the lock is released by an exit handler).
 */
export async function watchCommand(opts: WatchCliOptions): Promise<number> {
  const daemon = startDaemon({ configPath: opts.config, jsonLog: opts.jsonLog, port: opts.port });
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) {
      process.stderr.write(`relspec: ${sig} again: exiting without waiting for the running task\n`);
      process.exit(130);
    }
    daemon.stop().catch((e: unknown) => process.stderr.write(`relspec: error while stopping: ${String(e)}\n`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await daemon.ready;
    await daemon.closed;
    // Everything is released (lock, DuckDB, SQLite, watchers). chokidar can leak an fs.watch handle
    // after re-watching a deleted directory from its parent; it must not keep a stopped daemon
    // alive. Unref'd: a clean shutdown exits before it fires.
    setTimeout(() => process.exit(0), 500).unref();
    return 0;
    // A LockedError (another daemon or run holds the state) goes to main's reportError: its line, exit 2.
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
