import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnWatch, type WatchProc } from './daemon.js';

/**
 * What the serving benches share (issue 13): a small project, a real `relspec watch` with its page's
 * address from state/daemon.json, timed CLI processes, percentiles.
 */
const CLI = path.resolve(import.meta.dirname, '../bin/relspec.js');

export const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))]!;

export const people = (n: number): string => 'id,name\n' + Array.from({ length: n }, (_, i) => `${i},p${i}`).join('\n') + '\n';

/** One CSV source and a 3-task chain (names → cnt, first), as in the browser test. */
export function writeSmallProject(dir: string): void {
  mkdirSync(path.join(dir, 'tasks'), { recursive: true });
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  writeFileSync(
    path.join(dir, 'watch.config.ts'),
    "export default { sources: { people: { format: 'csv', path: 'data/people.csv' } }, watch: { debounceMs: 50 } };\n",
  );
  writeFileSync(path.join(dir, 'data', 'people.csv'), people(100));
  writeFileSync(path.join(dir, 'tasks', 'names.sql'), 'select id, upper(name) as name from people\n');
  writeFileSync(path.join(dir, 'tasks', 'cnt.sql'), 'select count(*) as n from names\n');
  writeFileSync(path.join(dir, 'tasks', 'first.sql'), 'select min(id) as id from people\n');
}

/** Where the daemon's page listens, as written to STATE/daemon.json. */
export interface UiAddress {
  url: string;
  port: number;
  token: string;
}

export interface Served {
  d: WatchProc;
  ui: UiAddress;
  stateDir: string;
}

/** `relspec watch --json-log` in `dir`, once it watches and has written state/daemon.json. */
export async function startServed(dir: string, readyMs = 120_000): Promise<Served> {
  const d = spawnWatch(dir);
  try {
    await d.next((e) => e.tag === 'watch' && e.event === 'ready', readyMs);
    const stateDir = path.join(dir, 'state');
    const file = path.join(stateDir, 'daemon.json');
    if (!existsSync(file)) throw new Error(`the daemon is ready but wrote no ${file}`);
    const ui = JSON.parse(readFileSync(file, 'utf8')) as UiAddress;
    return { d, ui, stateDir };
  } catch (e) {
    await d.stop();
    throw e;
  }
}

export interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `relspec ARGS` to completion, wall time from spawn to exit. Asynchronous on purpose: a daemon of
 * ours may be writing its log to a pipe this process reads, and a blocked event loop would stall it.
 */
export function timedCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - t0, code, stdout, stderr }));
  });
}
