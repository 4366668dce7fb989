/**
 * Real `relspec` processes for the torture suites: spawn `node bin/relspec.js …` (which runs dist/),
 * read its output line by line, wait for a line, SIGKILL it at a chosen moment.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { CLI } from '../helpers/project.js';

export interface Proc {
  proc: ChildProcess;
  lines: string[];
  stderr(): string;
  /** Resolves with the index of the first line (≥ from) matching `pred`, or -1 once the process exits without one. */
  waitLine(pred: (line: string) => boolean, from?: number, timeoutMs?: number): Promise<number>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL now (no-op after exit); resolves on exit. */
  kill9(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  done(): boolean;
}

export function spawnCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const proc = spawn(process.execPath, [CLI, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  const lines: string[] = [];
  let buf = '';
  let err = '';
  let finished = false;
  const waiters = new Set<() => void>();
  const wake = () => [...waiters].forEach((w) => w());
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
    wake();
  });
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => {
      finished = true;
      if (buf) lines.push(buf);
      buf = '';
      wake();
      resolve({ code, signal });
    }),
  );
  return {
    proc,
    lines,
    stderr: () => err,
    done: () => finished,
    exited,
    waitLine(pred, from = 0, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const i = lines.findIndex((l, j) => j >= from && pred(l));
          if (i >= 0) return finish(() => resolve(i));
          if (finished) finish(() => resolve(-1));
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(new Error(`timeout waiting for a line of relspec ${args.join(' ')}; output:\n${lines.join('\n')}\nstderr:\n${err}`)),
            ),
          timeoutMs,
        );
        const finish = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
    async kill9() {
      if (!finished) proc.kill('SIGKILL');
      return exited;
    },
  };
}

/** `relspec ARGS` to completion. */
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
