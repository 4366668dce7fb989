import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DuckDBInstance } from '@duckdb/node-api';
import { CLI } from '../helpers/project.js';

export interface Entry {
  time: string;
  tag: string;
  event: string;
  message: string;
  [k: string]: unknown;
}

export interface DaemonProc {
  proc: ChildProcess;
  pid: number;
  entries: Entry[];
  stderr(): string;
  /** Resolves with the first entry (at index ≥ from) matching `pred`; rejects on exit or timeout. */
  waitFor(pred: (e: Entry) => boolean, opts?: { from?: number; timeoutMs?: number }): Promise<Entry>;
  /** The next finished run after index `from`. */
  nextRun(from: number, timeoutMs?: number): Promise<Entry>;
  mark(): number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `node bin/relspec.js watch --json-log` in `dir`, its stdout parsed line by line. */
export function spawnDaemon(dir: string, args: string[] = []): DaemonProc {
  const proc = spawn(process.execPath, [CLI, 'watch', '--json-log', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const entries: Entry[] = [];
  let err = '';
  let buf = '';
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((w) => w());
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        entries.push(JSON.parse(line) as Entry);
      } catch {
        entries.push({ time: '', tag: 'raw', event: 'raw', message: line });
      }
    }
    wake();
  });
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => {
      done = true;
      wake();
      resolve({ code, signal });
    }),
  );
  const waitFor: DaemonProc['waitFor'] = (pred, { from = 0, timeoutMs = 20_000 } = {}) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hit = entries.slice(from).find(pred);
        if (hit) return finish(() => resolve(hit));
        if (done) finish(() => reject(new Error(`daemon exited before the awaited line; stderr: ${err}\nlog:\n${dump()}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`timeout waiting for a log line; stderr: ${err}\nlog:\n${dump()}`))),
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
  const dump = () => entries.map((e) => `${e.tag} ${e.event} ${e.message}`).join('\n');
  return {
    proc,
    pid: proc.pid!,
    entries,
    stderr: () => err,
    waitFor,
    nextRun: (from, timeoutMs) => waitFor((e) => e.tag === 'run' && e.event === 'finished', { from, timeoutMs }),
    mark: () => entries.length,
    exited,
    async stop() {
      if (!done) proc.kill('SIGTERM');
      return exited;
    },
  };
}

export const isReady = (e: Entry) => e.tag === 'watch' && e.event === 'ready';
export const builtIn = (e: Entry): string[] =>
  ((e.tasks as { task: string; status: string }[]) ?? [])
    .filter((t) => t.status === 'built')
    .map((t) => t.task)
    .sort();

/** Runs and task runs from the state database, read-only (works while the daemon writes). */
export function stateRows<T>(dir: string, sql: string): T[] {
  const db = new Database(path.join(dir, 'state/relspec.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** Every relation of a warehouse (outside relspec's slices) with its rows, sorted. Open only when no process holds it. */
export async function dumpWarehouse(file: string): Promise<Record<string, unknown[]>> {
  const inst = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const c = await inst.connect();
  try {
    const rels = (
      await c.runAndReadAll(
        `SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE schema_name <> 'relspec_slices'
         UNION ALL SELECT schema_name || '.' || view_name FROM duckdb_views() WHERE NOT internal AND schema_name <> 'relspec_slices' AND view_name NOT LIKE '__view__%'`,
      )
    )
      .getRows()
      .map((r) => String(r[0]))
      .sort();
    const out: Record<string, unknown[]> = {};
    for (const r of rels) {
      const [s, t] = r.split('.');
      out[r] = (await c.runAndReadAll(`SELECT * FROM "${s}"."${t}" ORDER BY ALL`)).getRowsJson();
    }
    return out;
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

/** A copy of the project without its state: for a clean-build comparison. */
export function copyWithoutState(dir: string): string {
  const to = mkdtempSync(path.join(tmpdir(), 'relspec-clean-'));
  cpSync(dir, to, { recursive: true, filter: (src) => !src.startsWith(path.join(dir, 'state')) });
  return to;
}
