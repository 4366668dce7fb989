import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { buildFingerprint } from '../../src/config/load.js';
import { RelspecErrors } from '../../src/errors.js';
import { createTable, writeTable } from '../../src/delta/write/index.js';
import { tempProject, withDuck, type TempProject } from '../helpers/project.js';

/**
 * engine.keyThreshold: the fraction of changed keys above which a key-scoped task refreshes in
 * full. Out of range is E_CONFIG naming the file and the fix; 0 turns refresh by key off, said as
 * the reason; changing it changes no output, so it is no config edit.
 */
const errorsOf = (raw: unknown): string[] => {
  try {
    resolveConfig(raw, '/p', 'cfg.ts');
  } catch (e) {
    if (e instanceof RelspecErrors) return e.errors.map((x) => x.oneLine());
    throw e;
  }
  return [];
};

describe('engine.keyThreshold in the config', () => {
  it('takes a fraction from 0 to 1 and refuses anything else, one line each', () => {
    expect(errorsOf({ engine: { keyThreshold: 0 } })).toEqual([]);
    expect(errorsOf({ engine: { keyThreshold: 1 } })).toEqual([]);
    expect(resolveConfig({ engine: { keyThreshold: 0.05 } }, '/p').engine.keyThreshold).toBe(0.05);
    const fix = 'use a fraction of keys from 0 to 1, e.g. 0.3 (0: never refresh by key)';
    expect(errorsOf({ engine: { keyThreshold: 30 } })).toEqual([`E_CONFIG cfg.ts: bad value for 'engine.keyThreshold': 30 — ${fix}`]);
    expect(errorsOf({ engine: { keyThreshold: -0.1 } })).toEqual([`E_CONFIG cfg.ts: bad value for 'engine.keyThreshold': -0.1 — ${fix}`]);
    expect(errorsOf({ engine: { keyThreshold: '0.3' } })).toEqual([
      `E_CONFIG cfg.ts: bad value for 'engine.keyThreshold': "0.3" — expected number`,
    ]);
    expect(errorsOf({ engine: { keyTreshold: 0.3 } })).toEqual([
      `E_CONFIG cfg.ts: unknown config key 'engine.keyTreshold' — did you mean 'engine.keyThreshold'?`,
    ]);
  });

  it('is not part of the build fingerprint (results are the same at any threshold)', () => {
    const a = resolveConfig({ engine: { threads: 2 } }, '/p');
    const b = resolveConfig({ engine: { threads: 2, keyThreshold: 0 } }, '/p');
    const c = resolveConfig({ engine: { threads: 3, keyThreshold: 0 } }, '/p');
    expect(buildFingerprint(b)).toBe(buildFingerprint(a));
    expect(buildFingerprint(c)).not.toBe(buildFingerprint(a));
  });
});

describe('engine.keyThreshold at run time', () => {
  let p: TempProject;
  const table = () => path.join(p.dir, 'data/events');
  const rowsOf = (keys: readonly number[], salt: number) =>
    `SELECT 'k' || k AS key, i::BIGINT AS n, (k * 7 + i * ${salt}) % 97 AS v FROM unnest([${keys.join(',')}]) u(k), range(5) r(i)`;
  const config = (engine: string) =>
    p.write('watch.config.ts', `export default { sources: { events: { format: 'delta', path: 'data/events' } }, engine: ${engine} };\n`);
  const update = (k: number, salt: number) =>
    withDuck((c) => writeTable(c, table(), { mode: 'replace', sql: rowsOf([k], salt), keys: ['key'] }));
  const runJson = () => {
    const r = p.cli(['run', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as {
      changes: { kind: string }[];
      tasks: { task: string; refresh?: { mode: string; keys?: number; reason?: { kind: string } } }[];
    };
  };
  const refreshOf = (o: ReturnType<typeof runJson>) => o.tasks.find((t) => t.task === 'per_key')?.refresh;

  beforeAll(async () => {
    p = tempProject({ 'tasks/per_key.sql': 'select key, count(*) as n, sum(v) as total from events group by key\n' });
    config('{}');
    await withDuck(async (c) => {
      await createTable(c, table(), {
        schema: [
          { name: 'key', type: 'VARCHAR' },
          { name: 'n', type: 'BIGINT' },
          { name: 'v', type: 'INTEGER' },
        ],
      });
      await writeTable(c, table(), {
        mode: 'append',
        sql: rowsOf(
          Array.from({ length: 50 }, (_, i) => i),
          3,
        ),
      });
    });
    expect(refreshOf(runJson())).toMatchObject({ mode: 'full', reason: { kind: 'first_build' } });
  });
  afterAll(() => p.cleanup());

  it('at the default a one-key update refreshes one key', async () => {
    await update(3, 5);
    expect(refreshOf(runJson())).toMatchObject({ mode: 'keys', keys: 1 });
  });

  it('at 0 a one-key update refreshes in full, said as the reason; no config edit', async () => {
    config('{ keyThreshold: 0 }');
    await update(4, 5);
    const o = runJson();
    expect(o.changes.map((c) => c.kind)).not.toContain('config_edited');
    expect(refreshOf(o)).toMatchObject({ mode: 'full', reason: { kind: 'keys_off' } });
    const why = p.cli(['why', 'per_key']);
    expect(why.stdout).toContain('refreshed in full: refresh by key is off (engine.keyThreshold is 0)');
  });

  it('at 0.01 one key of 50 (2%) is too many', async () => {
    config('{ keyThreshold: 0.01 }');
    await update(5, 6);
    expect(refreshOf(runJson())).toMatchObject({ mode: 'full', reason: { kind: 'too_many_keys', keys: 1, of: 50, threshold: 0.01 } });
  });
});
