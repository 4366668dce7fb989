import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { withMemoryDuck } from '../../src/engine/memory.js';
import { createTempTree } from './tempTree.js';

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

/** A project in a temp tree (test/helpers/tempTree.ts); its owner calls `cleanup()`. */
export function tempProject(files: Record<string, string> = {}): TempProject {
  const tree = createTempTree(files);
  const dir = tree.root;
  return {
    dir,
    write: tree.write,
    rm: tree.remove,
    async parquet(rel, query) {
      const p = tree.path(rel);
      tree.mkdir(path.dirname(rel));
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
    cleanup: tree.dispose,
  };
}

/** Replaces the temp dir in CLI output so snapshots are stable. */
export const scrub = (s: string, dir: string): string => s.split(dir).join('<dir>');

/** A scratch in-memory DuckDB connection for the duration of `fn`. */
export const withDuck = withMemoryDuck;
