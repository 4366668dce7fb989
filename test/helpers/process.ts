/**
 * Real `relspec` processes for tests and the torture suites: `node bin/relspec.js …` (which runs dist/, so
 * build first with `npx tsc -p tsconfig.json`), its stdout read line by line, waits for a line, SIGTERM or
 * SIGKILL at a chosen moment, a restart of the same command, the exit code and signal.
 *
 * `spawnCli` keeps raw lines (any command); `spawnDaemon` runs `watch --json-log` and parses each line
 * into a log entry. Both sit on one reader, so waiting, killing and exiting behave the same.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CLI } from './project.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What both kinds of process share: the child, its stderr, its exit. */
interface Running {
  proc: ChildProcess;
  pid: number;
  stderr(): string;
  exited: Promise<Exit>;
  /** The process has exited. */
  done(): boolean;
  /** SIGKILL now (no-op after exit); resolves on exit. */
  kill9(): Promise<Exit>;
  /** SIGTERM (no-op after exit) and wait for the exit. */
  stop(): Promise<Exit>;
}

/** A process's stdout as items (one per line) with a wait for the first item matching a predicate. */
interface Reader<T> extends Running {
  items: T[];
  /** The index of the first item (≥ from) matching `pred`, or -1 once the process exits without one; rejects on timeout. */
  waitIndex(pred: (item: T) => boolean, from: number, timeoutMs: number, describe: () => string): Promise<number>;
}

function read<T>(cwd: string, argv: string[], env: NodeJS.ProcessEnv, parse: (line: string) => T): Reader<T> {
  const proc = spawn(process.execPath, [CLI, ...argv], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const items: T[] = [];
  let buf = '';
  let err = '';
  let finished = false;
  const waiters = new Set<() => void>();
  const wake = () => [...waiters].forEach((w) => w());
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      items.push(parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
    wake();
  });
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<Exit>((resolve) =>
    proc.on('exit', (code, signal) => {
      finished = true;
      if (buf) items.push(parse(buf));
      buf = '';
      wake();
      resolve({ code, signal });
    }),
  );
  const signal = async (s: NodeJS.Signals) => {
    if (!finished) proc.kill(s);
    return exited;
  };
  return {
    proc,
    pid: proc.pid!,
    items,
    stderr: () => err,
    exited,
    done: () => finished,
    kill9: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
    waitIndex: (pred, from, timeoutMs, describe) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const i = items.findIndex((x, j) => j >= from && pred(x));
          if (i >= 0) return finish(() => resolve(i));
          if (finished) finish(() => resolve(-1));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`timeout waiting for ${describe()}\nstderr:\n${err}`))), timeoutMs);
        const finish = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      }),
  };
}

export interface Proc extends Running {
  lines: string[];
  /** Resolves with the index of the first line (≥ from) matching `pred`, or -1 once the process exits without one. */
  waitLine(pred: (line: string) => boolean, from?: number, timeoutMs?: number): Promise<number>;
  /** Stops this process (SIGTERM, if still running) and starts the same command again. */
  restart(): Promise<Proc>;
}

/** `relspec ARGS` in `cwd` with NO_COLOR, its stdout as raw lines. */
export function spawnCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const r = read(cwd, args, { NO_COLOR: '1', ...env }, (line) => line);
  return {
    ...r,
    lines: r.items,
    waitLine: (pred, from = 0, timeoutMs = 120_000) =>
      r.waitIndex(pred, from, timeoutMs, () => `a line of relspec ${args.join(' ')}; output:\n${r.items.join('\n')}`),
    async restart() {
      await r.stop();
      return spawnCli(cwd, args, env);
    },
  };
}

/** One line of `relspec watch --json-log` (src/daemon/log.ts); a line that is not JSON is kept as tag `raw`. */
export interface Entry {
  time: string;
  tag: string;
  event: string;
  message: string;
  [k: string]: unknown;
}

export interface DaemonProc extends Running {
  entries: Entry[];
  /** Resolves with the first entry (at index ≥ from) matching `pred`; rejects on exit or timeout. */
  waitFor(pred: (e: Entry) => boolean, opts?: { from?: number; timeoutMs?: number }): Promise<Entry>;
  /** The next finished run after index `from`. */
  nextRun(from: number, timeoutMs?: number): Promise<Entry>;
  /** The current end of the log: pass it as `from` to wait only for entries logged after now. */
  mark(): number;
  /** Stops this daemon (SIGTERM, if still running) and starts another on the same project with the same arguments. */
  restart(): Promise<DaemonProc>;
}

const entryOf = (line: string): Entry => {
  try {
    return JSON.parse(line) as Entry;
  } catch {
    return { time: '', tag: 'raw', event: 'raw', message: line };
  }
};

/** `relspec watch --json-log ARGS` in `dir`, its stdout parsed line by line (the caller's environment as is). */
export function spawnDaemon(dir: string, args: string[] = []): DaemonProc {
  const r = read(dir, ['watch', '--json-log', ...args], {}, entryOf);
  const log = () => r.items.map((e) => `${e.tag} ${e.event} ${e.message}`).join('\n');
  const waitFor: DaemonProc['waitFor'] = async (pred, { from = 0, timeoutMs = 20_000 } = {}) => {
    const i = await r.waitIndex(pred, from, timeoutMs, () => `a log line; log:\n${log()}`);
    if (i < 0) throw new Error(`daemon exited before the awaited line; stderr: ${r.stderr()}\nlog:\n${log()}`);
    return r.items[i]!;
  };
  return {
    ...r,
    entries: r.items,
    waitFor,
    nextRun: (from, timeoutMs) => waitFor((e) => e.tag === 'run' && e.event === 'finished', { from, timeoutMs }),
    mark: () => r.items.length,
    async restart() {
      await r.stop();
      return spawnDaemon(dir, args);
    },
  };
}

export const isReady = (e: Entry): boolean => e.tag === 'watch' && e.event === 'ready';
/** The tasks a `run finished` entry reports as built, sorted. */
export const builtIn = (e: Entry): string[] =>
  ((e.tasks as { task: string; status: string }[]) ?? [])
    .filter((t) => t.status === 'built')
    .map((t) => t.task)
    .sort();

/** `relspec ARGS` to completion, with NO_COLOR. */
export function cliSync(cwd: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves once process `pid` is idle: asleep with no CPU time used for a second (Linux:
 * /proc/<pid>/stat). A process that hangs on purpose (a config load that never settles) gets there
 * only after its start-up — however long a loaded machine makes that — so a signal sent then meets
 * the handlers it installed, not Node's default action. Rejects after `timeoutMs`.
 */
export async function idleProcess(pid: number, timeoutMs = 60_000): Promise<void> {
  const sample = () => {
    // Fields after the parenthesised command: state is the 1st, utime and stime the 12th and 13th.
    const rest = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ');
    return { state: rest[0], cpu: Number(rest[11]) + Number(rest[12]) };
  };
  const t0 = Date.now();
  let last = sample();
  let still = 0;
  while (still < 4) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`process ${pid} did not go idle within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
    const now = sample();
    still = now.state === 'S' && now.cpu === last.cpu ? still + 1 : 0;
    last = now;
  }
}
