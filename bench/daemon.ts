import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

const CLI = path.resolve(import.meta.dirname, '../bin/relspec.js');

export type LogLine = Record<string, unknown>;

export interface WatchProc {
  child: ChildProcess;
  /** The next `--json-log` line matching `test`, with the time it was read (performance.now()). */
  next(test: (e: LogLine) => boolean, ms?: number): Promise<{ e: LogLine; at: number }>;
  stop(): Promise<void>;
}

/**
 * `relspec watch --json-log` in `dir` as a real process. Lines are timestamped as they are read,
 * so latencies do not include the awaiting code's own scheduling.
 */
export function spawnWatch(dir: string): WatchProc {
  const child = spawn(process.execPath, [CLI, 'watch', '--json-log'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  const waiters: { test: (e: LogLine) => boolean; resolve: (e: LogLine, at: number) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const at = performance.now();
    let e: LogLine;
    try {
      e = JSON.parse(line) as LogLine;
    } catch {
      return;
    }
    for (const w of [...waiters]) {
      if (!w.test(e)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(e, at);
    }
  });
  return {
    child,
    next: (test, ms = 30_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out waiting for the daemon')), ms);
        waiters.push({ test, resolve: (e, at) => (clearTimeout(timer), resolve({ e, at })) });
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
