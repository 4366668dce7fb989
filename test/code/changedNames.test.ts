import { afterAll, describe, expect, it } from 'vitest';
import { CodeFactExtractor, type Facts } from '../../src/code/index.js';
import { createTempTree, type TempTree } from '../helpers/tempTree.js';

/**
 * Narrowed re-extraction (src/code/changedNames.ts): after an edit of `src/lib.ts`, the warm
 * extractor re-extracts only the candidates that name a changed declaration. Each case is a way a
 * name travels without being spelled the same (an alias chain, a namespace, a default import, a
 * type that flows through a file that is not re-extracted); in every one the warm tables must equal
 * a clean extraction of the edited tree.
 */
const trees: TempTree[] = [];
afterAll(() => trees.forEach((t) => t.dispose()));

interface Case {
  name: string;
  files: Record<string, string>;
  lib: string;
  /** Files that must be re-extracted (the edited one included). */
  reextracted: string[];
  /** Files that must not be (they name nothing that changed). */
  kept?: string[];
}

const CASES: Case[] = [
  {
    name: 'a key added to a namespace reaches a Record over `keyof typeof` it, two files away',
    files: {
      'src/lib.ts': 'export const a = 1;\n',
      'src/g.ts': "import * as ns from './lib.js';\nexport const api = ns;\n",
      'src/p.ts': "import { api } from './g.js';\nexport type K = keyof typeof api;\nexport const first = api.a;\n",
      'src/q.ts': "import type { K } from './p.js';\nexport const rec: Partial<Record<K, number>> = { a: 1, b: 2 };\n",
    },
    lib: 'export const a = 1;\nexport const b = 2;\n',
    reextracted: ['src/lib.ts', 'src/q.ts'],
  },
  {
    name: 'a retyped function behind a chain of re-export aliases',
    files: {
      'src/lib.ts': 'export function areaOf(): number {\n  return 1;\n}\n',
      'src/bar1.ts': "export { areaOf as sizeOf } from './lib.js';\n",
      'src/bar2.ts': "export { sizeOf as measure } from './bar1.js';\n",
      'src/p.ts': "import { measure } from './bar2.js';\nexport function use(): void {\n  measure().toFixed();\n}\n",
      'src/other.ts': "import { areaOf } from './lib.js';\nexport const w = 1;\nvoid areaOf;\n",
      'src/r.ts': "import { sizeOf } from './bar1.js';\nexport const r = 1;\nvoid sizeOf;\n",
      'src/kept.ts': "import { measure } from './bar2.js';\nexport const k = 1;\n",
    },
    lib: "export function areaOf(): string {\n  return '1';\n}\n",
    reextracted: ['src/lib.ts', 'src/p.ts'],
  },
  {
    name: 'a member added to the return type of a default export',
    files: {
      'src/lib.ts': 'export default function make() {\n  return { w: 1 };\n}\nexport const unrelated = 0;\n',
      'src/p.ts': "import mk from './lib.js';\nexport const m = mk();\nexport const h = m.h;\n",
      'src/r.ts': "import { unrelated } from './lib.js';\nexport const r = unrelated + 1;\n",
    },
    lib: 'export default function make() {\n  return { w: 1, h: 2 };\n}\nexport const unrelated = 0;\n',
    // A changed default export turns the narrowing off: r.ts is re-extracted too.
    reextracted: ['src/lib.ts', 'src/p.ts', 'src/r.ts'],
  },
  {
    name: 'a function added to a module re-exported as a namespace',
    files: {
      'src/lib.ts': 'export function f(): number {\n  return 1;\n}\n',
      'src/bar.ts': "export * as geo from './lib.js';\n",
      'src/p.ts': "import { geo } from './bar.js';\nexport const z = geo.f() + (geo as { g?: () => number }).g!();\n",
    },
    lib: 'export function f(): number {\n  return 1;\n}\nexport function g(): number {\n  return 2;\n}\n',
    reextracted: ['src/lib.ts', 'src/p.ts'],
  },
  {
    name: 'a member added to an interface, seen through a spread in a file that names neither',
    files: {
      'src/lib.ts': 'export interface Cfg {\n  a: number;\n}\nexport function get(): Cfg {\n  return { a: 1 };\n}\n',
      'src/p.ts': "import { get } from './lib.js';\nexport const y = { ...get() };\n",
      'src/q.ts': "import { y } from './p.js';\nexport const t = [y.a, (y as { b?: string }).b];\n",
    },
    lib: "export interface Cfg {\n  a: number;\n  b: string;\n}\nexport function get(): Cfg {\n  return { a: 1, b: '' };\n}\n",
    reextracted: ['src/lib.ts', 'src/q.ts'],
  },
  {
    name: 'an export removed that a file still imports',
    files: {
      'src/lib.ts': 'export const gone = 1;\nexport const y = 2;\n',
      'src/p.ts': "import { gone } from './lib.js';\nexport const v = gone;\n",
      'src/r.ts': "import { y } from './lib.js';\nexport const r = y;\n",
    },
    lib: 'export const y = 2;\n',
    reextracted: ['src/lib.ts', 'src/p.ts'],
    kept: ['src/r.ts'],
  },
];

const rowsOf = (f: Facts): string[][] =>
  [f.files, f.symbols, f.references, f.calls, f.imports].map((rows) => rows.map((r) => JSON.stringify(r)).sort());

describe('narrowed re-extraction: the warm tables equal a clean build', () => {
  it.each(CASES)('$name', ({ files, lib, reextracted, kept = [] }) => {
    const tree = createTempTree(files, { prefix: 'relspec-narrow-' });
    trees.push(tree);
    const paths = Object.keys(files).sort();
    const warm = new CodeFactExtractor(tree.root);
    const before = warm.extractAll(paths);
    tree.write('src/lib.ts', lib);
    const inc = warm.extractChanged(paths, ['src/lib.ts']);
    const done = new Set(inc.files.map((f) => f.path));
    for (const p of reextracted) expect(done, p).toContain(p);
    for (const p of kept) expect(done, p).not.toContain(p);

    const affected = new Set(inc.affectedPaths);
    const merged = rowsOf(before).map((old, i) => [
      ...old.filter((r) => !affected.has((JSON.parse(r) as { path: string }).path)),
      ...rowsOf(inc)[i]!,
    ]);
    const clean = new CodeFactExtractor(tree.root).extractAll(paths);
    expect(merged.map((rows) => [...rows].sort())).toEqual(rowsOf(clean));
  });
});
