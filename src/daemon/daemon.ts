import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/types.js';
import { RelspecError, isKnownError } from '../errors.js';
import { CodeExtractors } from '../sources/index.js';
import { Store } from '../state/store.js';
import { Backoff } from './backoff.js';
import { acquireLock, type StateLock } from '../state/lock.js';
import { createLog, type Log, type LogSink } from './log.js';
import { logBatch, logConfigErrors, type Batch } from './report.js';
import { daemonRun, type RunHost } from './runs.js';
import { closeSession, openSession, type Session } from './session.js';
import { startWatcher, watchKey, type WatchEvent, type Watcher } from './watcher.js';
import { startSocketServer, type SocketServer } from '../serve/socketServer.js';
import type { DaemonAccess, RequestedRun } from '../serve/daemonAccess.js';
import { RunRequests } from './requests.js';
import { startDaemonUi, UiEvents, type UiServer } from '../serve/http/daemonUi.js';

export interface DaemonOptions {
  configPath?: string;
  cwd?: string;
  jsonLog?: boolean;
  /** Receives every log line (default: stdout). */
  onLog?: LogSink;
  /** How long stop() lets the running task finish before interrupting DuckDB. */
  graceMs?: number;
  /** The page's port (`relspec watch --port`), over `watch.port`. */
  port?: number;
}

export interface Daemon {
  /** Resolves after the start-up reconcile, once watching ("watching N paths" is logged). */
  ready: Promise<void>;
  /** Stop watching, finish the running task, record the run as interrupted, release the lock. */
  stop(): Promise<void>;
  /** Resolves when the daemon has released everything (after stop(), or a failed start). */
  closed: Promise<void>;
}

export function startDaemon(opts: DaemonOptions = {}): Daemon {
  const d = new WatchDaemon(opts);
  const ready = d.start();
  ready.catch(() => undefined); // the caller awaits `ready`; never an unhandled rejection here
  return { ready, stop: () => d.stop(), closed: d.closed };
}

const emptyBatch = (): Batch => ({ events: 0, tasks: new Set(), sources: new Set(), config: false });

class WatchDaemon {
  private readonly log: Log;
  private readonly abort = new AbortController();
  private loaded!: LoadedConfig;
  private lock?: StateLock;
  private session?: Session;
  private watcher?: Watcher;
  private watchKey = '';
  private configBroken = false; // the last load failed: report its fix even if it equals the running config
  /** Files and globs tasks read through table functions, as of the last run: watched too. */
  private taskFiles: string[] = [];
  private batch = emptyBatch();
  private firstEventAt = 0;
  private lastEventAt = 0;
  private timer?: NodeJS.Timeout;
  private loop?: Promise<void>;
  private queued = false;
  private readonly requests = new RunRequests();
  private socket?: SocketServer;
  private ui?: UiServer; // the page and API (src/serve/http), fed run and task events by the run loop
  private readonly events = new UiEvents();
  /** A state fault (full disk, corrupt or locked store): retried on a timer, since no event may follow. */
  private readonly stateRetry = new Backoff();
  private readonly codeExtractors = new CodeExtractors({ keepWarm: true }); // a save costs the edit, not a program build
  private reconciled = false;
  private stopping = false;
  private starting?: Promise<void>;
  private stopped?: Promise<void>;
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((r) => (this.resolveClosed = r));

  constructor(private readonly opts: DaemonOptions) {
    this.log = createLog(opts.jsonLog ?? false, opts.onLog);
  }

  start(): Promise<void> {
    this.starting = this.startInner().catch(async (e) => {
      await this.teardown();
      this.resolveClosed();
      // Stopped while starting (a config still loading): a clean stop, not a start-up error.
      if (this.stopping) return;
      throw e;
    });
    return this.starting;
  }

