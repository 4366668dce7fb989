import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CodeFactExtractor, type Facts } from '../../src/code/index.js';
import { createTempTree, type TempTree } from '../helpers/tempTree.js';
import { FIXTURE } from './fixture.js';

/**
 * Extractor correctness on the fixture code base (./fixture.ts), every expected value checked by
 * hand against the fixture's lines. Rows are projected to compact tuples so a wrong id, role,
 * span or resolution shows up as a readable diff.
 */

// Code bases made at describe level and in tests alike; all deleted after the file.
const trees: TempTree[] = [];
afterAll(() => trees.forEach((t) => t.dispose()));

function codeBase(files: Record<string, string> = FIXTURE): {
  root: string;
  write: (rel: string, text: string) => void;
  paths: () => string[];
} {
  const tree = createTempTree(files, { prefix: 'relspec-code-' });
  trees.push(tree);
  let current = { ...files };
  const write = (rel: string, text: string) => {
    tree.write(rel, text);
    current = { ...current, [rel]: text };
  };
  return { root: tree.root, write, paths: () => Object.keys(current).sort() };
}

const sym = (f: Facts) =>
  f.symbols.map(
    (s) =>
      `${s.id} ${s.kind} ${s.start_line}:${s.start_col}-${s.end_line}:${s.end_col}${s.exported ? ' exported' : ''} ← ${s.parent_id ?? '-'}`,
  );
const ref = (f: Facts) =>
  f.references.map((r) => `${r.path}:${r.start_line}:${r.start_col} ${r.name} ${r.role} → ${r.symbol ?? 'unresolved'}`);
const call = (f: Facts) =>
  f.calls.map(
    (c) =>
      `${c.path}:${c.start_line}:${c.start_col}-${c.end_col} ${c.caller} → ${c.callee ?? `${c.external ? 'external' : 'unresolved'} ${c.callee_name}`}`,
  );
const imp = (f: Facts) =>
  f.imports.map((i) => `${i.path} ${i.kind} ${i.module} [${i.names.join(',')}] → ${i.resolved_path ?? 'unresolved'}`);

