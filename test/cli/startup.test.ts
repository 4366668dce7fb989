import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `relspec --help` must not load DuckDB or TypeScript (~0.8 s of CPU): main.ts lazy-imports each
 * command. The real bin/relspec.js runs with a module loader hook (node:module register) that
 * appends the URL of every module it loads to a file; the test reads that list.
 */
const CLI = path.resolve(import.meta.dirname, '../../bin/relspec.js');
const dir = mkdtempSync(path.join(tmpdir(), 'relspec-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The hooks run on the loader thread; appendFileSync keeps the record complete even when the CLI exits at once.
writeFileSync(
  path.join(dir, 'hooks.mjs'),
  `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.RELSPEC_LOADED_LOG, url + '\\n');
  return next(url, context);
}
`,
);
writeFileSync(path.join(dir, 'record.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);

let n = 0;
/** Runs the CLI in an empty directory; returns its exit code, stderr and the modules it loaded. */
function loaded(...args: string[]): { code: number; stdout: string; stderr: string; modules: string[] } {
  return loadedIn(dir, ...args);
}

function loadedIn(cwd: string, ...args: string[]): { code: number; stdout: string; stderr: string; modules: string[] } {
  const log = path.join(dir, `loaded-${++n}.txt`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(path.join(dir, 'record.mjs')).href, CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, RELSPEC_LOADED_LOG: log, NO_COLOR: '1' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, modules: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

// TypeScript is required from dist/code/typescript.cjs (src/code/typescript.cts): the hook sees that module, not the bundle.
const heavy = (modules: string[]) =>
  modules.filter((m) => /\/node_modules\/(@duckdb\/node-api|typescript)\/|\/dist\/code\/typescript\.cjs$/.test(m));

describe('CLI start-up', () => {
  it('the recorder sees DuckDB and TypeScript when a command loads them', () => {
    // Without this the assertions below could pass because the hook records nothing.
    // `validate` imports the project loader (lineage in DuckDB, code sources in TypeScript) before it
    // reads the config; `run`, `show` and `query` load them only when no daemon answers, after the config.
    const validate = loaded('validate');
    expect(validate.code).toBe(2); // no config here: E_CONFIG_LOAD, after validate.js loaded
    expect(validate.modules.some((m) => m.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(heavy(validate.modules).some((m) => m.includes('/@duckdb/node-api/'))).toBe(true);
    expect(heavy(validate.modules).some((m) => m.endsWith('/typescript.cjs'))).toBe(true);
  });

  it.each(['--help', 'help', 'help show', 'show --help', 'delta changes --help', 'history --limit x'])(
    '`relspec %s` loads neither DuckDB nor TypeScript',
    (line) => {
      const r = loaded(...line.split(' '));
      expect(r.modules.some((m) => m.endsWith('/dist/cli/main.js'))).toBe(true);
      expect(heavy(r.modules)).toEqual([]);
      expect(r.modules.filter((m) => m.includes('/dist/cli/commands/'))).toEqual([]);
    },
  );

  it('`relspec --version` (not a relspec flag: a usage error) loads neither', () => {
    const r = loaded('--version');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: unknown option '--version'\n");
    expect(heavy(r.modules)).toEqual([]);
  });

  describe('the SQLite read commands', () => {
    // A built state (one real `relspec run`), then a config whose `sources` is invalid: status, why
    // and history read only `state` from it, so they neither load zod (~50 ms, bench/cli.ts) nor refuse.
    const project = path.join(dir, 'project');
    const config = (extra: string) =>
      writeFileSync(
        path.join(project, 'watch.config.ts'),
        `export default { sources: { orders: { format: 'csv', path: 'orders.csv' } }, ${extra} };\n`,
      );
    beforeAll(() => {
      mkdirSync(path.join(project, 'tasks'), { recursive: true });
      writeFileSync(path.join(project, 'orders.csv'), 'id,amount\n1,10\n');
      writeFileSync(path.join(project, 'tasks', 'a.sql'), 'select id, amount from orders');
      config("state: 'records'");
      expect(spawnSync(process.execPath, [CLI, 'run'], { cwd: project, encoding: 'utf8' }).status).toBe(0);
    });
    const zod = (modules: string[]) => modules.filter((m) => m.includes('/node_modules/zod/'));

    it.each([['status'], ['why', 'a'], ['history']])('`relspec %s` reads the state without zod or DuckDB', (...args) => {
      config("state: 'records', watch: { debounceMs: 'soon' }");
      const r = loadedIn(project, ...args);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/\ba\b/);
      expect(zod(r.modules)).toEqual([]);
      expect(heavy(r.modules)).toEqual([]);
    });

    it('a `state` that is not a path is one E_CONFIG line', () => {
      config('state: 42');
      const r = loadedIn(project, 'status');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^relspec: E_CONFIG .*watch\.config\.ts: `state` must be a non-empty path/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });

    it('the recorder sees zod when a command validates the whole config', () => {
      config("state: 'records'");
      expect(zod(loadedIn(project, 'graph').modules)).not.toEqual([]);
    });
  });
});