  private async startInner(): Promise<void> {
    this.loaded = await loadConfig(this.opts.configPath, this.opts.cwd, { signal: this.abort.signal });
    const c = this.loaded.config;
    this.lock = acquireLock(c.stateDir, 'daemon');
    this.log('daemon', 'start', `relspec watch (pid ${process.pid}) on ${c.stateDir}, config ${c.configFile ?? '(in memory)'}`, {
      pid: process.pid,
      stateDir: c.stateDir,
      config: c.configFile,
    });
    this.session = await openSession(c);
    if (this.stopping) return;
    this.socket = await startSocketServer(c.stateDir, this.access, this.log);
    const now = () => ({ loaded: this.loaded, instance: this.session?.warehouse.instance });
    this.ui = await startDaemonUi(this.events, this.log, now, this.opts.port);
    // Watch before the reconcile: a change made while it runs is then queued, not missed.
    await this.rewatch(c);
    if (this.stopping) return;
    await this.kick(); // the first pass is the start-up reconcile; it logs "watching N paths"
  }

  stop(): Promise<void> {
    this.stopped ??= this.stopInner();
    return this.stopped;
  }

  private async stopInner(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.stateRetry.cancel();
    this.log('daemon', 'stopping', 'stopping: no new task starts; waiting for the running one');
    this.abort.abort(); // run() checks it between tasks and records the run as interrupted
    const graceMs = this.opts.graceMs ?? 5000;
    // A long DuckDB query does not look at the signal: after the grace period, interrupt it.
    const grace = setTimeout(() => {
      this.log('daemon', 'interrupt', `still running after ${graceMs} ms: interrupting the query`);
      try {
        this.session?.warehouse.interrupt();
      } catch {
        /* nothing running */
      }
    }, graceMs);
    try {
      await this.watcher?.close();
      await this.starting?.catch(() => undefined);
      await this.loop;
    } finally {
      clearTimeout(grace);
    }
    this.requests.cancelAll();
    await this.teardown();
    this.log('daemon', 'stopped', 'stopped');
    this.resolveClosed();
  }

  private async teardown(): Promise<void> {
    const w = this.watcher;
    this.watcher = undefined;
    await w?.close().catch(() => undefined);
    await this.socket?.close();
    this.socket = undefined;
    await this.ui?.close();
    this.ui = undefined;
    closeSession(this.session);
    this.session = undefined;
    this.codeExtractors.dispose();
    this.lock?.release();
    this.lock = undefined;
  }

  // --- events → batch → debounce → single-flight loop -------------------------------------------

  private onEvent = (e: WatchEvent): void => {
    const b = this.batch;
    b.events++;
    if (e.kind === 'config') b.config = true;
    else if (e.kind === 'task') b.tasks.add(path.relative(this.loaded.config.root, e.path));
    else b.sources.add(e.source ?? e.path);
    this.schedule();
  };

  private onWatchError = (err: Error): void => {
    // A watcher error may mean lost events (overflow, ENOSPC): rescan verifies every task.
    this.log('watch', 'error', `watcher error: ${err.message}; rescanning`, { error: err.message });
    this.batch.rescan = `watcher error: ${err.message}`;
    this.batch.events++;
    this.schedule();
  };

