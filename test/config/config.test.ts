import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineConfig } from '../../src/index.js';
import { loadConfig, resolveConfig } from '../../src/config/index.js';
import { RelspecError, RelspecErrors } from '../../src/errors.js';
import { tempProject, type TempProject } from '../helpers/project.js';

let p: TempProject | undefined;
afterEach(() => p?.cleanup());

const errorsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    if (e instanceof RelspecErrors) return e.errors.map((x) => x.oneLine());
    if (e instanceof RelspecError) return [e.oneLine()];
    throw e;
  }
  throw new Error('expected an error');
};

describe('config', () => {
  it('defineConfig is the identity', () => {
    const c = { tasks: 'x' };
    expect(defineConfig(c)).toBe(c);
  });

  it('fills defaults and resolves paths against the config directory', () => {
    const c = resolveConfig({ sources: { a: { format: 'parquet', path: 'data/*.parquet' } } }, '/proj', '/proj/watch.config.ts');
    expect(c.tasksDir).toBe(path.resolve('/proj/tasks'));
    expect(c.stateDir).toBe(path.resolve('/proj/state'));
    expect(c.outputsDir).toBe(path.resolve('/proj/state/outputs'));
    expect(c.sources.a!.path).toBe(path.resolve('/proj/data/*.parquet'));
    expect(c.watch.debounceMs).toBe(100);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reports every bad key at once, with did-you-mean', () => {
    const errs = errorsOf(() =>
      resolveConfig({ sorces: {}, tasks: 3, sources: { a: { format: 'parket', path: 'x', optons: {} } } }, '/p', 'cfg.ts'),
    );
    expect(errs).toMatchInlineSnapshot(`
      [
        "E_CONFIG cfg.ts: bad value for 'sources.a.format': "parket" — use one of 'parquet', 'csv', 'json', 'delta', 'code' (did you mean 'parquet'?)",
        "E_CONFIG cfg.ts: unknown config key 'sources.a.optons' — did you mean 'sources.a.options'?",
        "E_CONFIG cfg.ts: bad value for 'tasks': 3 — expected string",
        "E_CONFIG cfg.ts: unknown config key 'sorces' — did you mean 'sources'?",
      ]
    `);
  });

  it('rejects source names that are not identifiers', () => {
    expect(errorsOf(() => resolveConfig({ sources: { 'my-src': { format: 'csv', path: 'a' } } }, '/p'))[0]).toContain(
      "bad source name 'sources.my-src'",
    );
  });

  it('loads a plain `export default {}` config outside the repository, with no import', async () => {
    p = tempProject({
      'cfg/watch.config.ts': `export default { tasks: 'sql', sources: { s: { format: 'csv', path: 'x.csv' } } } satisfies object;\n`,
    });
    const { config, hash } = await loadConfig('cfg/watch.config.ts', p.dir);
    expect(config.tasksDir).toBe(path.join(p.dir, 'cfg/sql'));
    expect(config.sources.s!.format).toBe('csv');
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('loads a config that imports defineConfig from relspec', async () => {
    p = tempProject();
    const file = p.write(
      'watch.config.ts',
      `import { defineConfig } from '${path.join(import.meta.dirname, '../../src/index.ts')}';\nexport default defineConfig({ state: '.state' });\n`,
    );
    const { config } = await loadConfig(file);
    expect(config.stateDir).toBe(path.join(p.dir, '.state'));
  });

  it('a syntax error names the file and the fix', async () => {
    p = tempProject({ 'watch.config.ts': 'export default { sources: { \n' });
    // Named with the line and column (1-based), like a compiler: `watch.config.ts:2:1`.
    await expect(loadConfig('watch.config.ts', p.dir)).rejects.toMatchObject({
      code: 'E_CONFIG_LOAD',
      file: `${path.join(p.dir, 'watch.config.ts')}:2:1`,
      message: 'syntax error: Unexpected token',
      fix: 'fix the syntax at line 2, column 1',
    });
  });

  it('a missing config file is a clear error', async () => {
    p = tempProject();
    const e = (await loadConfig('nope.ts', p.dir).catch((x: unknown) => x)) as RelspecError;
    expect(e.oneLine()).toBe(`E_CONFIG_LOAD ${path.join(p.dir, 'nope.ts')}: config file not found — create nope.ts or pass --config PATH`);
  });

  it('a config that exports a non-object is rejected', async () => {
    p = tempProject({ 'watch.config.ts': 'export default 42;\n' });
    await expect(loadConfig('watch.config.ts', p.dir)).rejects.toThrow(/config must export an object, got number/);
  });
});
