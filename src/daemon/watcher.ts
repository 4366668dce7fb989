import { existsSync } from 'node:fs';
import path from 'node:path';
import { FSWatcher } from 'chokidar';
import type { ResolvedConfig } from '../config/types.js';
import { errorMessage } from '../errors.js';
import { globalIgnore, targetIgnored, watchTargets, type WatchKind, type WatchTarget } from './targets.js';

/** The only module that imports chokidar. Events are hints: each run re-observes everything. */
export interface WatchEvent {
  kind: WatchKind;
  path: string;
  source?: string;
  action: 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir';
}

export interface WatchHandlers {
  onEvent: (e: WatchEvent) => void;
  onError: (err: Error) => void;
}

export interface Watcher {
  /** The directories whose contents matter (what "watching N paths" counts). */
  readonly paths: readonly string[];
  readonly targets: readonly WatchTarget[];
  close(): Promise<void>;
}

/** Resolves once every target's initial scan is done (changes after that are reported). */
export async function startWatcher(config: ResolvedConfig, handlers: WatchHandlers): Promise<Watcher> {
  const targets = watchTargets(config);
  const ignore = globalIgnore(config);
  const live = new Map<WatchTarget, FSWatcher>();
  const rootedAbove = new Set<WatchTarget>();
  const rootChecks = new Set<WatchTarget>();
  let closed = false;

  const safe = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      reportError(e);
    }
  };
  const reportError = (e: unknown) => {
    try {
      handlers.onError(e instanceof Error ? e : new Error(errorMessage(e)));
    } catch {
      /* a handler that throws must not take chokidar's emitter down */
    }
  };

  async function watchTarget(t: WatchTarget): Promise<void> {
    // chokidar 5 silently watches nothing for a missing path (and emits 'ready' early), so watch
    // the nearest existing ancestor; `targetIgnored` lets through only the chain down to the root.
    let dir = t.root;
    while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    if (dir !== t.root) rootedAbove.add(t);
    else rootedAbove.delete(t);
    const w = new FSWatcher({
      ignoreInitial: true,
      // Never poll: idle CPU stays at zero. `atomic` turns an editor's unlink+add (rename-save)
      // within 100 ms into one 'change'.
      usePolling: false,
      atomic: true,
      ignored: targetIgnored(t, ignore),
    });
    live.set(t, w);
    w.on('all', (action, p) => {
      if (process.env.RELSPEC_DEBUG_WATCH) process.stderr.write(`[watch ${t.kind}:${t.source ?? ''} @${dir}] ${action} ${p}\n`);
      safe(() => onFsEvent(t, action, p));
    });
    w.on('error', (e) => reportError(e));
    const ready = new Promise<void>((resolve) => w.once('ready', () => resolve()));
    w.add(dir);
    await ready;
  }

  function onFsEvent(t: WatchTarget, action: string, p: string): void {
    if (closed) return;
    const file = path.resolve(p);
    const isRootOrAbove = t.root === file || t.root.startsWith(file + path.sep);
    if (action === 'unlinkDir' && isRootOrAbove) {
      // The watched directory itself went away (rm -rf, a rename of the folder): chokidar drops
      // its watch, so start over from the nearest existing ancestor to see it come back.
      handlers.onEvent({ kind: t.kind, path: file, source: t.source, action });
      rewatch(t);
      return;
    }
    if (action === 'unlink' || action === 'unlinkDir') {
      // rm -rf of the root reports the files in it, but chokidar does not always report the root
      // itself (its inotify watch is simply gone): check now and once the removal has finished.
      checkRoot(t);
      // One delayed check per target, however many files a removal reports.
      if (!rootChecks.has(t)) {
        rootChecks.add(t);
        setTimeout(() => {
          rootChecks.delete(t);
          safe(() => checkRoot(t));
        }, 250).unref();
      }
    }
    if (action === 'add' || action === 'change' || action === 'unlink') {
      if (t.match(file)) handlers.onEvent({ kind: t.kind, path: file, source: t.source, action });
    } else if (action === 'addDir' && file === t.root && rootedAbove.has(t)) {
      // The root is back under a watcher started from an ancestor: watch it from the root again,
      // as at start-up (an ancestor watcher filters by the chain and misses some events below).
      rewatch(t);
    } else if (action === 'unlinkDir' && file.startsWith(t.root + path.sep)) {
      handlers.onEvent({ kind: t.kind, path: file, source: t.source, action });
    }
  }

  /** The root went away while watched from itself: start over from the nearest existing ancestor. */
  function checkRoot(t: WatchTarget): void {
    if (closed || rootedAbove.has(t) || existsSync(t.root)) return;
    handlers.onEvent({ kind: t.kind, path: t.root, source: t.source, action: 'unlinkDir' });
    rewatch(t);
  }

  function rewatch(t: WatchTarget): void {
    const old = live.get(t);
    live.delete(t);
    if (old) closeQuietly(old).catch(reportError);
    if (closed) return;
    // The directory may be back before the new watcher's initial scan, which ignoreInitial
    // swallows (files and all): once ready, report the root so the next run re-observes it.
    watchTarget(t)
      .then(() => {
        if (!closed && existsSync(t.root)) handlers.onEvent({ kind: t.kind, path: t.root, source: t.source, action: 'addDir' });
      })
      .catch(reportError);
  }

  try {
    await Promise.all(targets.map(watchTarget));
  } catch (e) {
    closed = true;
    await Promise.allSettled([...live.values()].map(closeQuietly));
    throw e;
  }

  return {
    paths: [...new Set(targets.map((t) => t.root))],
    targets,
    async close() {
      closed = true;
      await Promise.allSettled([...live.values()].map(closeQuietly));
      live.clear();
    },
  };
}

/**
 * chokidar's close() removes every listener, 'error' included, but a stat it started before (or an
 * fs.watch handle it shares with another instance) may still report an error on the closed
 * instance: with no listener left, Node throws it and the daemon dies (seen with an ELOOP symlink).
 */
function closeQuietly(w: FSWatcher): Promise<void> {
  const done = w.close();
  w.on('error', () => undefined);
  return done;
}

/** Targets as a comparable key: a config reload re-creates the watcher only when this changes. */
export function watchKey(config: ResolvedConfig): string {
  return JSON.stringify({
    t: watchTargets(config).map((t) => [t.kind, t.source, t.root, t.pattern]),
    s: config.stateDir,
    o: config.outputsDir,
    i: config.watch.ignore,
  });
}
