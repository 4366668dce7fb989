import { existsSync } from 'node:fs';
import path from 'node:path';
import { FSWatcher } from 'chokidar';
import type { ResolvedConfig } from '../config/types.js';
import { errorMessage } from '../errors.js';
import { statFileSync } from '../util/fileStat.js';
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
export async function startWatcher(config: ResolvedConfig, handlers: WatchHandlers, taskFiles: readonly string[] = []): Promise<Watcher> {
  const targets = watchTargets(config, taskFiles);
  const ignore = globalIgnore(config);
  const live = new Map<WatchTarget, FSWatcher>();
  const rootedAbove = new Set<WatchTarget>();
  const rootChecks = new Set<WatchTarget>();
  /** Last stat signature reported per file, so a raw event repeating a reported state stays quiet. */
  const reported = new Map<string, string>();
  /** Raw events waiting for their check (one per file, however many a write raises). */
  const rawChecks = new Map<string, NodeJS.Timeout>();
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
    w.on('raw', (_event: string, name: unknown, details: unknown) => safe(() => onRawEvent(t, name, details)));
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
      if (action === 'unlink') reported.delete(file);
      else remember(file);
      if (t.match(file)) handlers.onEvent({ kind: t.kind, path: file, source: t.source, action });
    } else if (action === 'addDir' && file === t.root && rootedAbove.has(t)) {
      // The root is back under a watcher started from an ancestor: watch it from the root again,
      // as at start-up (an ancestor watcher filters by the chain and misses some events below).
      rewatch(t);
    } else if (action === 'unlinkDir' && file.startsWith(t.root + path.sep)) {
      handlers.onEvent({ kind: t.kind, path: file, source: t.source, action });
    }
  }

  /**
   * chokidar drops a change that keeps the mtime: its fs.watch listener emits 'change' only when the
   * mtime moved or the atime is not newer than it, and `cp -p`, `rsync -t` and `touch -r` put both back
   * (seen with chokidar 5.0.0). The raw inotify event still arrives (reads do not raise one), so a raw
   * event on a matching file whose stat signature differs from the one last reported becomes a 'change'.
   * Most raw events belong to a write chokidar reports itself a few ms later (after its own stat): the
   * check waits RAW_SETTLE_MS (longer than chokidar's 100 ms atomic window) so those stay one event.
   * The run re-observes either way, and the content hash decides.
   */
  function onRawEvent(t: WatchTarget, name: unknown, details: unknown): void {
    const watched = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
    if (closed || typeof name !== 'string' || name === '' || typeof watched !== 'string') return;
    // fs.watch on a directory names the entry; on a file, it names the file itself.
    const candidates = [path.resolve(watched, name), ...(path.basename(watched) === name ? [path.resolve(watched)] : [])];
    const file = candidates.find((f) => t.match(f) && !ignore(f));
    if (file === undefined || rawChecks.has(file)) return;
    const timer = setTimeout(() => {
      rawChecks.delete(file);
      if (closed) return;
      const signature = signatureOf(file);
      if (signature === undefined || reported.get(file) === signature) return; // gone (chokidar reports it) or reported
      reported.set(file, signature);
      safe(() => handlers.onEvent({ kind: t.kind, path: file, source: t.source, action: 'change' }));
    }, RAW_SETTLE_MS);
    timer.unref();
    rawChecks.set(file, timer);
  }

  function remember(file: string): void {
    const signature = signatureOf(file);
    if (signature === undefined) reported.delete(file);
    else reported.set(file, signature);
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
      for (const timer of rawChecks.values()) clearTimeout(timer);
      rawChecks.clear();
      await Promise.allSettled([...live.values()].map(closeQuietly));
      live.clear();
    },
  };
}

/** How long a raw event waits for chokidar's own report of the same write (see onRawEvent). */
const RAW_SETTLE_MS = 200;

function signatureOf(file: string): string | undefined {
  try {
    const st = statFileSync(file);
    return st.isFile ? st.signature : undefined;
  } catch {
    return undefined;
  }
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
export function watchKey(config: ResolvedConfig, taskFiles: readonly string[] = []): string {
  return JSON.stringify({
    t: watchTargets(config, taskFiles).map((t) => [t.kind, t.source, t.root, t.pattern]),
    s: config.stateDir,
    o: config.outputsDir,
    i: config.watch.ignore,
  });
}
