import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type Json } from '@duckdb/node-api';
import { CodeFactExtractor, type ImportRow } from '../../src/code/index.js';
import { run } from '../../src/incremental/run.js';
import { CodeExtractors } from '../../src/sources/code/index.js';
import { createTempTree, type TempTree } from '../helpers/tempTree.js';
import { ROOT, tempProject } from '../helpers/project.js';

/**
 * Import facts (`type_only`, `aliases`, re-exports), the `entry_points` table, and the analyses
 * that use them (examples/cpg: import_cycles over runtime imports, type_only_import_cycles,
 * unused_exports following re-export chains to the package's entry points), on small temp trees.
 */

const trees: TempTree[] = [];
afterAll(() => trees.forEach((t) => t.dispose()));

function importsOf(files: Record<string, string>, rel: string): string[] {
  const tree = createTempTree(files, { prefix: 'relspec-imports-' });
  trees.push(tree);
  const ex = new CodeFactExtractor(tree.root);
  try {
    const f = ex.extractAll(
      Object.keys(files)
        .filter((p) => !p.endsWith('.json'))
        .sort(),
    );
    return f.imports.filter((r) => r.path === rel).map(show);
  } finally {
    ex.dispose();
  }
}

const show = (r: ImportRow): string =>
  `${r.module} ${r.kind} [${r.names.join(',')}] as [${r.aliases.join(',')}] → ${r.resolved_path ?? '-'}${r.type_only ? ' type-only' : ''}`;

const TSCONFIG = JSON.stringify({ compilerOptions: { module: 'NodeNext', strict: true } });

const TYPES = [
  'export interface T1 { a: number }',
  'export type T2 = string;',
  'export type T3 = number;',
  'export type T4 = boolean;',
  'export interface T5 { b: number }',
  'export class T6 {}',
  'export interface T7 {}',
  'export interface T8 {}',
  'export const v1 = 1;',
  'export default 2;',
  '',
].join('\n');

const FORMS = [
  "import type { T1 } from './t.js';",
  "import { type T2, type T3 } from './t.js';",
  "import { type T4, v1 } from './t.js';",
  "import { T5 } from './t.js';",
  "import { T6 } from './t.js';",
  "import * as ns from './t.js';",
  "import def from './t.js';",
  "import { T8 } from './t.js';",
  "import './side.js';",
  "export type { T1 } from './t.js';",
  "export * from './t.js';",
  "export * as all from './t.js';",
  "export { v1 as v2, T5 as T5b } from './t.js';",
  "export { type T2 as T2b } from './t.js';",
  "type Lazy = import('./t.js').T7;",
  'export const x: T1 | T2 | T3 | T4 | Lazy | undefined = v1 > 0 ? undefined : undefined;',
  'export function f(a: T5, b: ns.T7): void {}',
  'export class C extends T6 {}',
  'console.log(def);',
  'export type X = T8;',
  'export function g(T8: number): number { return T8; }',
  '',
].join('\n');

describe('import facts', () => {
  it('type_only for each form; aliases give the local or re-exported names', () => {
    expect(
      importsOf({ 'tsconfig.json': TSCONFIG, 'src/t.ts': TYPES, 'src/side.ts': 'export {};\n', 'src/forms.ts': FORMS }, 'src/forms.ts'),
    ).toEqual([
      './side.js import [] as [] → src/side.ts',
      './t.js export-from [*] as [*] → src/t.ts',
      './t.js export-from [*] as [all] → src/t.ts',
      './t.js export-from [T1] as [T1] → src/t.ts type-only',
      './t.js export-from [T2] as [T2b] → src/t.ts type-only',
      './t.js export-from [v1,T5] as [v2,T5b] → src/t.ts',
      './t.js import [*] as [ns] → src/t.ts type-only',
      './t.js import [T1] as [T1] → src/t.ts type-only',
      './t.js import [T2,T3] as [T2,T3] → src/t.ts type-only',
      './t.js import [T4,v1] as [T4,v1] → src/t.ts',
      './t.js import [T5] as [T5] → src/t.ts type-only',
      './t.js import [T6] as [T6] → src/t.ts',
      './t.js import [T7] as [T7] → src/t.ts type-only',
      './t.js import [T8] as [T8] → src/t.ts',
      './t.js import [default] as [def] → src/t.ts',
    ]);
  });
});

