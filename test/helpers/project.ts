import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { withMemoryDuck } from '../../src/engine/memory.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CLI = path.join(ROOT, 'bin/relspec.js');

export interface TempProject {
  dir: string;
  write(rel: string, text: string): string;
  rm(rel: string): void;
  /** Writes a parquet file from a DuckDB query. */
  parquet(rel: string, query: string): Promise<string>;
  cli(args: string[], opts?: { env?: NodeJS.ProcessEnv }): { code: number; stdout: string; stderr: string };
  cleanup(): void;
}

export function tempProject(files: Record<string, string> = {}): TempProject {
  const dir = mkdtempSync(path.join(tmpdir(), 'relspec-test-'));
  const write = (rel: string, text: string) => {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
    return p;
  };
  for (const [rel, text] of Object.entries(files)) write(rel, text);
  return {
    dir,
    write,
    rm: (rel) => rmSync(path.join(dir, rel), { force: true, recursive: true }),
    async parquet(rel, query) {
      const p = path.join(dir, rel);
      mkdirSync(path.dirname(p), { recursive: true });
      await withDuck((c) => c.run(`COPY (${query}) TO '${p.replace(/'/g, "''")}' (FORMAT parquet)`));
      return p;
    },
    cli(args, opts = {}) {
      const r = spawnSync(process.execPath, [CLI, ...args], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', ...opts.env },
      });
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Replaces the temp dir in CLI output so snapshots are stable. */
export const scrub = (s: string, dir: string): string => s.split(dir).join('<dir>');

/** A scratch in-memory DuckDB connection for the duration of `fn`. */
export const withDuck = withMemoryDuck;