  private schedule(): void {
    const now = Date.now();
    if (this.batch.events === 1) this.firstEventAt = now;
    this.lastEventAt = now;
    if (this.stopping) return;
    if (this.loop) {
      this.queued = true;
      return;
    }
    // Not reset on every event: the loop itself waits for quiet (bounded), so a steady stream of
    // writes cannot postpone runs forever.
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.kick();
    }, this.debounceMs());
  }

  private debounceMs(): number {
    return this.loaded.config.watch.debounceMs;
  }

  /** Starts the loop unless it is running; never rejects. */
  private kick(): Promise<void> {
    if (this.loop) {
      this.queued = true;
      return this.loop;
    }
    this.loop = this.runLoop()
      .catch((e) => this.log('daemon', 'error', `internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`))
      .finally(() => (this.loop = undefined));
    return this.loop;
  }

  private async runLoop(): Promise<void> {
    do {
      this.queued = false;
      await this.quiet();
      if (this.stopping) break;
      await this.runOnce();
      await this.requests.drain(() => this.stopping);
    } while ((this.queued || this.requests.size > 0) && !this.stopping);
  }

  /** What the socket's handlers use (src/serve): the session, and runs through this loop. */
  private readonly access: DaemonAccess = {
    session: () => this.session,
    run: (r) => {
      const done = this.requests.add(() => this.runRequested(r));
      if (this.stopping) this.requests.cancelAll();
      else void this.kick();
      return done;
    },
  };

  /** A `relspec run` / `plan` from the CLI: one run like a watch pass, with the CLI's selection. */
  private async runRequested(r: RequestedRun): ReturnType<DaemonAccess['run']> {
    try {
      const out = await daemonRun(this.runHost(), { ...r, trigger: 'cli' }); // select, fullRefresh, dryRun, onTask
      return { outcome: out, loaded: this.loaded };
    } catch (e) {
      if (e instanceof RelspecError && e.code === 'E_STATE') await this.onStateFault(e);
      else if (!isKnownError(e)) await this.reopenSession();
      throw e;
    }
  }

  private runHost(): RunHost {
    const { loaded, session, codeExtractors, log, events } = this;
    return { loaded, session, signal: this.abort.signal, codeExtractors, log, events };
  }

  /** Coalesce a burst: wait until `debounceMs` passed since the last event (at most ~10 debounces). */
  private async quiet(): Promise<void> {
    const d = this.debounceMs();
    const deadline = this.firstEventAt + Math.max(1000, 10 * d);
    for (;;) {
      const wait = Math.min(this.lastEventAt + d, deadline) - Date.now();
      if (wait <= 0 || this.stopping || this.batch.events === 0) return;
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  private async runOnce(): Promise<void> {
    const batch = this.batch;
    this.batch = emptyBatch();
    const startup = !this.reconciled;
    if (!startup && batch.events === 0) return;
    const trigger = startup ? 'reconcile' : batch.rescan ? 'rescan' : 'watch';
    logBatch(this.log, batch, trigger);
    const onlyConfig = batch.tasks.size === 0 && batch.sources.size === 0 && !batch.rescan;
    // An invalid config edit alone changes nothing: the old config keeps running, no run needed.
    if (batch.config && !(await this.reloadConfig()) && onlyConfig && !startup) return;
    if (this.stopping) return;
    try {
      // We hold the lock: a run left 'running' by a state fault is ours, and failed (not crashed).
      if (this.stateRetry.attempts > 0 && this.session) new Store(this.session.db).failRunningRuns();
      const out = await daemonRun(this.runHost(), { reconcile: startup, rescanReason: batch.rescan, trigger });
      if (this.stateRetry.attempts > 0)
        this.log('run', 'state_recovered', `the state is usable again after ${this.stateRetry.attempts} failed attempt(s)`, {
          attempts: this.stateRetry.attempts,
        });
      this.stateRetry.succeed();
      // A task now reads other files (an edit, a glob gaining a directory): watch those.
      this.taskFiles = out.taskFiles;
      if (watchKey(this.loaded.config, this.taskFiles) !== this.watchKey && !this.stopping) await this.rewatch(this.loaded.config);
    } catch (e) {
      // Bad input never takes the daemon down: log it, keep watching; the next event retries.
      // run() recorded a run that threw as failed (src/incremental/run.ts).
      logConfigErrors(this.log, 'run', e, 'run failed');
      if (e instanceof RelspecError && e.code === 'E_STATE') await this.onStateFault(e);
      else if (!isKnownError(e)) await this.reopenSession();
    }
    if (startup) {
      this.reconciled = true;
      if (!this.stopping)
        this.log('watch', 'ready', `watching ${this.watcher?.paths.length ?? 0} paths`, { paths: this.watcher?.paths ?? [] });
    }
  }

  /**
   * The state failed (disk full, corrupt, locked): reopen the handles (DuckDB invalidates an instance
   * after an IO error) and retry with backoff as a rescan — traces are truth, so the retry converges
   * whatever the failed run had written.
   */
  private async onStateFault(e: RelspecError): Promise<void> {
    const delay = this.stateRetry.fail(() => {
      if (this.stopping) return;
      this.batch.rescan = `retry after ${e.code} ${e.file ?? ''}`.trim();
      this.batch.events++;
      this.schedule();
    });
    this.log('run', 'state_fault', `${e.oneLine()} (retrying in ${(delay / 1000).toFixed(0)} s)`, {
      error: e.toJSON(),
      retryMs: delay,
      attempt: this.stateRetry.attempts,
    });
    await this.reopenSession();
  }

  // --- config reload ----------------------------------------------------------------------------

  /** Loads the edited config; on success swaps it in (and re-watches). Returns false if invalid. */
  private async reloadConfig(): Promise<boolean> {
    let next: LoadedConfig;
    try {
      next = await loadConfig(this.opts.configPath, this.opts.cwd, { signal: this.abort.signal });
    } catch (e) {
      logConfigErrors(this.log, 'config', e, 'config invalid; keeping the previous config');
      this.configBroken = true;
      return false;
    }
    const unchanged = next.hash === this.loaded.hash;
    if (unchanged && !this.configBroken) return true;
    const prev = this.loaded.config;
    const c = next.config;
    try {
      // Re-watch first: if that fails nothing else has changed yet.
      if (watchKey(c, this.taskFiles) !== this.watchKey) await this.rewatch(c);
      if (c.stateDir !== prev.stateDir || JSON.stringify(c.engine) !== JSON.stringify(prev.engine)) await this.moveState(c);
      this.loaded = next;
    } catch (e) {
      logConfigErrors(this.log, 'config', e, 'cannot apply the new config; keeping the previous one');
      this.configBroken = true;
      return false;
    }
    this.configBroken = false;
    this.log('config', 'reloaded', `config ${unchanged ? 'valid again' : 'reloaded'} (${next.hash})`, { hash: next.hash });
    return true;
  }

  /** A new state directory or engine settings: new lock first, so a refusal keeps the old state. */
  private async moveState(c: ResolvedConfig): Promise<void> {
    const sameDir = c.stateDir === this.loaded.config.stateDir;
    const lock = sameDir ? this.lock : acquireLock(c.stateDir, 'daemon');
    closeSession(this.session);
    this.session = undefined;
    try {
      this.session = await openSession(c);
    } catch (e) {
      if (!sameDir) lock?.release();
      this.session = await openSession(this.loaded.config);
      throw e;
    }
    if (!sameDir) {
      this.lock?.release();
      this.lock = lock;
      // The CLI finds a daemon by the socket and daemon.json in the state directory it reads.
      const old = this.socket;
      this.socket = await startSocketServer(c.stateDir, this.access, this.log);
      await old?.close();
      this.ui?.moveTo(c.stateDir);
    }
  }

  /** After an unexpected error the DuckDB handle may be unusable (e.g. invalidated): start fresh. */
  private async reopenSession(): Promise<void> {
    closeSession(this.session);
    this.session = undefined;
    try {
      this.session = await openSession(this.loaded.config);
    } catch (e) {
      // Without a session, run() opens and closes its own handles each time: slower, still correct.
      logConfigErrors(this.log, 'daemon', e, 'cannot reopen the state; runs will open it themselves');
    }
  }

  private async rewatch(c: ResolvedConfig): Promise<void> {
    // New watcher first, then close the old one: no window without a watch.
    const next = await startWatcher(c, { onEvent: this.onEvent, onError: this.onWatchError }, this.taskFiles);
    const old = this.watcher;
    this.watcher = next;
    this.watchKey = watchKey(c, this.taskFiles);
    await old?.close();
    if (this.stopping) await next.close();
    if (old) this.log('watch', 'rewatch', `watching ${next.paths.length} paths`, { paths: next.paths });
  }
}