describe('import facts under options that keep imports', () => {
  it('verbatimModuleSyntax: only `import type` / `export type` are type-only; JavaScript files infer nothing', () => {
    const files = {
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'NodeNext', verbatimModuleSyntax: true } }),
      'src/t.ts': TYPES,
      'src/a.ts': [
        "import type { T1 } from './t.js';",
        "import { type T2 } from './t.js';",
        "import { T5 } from './t.js';",
        'export type U = T1 | T2 | T5;',
        '',
      ].join('\n'),
    };
    expect(importsOf(files, 'src/a.ts')).toEqual([
      './t.js import [T1] as [T1] → src/t.ts type-only',
      './t.js import [T2] as [T2] → src/t.ts',
      './t.js import [T5] as [T5] → src/t.ts',
    ]);
    const js = {
      'tsconfig.json': TSCONFIG,
      'src/t.ts': TYPES,
      'src/b.js': "import { T5 } from './t.js';\n/** @type {T5} */\nexport const b = {};\n",
    };
    expect(importsOf(js, 'src/b.js')).toEqual(['./t.js import [T5] as [T5] → src/t.ts']);
  });
});

/**
 * A package (package.json at the root, its `exports` and `main` naming dist/ files that map back to
 * src/index.ts) with a barrel chain, an `export * as`, a runtime cycle (a ⇄ b) and a cycle closed by
 * type-only imports only (api ⇄ tree), through the examples/cpg pipeline.
 */
const PKG: Record<string, string> = {
  'watch.config.ts': `export default { sources: { code: { format: 'code', path: 'src/**/*.ts' } }, tasks: ${JSON.stringify(path.join(ROOT, 'examples/cpg/tasks'))} };\n`,
  'tsconfig.json': TSCONFIG,
  'package.json': JSON.stringify({
    name: 'pkg',
    main: './dist/index.js',
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' },
  }),
  // The entry point: everything it re-exports, transitively, is public API.
  'src/index.ts': "export * from './api.js';\nexport * as shapes from './shapes.js';\n",
  'src/api.ts': [
    "import type { Tree } from './tree.js';",
    "export { format as render } from './format.js';",
    'export function parse(s: string): Tree {',
    '  return { text: s };',
    '}',
    '',
  ].join('\n'),
  // Imports parse for `typeof` only: a type-only edge the compiler elides (inferred).
  'src/tree.ts': [
    "import { parse } from './api.js';",
    'export interface Tree {',
    '  text: string;',
    '}',
    'export type Parser = typeof parse;',
    '',
  ].join('\n'),
  'src/format.ts': "export function format(): string {\n  return '';\n}\nexport const dead = 1;\n",
  'src/shapes.ts': 'export const circle = 1;\n',
  // A barrel that is not an entry point: re-exporting is not using.
  'src/barrel.ts': "export * from './lib.js';\n",
  'src/lib.ts': 'export function used(): void {}\nexport function unusedInLib(): void {}\n',
  'src/main.ts': "import { used } from './barrel.js';\nused();\n",
  'src/a.ts': "import { b } from './b.js';\nexport const a = (): number => b();\n",
  'src/b.ts': "import { a } from './a.js';\nexport const b = (): number => (a ? 1 : 0);\n",
};