describe('code facts of the fixture', () => {
  const cb = codeBase();
  const ex = new CodeFactExtractor(cb.root);
  const f = ex.extractAll(cb.paths());

  it('files: path, language, size, lines, no syntax errors', () => {
    expect(f.files.map((x) => [x.path, x.language, x.size, x.lines, x.syntax_errors])).toEqual([
      ['src/index.ts', 'typescript', 210, 10, 0],
      ['src/math.ts', 'typescript', 126, 7, 0],
      ['src/registry.ts', 'typescript', 82, 3, 0],
      ['src/shapes.ts', 'typescript', 291, 14, 0],
    ]);
    expect(f.files.every((x) => /^[0-9a-f]{64}$/.test(x.sha))).toBe(true);
  });

  it('symbols: functions, a class with constructor, parameter property and method, module pseudo-symbols; exported flags', () => {
    expect(sym(f)).toEqual([
      'src/index.ts#module module 1:1-11:1 ← -',
      'src/index.ts#function:main function 5:1-7:2 ← -',
      'src/math.ts#module module 1:1-8:1 ← -',
      'src/math.ts#function:add function 1:1-3:2 exported ← -',
      'src/math.ts#parameter:add.a parameter 1:21-1:30 ← src/math.ts#function:add',
      'src/math.ts#parameter:add.b parameter 1:32-1:41 ← src/math.ts#function:add',
      'src/math.ts#function:unusedHelper function 5:1-7:2 exported ← -',
      'src/registry.ts#module module 1:1-4:1 ← -',
      'src/registry.ts#variable:registry variable 3:14-3:37 exported ← -',
      'src/shapes.ts#module module 1:1-15:1 ← -',
      'src/shapes.ts#class:Circle class 4:1-9:2 exported ← -',
      'src/shapes.ts#constructor:Circle.constructor constructor 5:3-5:36 ← src/shapes.ts#class:Circle',
      'src/shapes.ts#property:Circle.r property 5:15-5:32 ← src/shapes.ts#class:Circle',
      'src/shapes.ts#method:Circle.area method 6:3-8:4 ← src/shapes.ts#class:Circle',
      'src/shapes.ts#function:describe function 11:1-14:2 exported ← -',
      'src/shapes.ts#parameter:describe.c parameter 11:26-11:35 ← src/shapes.ts#function:describe',
    ]);
  });

  it('references: re-export, imports (also through `import type`), module specifiers, reads, types, calls; library names unresolved', () => {
    expect(ref(f)).toEqual([
      'src/index.ts:1:10 add export → src/math.ts#function:add',
      'src/index.ts:1:21 ./math.js export → src/math.ts#module',
      'src/index.ts:2:15 ./shapes.js export → src/shapes.ts#module',
      'src/index.ts:3:10 describe import → src/shapes.ts#function:describe',
      'src/index.ts:3:20 Circle import → src/shapes.ts#class:Circle',
      'src/index.ts:3:34 ./shapes.js import → src/shapes.ts#module',
      'src/index.ts:6:3 console read → unresolved',
      'src/index.ts:6:11 log call → unresolved',
      'src/index.ts:6:15 describe call → src/shapes.ts#function:describe',
      'src/index.ts:6:28 Circle call → src/shapes.ts#constructor:Circle.constructor',
      'src/index.ts:9:1 main call → src/index.ts#function:main',
      'src/index.ts:10:1 JSON read → unresolved',
      'src/index.ts:10:6 parse call → unresolved',
      'src/index.ts:10:18 run call → unresolved',
      'src/math.ts:2:10 a read → src/math.ts#parameter:add.a',
      'src/math.ts:2:14 b read → src/math.ts#parameter:add.b',
      'src/registry.ts:1:15 Circle import → src/shapes.ts#class:Circle',
      'src/registry.ts:1:29 ./shapes.js import → src/shapes.ts#module',
      'src/registry.ts:3:24 Circle type → src/shapes.ts#class:Circle',
      'src/shapes.ts:1:10 add import → src/math.ts#function:add',
      'src/shapes.ts:1:21 ./math.js import → src/math.ts#module',
      'src/shapes.ts:2:10 registry import → src/registry.ts#variable:registry',
      'src/shapes.ts:2:26 ./registry.js import → src/registry.ts#module',
      'src/shapes.ts:7:12 add call → src/math.ts#function:add',
      'src/shapes.ts:7:21 r read → src/shapes.ts#property:Circle.r',
      'src/shapes.ts:7:29 r read → src/shapes.ts#property:Circle.r',
      'src/shapes.ts:11:29 Circle type → src/shapes.ts#class:Circle',
      'src/shapes.ts:12:3 registry read → src/registry.ts#variable:registry',
      'src/shapes.ts:12:12 push call → unresolved',
      'src/shapes.ts:12:17 c read → src/shapes.ts#parameter:describe.c',
      'src/shapes.ts:13:10 String call → unresolved',
      'src/shapes.ts:13:17 c read → src/shapes.ts#parameter:describe.c',
      'src/shapes.ts:13:19 area call → src/shapes.ts#method:Circle.area',
    ]);
  });

  it('calls: caller is the enclosing function (or the module), `new` resolves to the constructor, library calls are external, calls through `any` unresolved', () => {
    expect(call(f)).toEqual([
      'src/index.ts:6:3-39 src/index.ts#function:main → external console.log',
      'src/index.ts:6:15-38 src/index.ts#function:main → src/shapes.ts#function:describe',
      'src/index.ts:6:24-37 src/index.ts#function:main → src/shapes.ts#constructor:Circle.constructor',
      'src/index.ts:9:1-7 src/index.ts#module → src/index.ts#function:main',
      'src/index.ts:10:1-17 src/index.ts#module → external JSON.parse',
      'src/index.ts:10:1-23 src/index.ts#module → unresolved run',
      'src/shapes.ts:7:12-31 src/shapes.ts#method:Circle.area → src/math.ts#function:add',
      'src/shapes.ts:12:3-19 src/shapes.ts#function:describe → external registry.push',
      'src/shapes.ts:13:10-26 src/shapes.ts#function:describe → external String',
      'src/shapes.ts:13:17-25 src/shapes.ts#function:describe → src/shapes.ts#method:Circle.area',
    ]);
  });

  it('imports: named, re-exports (named and star), the shapes ⇄ registry cycle, all resolved to files', () => {
    expect(imp(f)).toEqual([
      'src/index.ts export-from ./math.js [add] → src/math.ts',
      'src/index.ts export-from ./shapes.js [*] → src/shapes.ts',
      'src/index.ts import ./shapes.js [describe,Circle] → src/shapes.ts',
      'src/registry.ts import ./shapes.js [Circle] → src/shapes.ts',
      'src/shapes.ts import ./math.js [add] → src/math.ts',
      'src/shapes.ts import ./registry.js [registry] → src/registry.ts',
    ]);
  });

  it('ids are stable: an unrelated edit that moves code keeps every id of the file', () => {
    cb.write('src/shapes.ts', '// a comment that moves everything down\n\n' + FIXTURE['src/shapes.ts']);
    const after = ex.extractChanged(cb.paths(), ['src/shapes.ts']);
    const ids = (x: Facts) => x.symbols.filter((s) => s.path === 'src/shapes.ts').map((s) => s.id);
    expect(ids(after)).toEqual(ids(f));
    expect(after.symbols.find((s) => s.id === 'src/shapes.ts#method:Circle.area')!.start_line).toBe(8);
    cb.write('src/shapes.ts', FIXTURE['src/shapes.ts']!);
    ex.extractChanged(cb.paths(), ['src/shapes.ts']);
  });
});

