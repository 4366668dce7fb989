import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type Json } from '@duckdb/node-api';
import { run } from '../../src/incremental/run.js';
import { CodeExtractors } from '../../src/sources/code/index.js';
import { loadSnapshot, snapshotQuery } from '../../src/delta/index.js';
import { ROOT, tempProject } from '../helpers/project.js';
import { FIXTURE } from '../code/fixture.js';

/** The warm extractors a long-lived process (the daemon) keeps across runs. */
const extractors = new CodeExtractors();

/**
 * The CPG tasks of examples/cpg/tasks over the fixture code base (test/code/fixture.ts):
 * every task runs, and each analysis gives the answer worked out by hand from the fixture.
 */

const p = tempProject({
  'watch.config.ts': `export default { sources: { code: { format: 'code', path: 'src/**/*.ts' } }, tasks: ${JSON.stringify(path.join(ROOT, 'examples/cpg/tasks'))} };\n`,
  ...FIXTURE,
});
let db: DuckDBInstance;
let rows: (sql: string) => Promise<Json[][]>;

beforeAll(async () => {
  const o = await run({ configPath: 'watch.config.ts', cwd: p.dir, codeExtractors: extractors });
  expect(o.status).toBe('ok');
  expect(o.tasks.every((t) => t.status === 'built')).toBe(true);
  expect(o.tasks).toHaveLength(15);
  db = await DuckDBInstance.create(path.join(p.dir, 'state/warehouse.duckdb'), { access_mode: 'READ_ONLY' });
  const c = await db.connect();
  rows = async (sql) => (await c.runAndReadAll(sql)).getRowsJson();
});
afterAll(() => {
  db?.closeSync();
  extractors.dispose();
  p.cleanup();
});

describe('CPG over the fixture', () => {
  it('nodes: one per file and per declared symbol, in a Delta table under the outputs directory', async () => {
    expect(await rows(`select kind, count(*) from cpg_nodes group by all order by all`)).toEqual([
      ['class', '1'],
      ['constructor', '1'],
      ['file', '4'],
      ['function', '4'],
      ['method', '1'],
      ['parameter', '3'],
      ['property', '1'],
      ['variable', '1'],
    ]);
    const inst = await DuckDBInstance.create(':memory:');
    const c = await inst.connect();
    const snap = await loadSnapshot(c, path.join(p.dir, 'state/outputs/cpg_nodes'));
    const n = (await c.runAndReadAll(`select count(*) from (${await snapshotQuery(c, snap)})`)).getRowsJson();
    c.closeSync();
    inst.closeSync();
    expect(n).toEqual([['16']]);
  });

  it('edges per kind, from every producer of cpg_edges', async () => {
    expect(await rows(`select kind, count(*) from cpg_edges group by all order by all`)).toEqual([
      ['calls', '5'],
      ['contains', '12'],
      ['defines', '5'],
      ['imports', '5'],
      ['references', '15'],
    ]);
    // References leave from their scope: the innermost declaration around them, else the file.
    expect(
      await rows(`select src, dst, detail, line from cpg_edges where kind = 'references' and path = 'src/shapes.ts' order by all`),
    ).toEqual([
      ['src/shapes.ts#function:describe', 'src/registry.ts#variable:registry', 'read', 12],
      ['src/shapes.ts#function:describe', 'src/shapes.ts#class:Circle', 'type', 11],
      ['src/shapes.ts#function:describe', 'src/shapes.ts#parameter:describe.c', 'read', 12],
      ['src/shapes.ts#function:describe', 'src/shapes.ts#parameter:describe.c', 'read', 13],
      ['src/shapes.ts#method:Circle.area', 'src/shapes.ts#property:Circle.r', 'read', 7],
      ['src/shapes.ts#method:Circle.area', 'src/shapes.ts#property:Circle.r', 'read', 7],
      ['src/shapes.ts#module', 'src/math.ts#function:add', 'import', 1],
      ['src/shapes.ts#module', 'src/registry.ts#variable:registry', 'import', 2],
    ]);
  });

  it('fan-in and fan-out per function', async () => {
    expect(await rows(`select id, fan_in, fan_out from analysis.fan_in_out order by id`)).toEqual([
      ['src/index.ts#function:main', '1', '2'],
      ['src/math.ts#function:add', '1', '0'],
      ['src/math.ts#function:unusedHelper', '0', '0'],
      ['src/shapes.ts#constructor:Circle.constructor', '1', '0'],
      ['src/shapes.ts#function:describe', '1', '1'],
      ['src/shapes.ts#method:Circle.area', '1', '1'],
    ]);
  });

  it('unresolved calls: library calls (external) and the call through `any` (unknown), by name', async () => {
    expect(await rows(`select callee_name, target, sites, files, first_site from analysis.unresolved_calls order by all`)).toEqual([
      ['JSON.parse', 'external', '1', '1', 'src/index.ts:10'],
      ['String', 'external', '1', '1', 'src/shapes.ts:13'],
      ['console.log', 'external', '1', '1', 'src/index.ts:6'],
      ['registry.push', 'external', '1', '1', 'src/shapes.ts:12'],
      ['run', 'unknown', '1', '1', 'src/index.ts:10'],
    ]);
  });

  it('unused exports: only unusedHelper (add is re-exported and called, Circle and registry are imported)', async () => {
    expect(await rows(`select id, kind, path, start_line, public_api, entry_point from analysis.unused_exports`)).toEqual([
      ['src/math.ts#function:unusedHelper', 'function', 'src/math.ts', 5, false, null],
    ]);
  });

  it('import cycles: none at runtime; shapes.ts ⇄ registry.ts is closed by an `import type` only', async () => {
    expect(await rows(`select cycle, files, members from analysis.import_cycles`)).toEqual([]);
    expect(await rows(`select cycle, files, members, type_only_edges from analysis.type_only_import_cycles`)).toEqual([
      ['src/registry.ts', '2', ['src/registry.ts', 'src/shapes.ts'], ['src/registry.ts → src/shapes.ts']],
    ]);
  });

  it('most referenced symbols', async () => {
    expect(await rows(`select id, uses, files from analysis.top_referenced order by uses desc, id limit 3`)).toEqual([
      ['src/shapes.ts#class:Circle', '4', '3'],
      ['src/math.ts#function:add', '3', '2'],
      ['src/registry.ts#variable:registry', '2', '1'],
    ]);
  });

  it('the summary', async () => {
    expect(await rows(`select metric, value from analysis.summary order by "#"`)).toEqual([
      ['files', '4'],
      ['symbols', '12'],
      ['nodes', '16'],
      ['edges', '42'],
      ['edges.calls', '5'],
      ['edges.contains', '12'],
      ['edges.defines', '5'],
      ['edges.imports', '5'],
      ['edges.references', '15'],
      ['calls into libraries', '4'],
      ['calls with no declaration found', '1'],
      ['unused exports', '1'],
      ['files in import cycles', '0'],
      ['public API exports unused inside', '0'],
      ['files in type-only import cycles', '2'],
    ]);
  });
});