describe('analyses over re-exports, entry points and type-only imports', () => {
  const extractors = new CodeExtractors();
  const p = tempProject(PKG);
  let rows: (sql: string) => Promise<Json[][]>;
  let db: DuckDBInstance | undefined;
  beforeAll(async () => {
    const o = await run({ configPath: 'watch.config.ts', cwd: p.dir, codeExtractors: extractors });
    expect(o.status).toBe('ok');
    db = await DuckDBInstance.create(path.join(p.dir, 'state/warehouse.duckdb'), { access_mode: 'READ_ONLY' });
    const c = await db.connect();
    rows = async (sql) => (await c.runAndReadAll(sql)).getRowsJson();
  });
  afterAll(() => {
    db?.closeSync();
    extractors.dispose();
    p.cleanup();
  });

  it('entry_points: the package.json targets mapped back to the source file', async () => {
    expect(await rows(`select path, package, package_name, field, subpath, target from code.entry_points order by all`)).toEqual([
      ['src/index.ts', 'package.json', 'pkg', 'exports', '.', './dist/index.d.ts'],
      ['src/index.ts', 'package.json', 'pkg', 'exports', '.', './dist/index.js'],
      ['src/index.ts', 'package.json', 'pkg', 'main', null, './dist/index.js'],
    ]);
  });

  it('re-exports are import rows of kind export-from with the names they export', async () => {
    expect(
      await rows(`select path, resolved_path, names, aliases, type_only from code.imports where kind = 'export-from' order by all`),
    ).toEqual([
      ['src/api.ts', 'src/format.ts', ['format'], ['render'], false],
      ['src/barrel.ts', 'src/lib.ts', ['*'], ['*'], false],
      ['src/index.ts', 'src/api.ts', ['*'], ['*'], false],
      ['src/index.ts', 'src/shapes.ts', ['*'], ['shapes'], false],
    ]);
  });

  it('unused_exports: a re-export is no use; what an entry point re-exports (export *, export { as }, export * as) is public API', async () => {
    expect(await rows(`select id, public_api, entry_point from analysis.unused_exports order by id`)).toEqual([
      ['src/format.ts#function:format', true, 'src/index.ts'],
      ['src/format.ts#variable:dead', false, null],
      ['src/lib.ts#function:unusedInLib', false, null],
      ['src/shapes.ts#variable:circle', true, 'src/index.ts'],
      ['src/tree.ts#type:Parser', false, null],
    ]);
  });

  it('import_cycles: runtime imports only; type_only_import_cycles: the cycle closed by type-only imports', async () => {
    expect(await rows(`select cycle, files, members from analysis.import_cycles`)).toEqual([['src/a.ts', '2', ['src/a.ts', 'src/b.ts']]]);
    expect(await rows(`select cycle, files, members, type_only_edges from analysis.type_only_import_cycles`)).toEqual([
      ['src/api.ts', '2', ['src/api.ts', 'src/tree.ts'], ['src/api.ts → src/tree.ts', 'src/tree.ts → src/api.ts']],
    ]);
    expect(await rows(`select metric, value from analysis.summary where "#" >= 12 order by "#"`)).toEqual([
      ['unused exports', '3'],
      ['files in import cycles', '2'],
      ['public API exports unused inside', '2'],
      ['files in type-only import cycles', '2'],
    ]);
  });

  it('a package.json edit reaches the analyses without re-extracting code', async () => {
    p.write('package.json', JSON.stringify({ name: 'pkg', private: true }));
    const o = await run({ configPath: 'watch.config.ts', cwd: p.dir, codeExtractors: extractors });
    expect(o.status).toBe('ok');
    expect(o.code[0]).toMatchObject({ mode: 'noop', commits: [{ table: 'entry_points' }] });
    db!.closeSync();
    db = await DuckDBInstance.create(path.join(p.dir, 'state/warehouse.duckdb'), { access_mode: 'READ_ONLY' });
    const c = await db.connect();
    rows = async (sql) => (await c.runAndReadAll(sql)).getRowsJson();
    expect(await rows(`select count(*) from code.entry_points`)).toEqual([['0']]);
    expect(await rows(`select count(*) filter (where public_api), count(*) from analysis.unused_exports`)).toEqual([['0', '5']]);
  });
});