describe('incremental extraction', () => {
  it('a body edit re-extracts that file alone; a changed export re-extracts its importers and re-exporters too', () => {
    const cb = codeBase();
    const ex = new CodeFactExtractor(cb.root);
    const before = ex.extractAll(cb.paths());

    cb.write('src/math.ts', FIXTURE['src/math.ts']!.replace('return 0;', 'return 1 + 1;'));
    const body = ex.extractChanged(cb.paths(), ['src/math.ts']);
    expect(body.affectedPaths).toEqual(['src/math.ts']);
    expect(body.files.map((x) => x.path)).toEqual(['src/math.ts']);

    // A new export changes the surface, but no other file names `pi`: none can resolve to it.
    cb.write('src/math.ts', FIXTURE['src/math.ts']! + 'export const pi = 3;\n');
    const api = ex.extractChanged(cb.paths(), ['src/math.ts']);
    expect(api.affectedPaths).toEqual(['src/math.ts']);
    expect(api.symbols.filter((s) => s.path === 'src/math.ts').map((s) => s.name)).toEqual([
      'math.ts',
      'add',
      'a',
      'b',
      'unusedHelper',
      'pi',
    ]);
    // A changed signature of `add`: math.ts, index.ts (re-exports it), shapes.ts (calls it).
    cb.write('src/math.ts', FIXTURE['src/math.ts']!.replace('b: number)', 'b: number, c = 0)') + 'export const pi = 3;\n');
    const sig = ex.extractChanged(cb.paths(), ['src/math.ts']);
    expect(sig.affectedPaths).toEqual(['src/index.ts', 'src/math.ts', 'src/shapes.ts']);
    // Importers' own facts did not change: same rows as before.
    expect(sig.references.filter((r) => r.path === 'src/shapes.ts')).toEqual(before.references.filter((r) => r.path === 'src/shapes.ts'));
  });

  it('a changed export re-extracts the files that name it, under a re-export alias or a namespace too, and default importers; the rest keep facts equal to a clean build', () => {
    const lib = (ret: string) =>
      `export function area(): ${ret} {\n  return ${ret === 'number' ? '1' : "'1'"};\n}\nexport const helper = 2;\nexport default function make() {\n  return { w: 1 };\n}\n`;
    const cb = codeBase({
      'src/lib.ts': lib('number'),
      'src/barrel.ts': "export { area as size } from './lib.js';\nexport * as geo from './lib.js';\n",
      'src/useAlias.ts': "import { size } from './barrel.js';\nexport const sized = size();\n",
      'src/useNs.ts': "import { geo } from './barrel.js';\nexport const n = geo.helper;\n",
      'src/useDefault.ts': "import mk from './lib.js';\nexport const m = mk().w;\n",
      'src/unrelated.ts': "import { helper } from './lib.js';\nexport const u = helper + 1;\n",
    });
    const ex = new CodeFactExtractor(cb.root);
    const before = ex.extractAll(cb.paths());
    cb.write('src/lib.ts', lib('string'));
    const inc = ex.extractChanged(cb.paths(), ['src/lib.ts']);
    expect(inc.affectedPaths).toEqual(['src/barrel.ts', 'src/lib.ts', 'src/useAlias.ts', 'src/useDefault.ts', 'src/useNs.ts']);
    const clean = new CodeFactExtractor(cb.root).extractAll(cb.paths());
    const merged = <T extends { path: string }>(old: T[], now: T[]) =>
      [...old.filter((r) => !inc.affectedPaths.includes(r.path)), ...now].map((r) => JSON.stringify(r)).sort();
    const rows = (f: Facts) => [f.symbols, f.references, f.calls, f.imports] as { path: string }[][];
    const [now, cold] = [rows(inc), rows(clean)];
    rows(before).forEach((old, i) => expect(merged(old, now[i]!)).toEqual(cold[i]!.map((r) => JSON.stringify(r)).sort()));
  });

  it('a restored baseline (a new process) re-extracts the same files and yields the facts of a full extraction', () => {
    const cb = codeBase();
    const first = new CodeFactExtractor(cb.root);
    first.extractAll(cb.paths());
    const baseline = new Map(cb.paths().map((p) => [p, { sha: first.project.file(p)!.sha, ...first.baselineOf(p)! }]));
    first.dispose();

    cb.write(
      'src/shapes.ts',
      FIXTURE['src/shapes.ts']!.replace('area(): number {', 'perimeter(): number {\n    return 0;\n  }\n  area(): number {'),
    );
    const fresh = new CodeFactExtractor(cb.root);
    fresh.restoreBaseline(baseline);
    const inc = fresh.extractChanged(cb.paths(), []);
    // A new method changes shapes.ts' surface: its importers (index.ts, registry.ts) are re-resolved; math.ts is not.
    expect(inc.affectedPaths).toEqual(['src/index.ts', 'src/registry.ts', 'src/shapes.ts']);
    expect(fresh.lastStats!.extracted).toBe(3);

    const clean = new CodeFactExtractor(cb.root).extractAll(cb.paths());
    const only = <T extends { path: string }>(rows: T[]) => rows.filter((r) => inc.affectedPaths.includes(r.path));
    expect(inc.symbols).toEqual(only(clean.symbols));
    expect(inc.references).toEqual(only(clean.references));
    expect(inc.calls).toEqual(only(clean.calls));
    expect(inc.imports).toEqual(only(clean.imports));
    expect(inc.symbols.map((s) => s.id)).toContain('src/shapes.ts#method:Circle.perimeter');
  });

  it('a removed file is an affected path with no rows; its importers lose their resolution', () => {
    const cb = codeBase();
    const ex = new CodeFactExtractor(cb.root);
    ex.extractAll(cb.paths());
    rmSync(path.join(cb.root, 'src/registry.ts'));
    const all = cb.paths().filter((p) => p !== 'src/registry.ts');
    const r = ex.extractChanged(all, ['src/registry.ts']);
    expect(r.affectedPaths).toEqual(['src/registry.ts', 'src/shapes.ts']);
    expect(r.files.map((x) => x.path)).toEqual(['src/shapes.ts']);
    expect(imp(r)).toEqual([
      'src/shapes.ts import ./math.js [add] → src/math.ts',
      'src/shapes.ts import ./registry.js [registry] → unresolved',
    ]);
    expect(ref(r).filter((x) => x.includes('registry'))).toEqual([
      'src/shapes.ts:2:10 registry import → unresolved',
      'src/shapes.ts:2:26 ./registry.js import → unresolved',
      'src/shapes.ts:12:3 registry read → unresolved',
    ]);
  });
});

describe('tolerance', () => {
  it('a syntax error in one file keeps what the parser recovered there and every other file intact', () => {
    const broken = 'export function ok(): number {\n  return 1;\n}\n\nexport function broken( {\n  return ok(;\n}\n';
    const cb = codeBase({ ...FIXTURE, 'src/broken.ts': broken });
    const f = new CodeFactExtractor(cb.root).extractAll(cb.paths());
    const file = f.files.find((x) => x.path === 'src/broken.ts')!;
    expect(file.syntax_errors).toBeGreaterThan(0);
    expect(f.symbols.filter((s) => s.path === 'src/broken.ts').map((s) => s.id)).toEqual(
      expect.arrayContaining(['src/broken.ts#function:ok', 'src/broken.ts#function:broken']),
    );
    const clean = new CodeFactExtractor(codeBase().root).extractAll(Object.keys(FIXTURE).sort());
    const others = <T extends { path: string }>(rows: T[]) => rows.filter((r) => r.path !== 'src/broken.ts');
    expect(others(f.symbols)).toEqual(clean.symbols);
    expect(others(f.references)).toEqual(clean.references);
    expect(others(f.calls)).toEqual(clean.calls);
  });
});
