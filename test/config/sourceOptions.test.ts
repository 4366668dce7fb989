import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, resolveConfig } from '../../src/config/index.js';
import { SOURCE_OPTIONS } from '../../src/config/readerOptions.js';
import { RelspecError, RelspecErrors } from '../../src/errors.js';
import { ROOT, scrub, tempProject } from '../helpers/project.js';

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
const resolve = (sources: Record<string, unknown>) => resolveConfig({ sources }, '/p', 'cfg.ts');

describe('sources.NAME.options', () => {
  it('reports every unknown option of every source at once, with did-you-mean', () => {
    const errs = errorsOf(() =>
      resolve({
        people: { format: 'csv', path: 'a.csv', options: { delimm: ';', header: true } },
        lake: { format: 'delta', path: 'lake', options: { verison: 1 } },
        ev: { format: 'parquet', path: '*.parquet', options: { hive_partitionning: true } },
        logs: { format: 'json', path: '*.json', options: { formatt: 'newline_delimited' } },
        code: { format: 'code', path: 'src/**/*.ts', options: { depth: 2 } },
      }),
    );
    expect(errs).toEqual([
      "E_CONFIG cfg.ts: unknown option 'sources.people.options.delimm' — did you mean 'sources.people.options.delim'?",
      "E_CONFIG cfg.ts: unknown option 'sources.lake.options.verison' — did you mean 'sources.lake.options.version'?",
      "E_CONFIG cfg.ts: unknown option 'sources.ev.options.hive_partitionning' — did you mean 'sources.ev.options.hive_partitioning'?",
      "E_CONFIG cfg.ts: unknown option 'sources.logs.options.formatt' — did you mean 'sources.logs.options.format'?",
      "E_CONFIG cfg.ts: unknown option 'sources.code.options.depth' — remove it (code sources take no options)",
    ]);
  });

  it('rejects values of the wrong type, and a delta pin by both version and timestamp', () => {
    const errs = errorsOf(() =>
      resolve({
        people: { format: 'csv', path: 'a.csv', options: { header: 'yes', skip: 1.5 } },
        lake: { format: 'delta', path: 'lake', options: { version: -1 } },
        both: { format: 'delta', path: 'lake', options: { version: 1, timestamp: '2024-01-01' } },
        when: { format: 'delta', path: 'lake', options: { timestamp: 'last tuesday' } },
      }),
    );
    expect(errs).toEqual([
      'E_CONFIG cfg.ts: bad value for \'sources.people.options.header\': "yes" — expected true or false',
      "E_CONFIG cfg.ts: bad value for 'sources.people.options.skip': 1.5 — expected an integer",
      "E_CONFIG cfg.ts: bad value for 'sources.lake.options.version': -1 — expected a non-negative integer",
      "E_CONFIG cfg.ts: 'sources.both.options.version' and 'sources.both.options.timestamp' are both set — pin the table by one of them",
      "E_CONFIG cfg.ts: bad value for 'sources.when.options.timestamp': \"last tuesday\" — expected an ISO-8601 timestamp, e.g. '2024-05-01T12:00:00Z' (UTC without an offset)",
    ]);
  });

  it('accepts DuckDB reader parameters and delta pins', () => {
    const c = resolve({
      people: { format: 'csv', path: 'a.csv', options: { header: true, delim: ';', sample_size: -1, nullstr: 'NA' } },
      ev: { format: 'parquet', path: '*.parquet', options: { union_by_name: true, filename: true } },
      logs: { format: 'json', path: '*.json', options: { format: 'newline_delimited', maximum_object_size: 1 << 24 } },
      lake: { format: 'delta', path: 'lake', options: { timestamp: '2024-05-01T12:00:00+02:00' } },
    });
    expect(c.sources.people!.options).toEqual({ header: true, delim: ';', sample_size: -1, nullstr: 'NA' });
    expect(c.sources.lake!.options).toEqual({ timestamp: '2024-05-01T12:00:00+02:00' });
  });

  it("the file formats' lists are exactly the named parameters of this DuckDB's readers", async () => {
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    try {
      for (const [format, fn] of [
        ['csv', 'read_csv'],
        ['json', 'read_json'],
        ['parquet', 'read_parquet'],
      ] as const) {
        const r = await conn.runAndReadAll(`SELECT DISTINCT unnest(parameters) FROM duckdb_functions() WHERE function_name = '${fn}'`);
        const params = (r.getRows() as [string][]).map(([n]) => n).filter((n) => n !== 'col0');
        expect(Object.keys(SOURCE_OPTIONS[format]!).sort(), fn).toEqual(params.sort());
      }
    } finally {
      conn.closeSync();
      inst.closeSync();
    }
  });

  it('the example configs still load', async () => {
    const configs = [path.join(ROOT, 'watch.config.ts')];
    const ex = path.join(ROOT, 'examples');
    if (existsSync(ex)) for (const d of readdirSync(ex)) configs.push(path.join(ex, d, 'watch.config.ts'));
    for (const f of configs.filter((c) => existsSync(c))) await expect(loadConfig(f), f).resolves.toBeDefined();
  });
});

describe('relspec validate with an unknown option', () => {
  const p = tempProject({
    'watch.config.ts': "export default { sources: { people: { format: 'csv', path: 'a.csv', options: { heder: true } } } }",
    'a.csv': 'id\n1\n',
    'tasks/t.sql': 'select * from people',
  });
  afterAll(() => p.cleanup());
  it('exits 2 with one line and did-you-mean', () => {
    const r = p.cli(['validate']);
    expect(r.code).toBe(2);
    expect(scrub(r.stderr.trim(), p.dir)).toMatchInlineSnapshot(
      `"relspec: E_CONFIG <dir>/watch.config.ts: unknown option 'sources.people.options.heder' — did you mean 'sources.people.options.header'?"`,
    );
  });
});
