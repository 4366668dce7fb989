import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTempTree, type TempTree } from '../helpers/tempTree.js';
import { extractInOrder, surfaceDiffs } from './checkOrder.js';

/**
 * The surface fingerprint (src/code/surface.ts) depends on a file's exported shape only: not on the
 * order the checker visited files in, nor on where the checkout lies. Each file of the fixture below
 * prints differently, with the fingerprint's old `typeToString`, depending on which file was checked
 * first; checked in sorted and in reverse order, every surface must come out the same.
 */

const FILES: Record<string, string> = {
  // The union's members print in the order their literal types were created: `a.ts` first (sorted
  // order) creates "zz-attached" first; `b.ts` first (reverse order) creates "zz-visible" first.
  'src/a.ts': ["export function mount(mode: 'zz-attached' | 'zz-visible'): void {", '  void mode;', '}', ''].join('\n'),
  'src/b.ts': ["export const shown = 'zz-visible';", "export const pinned: 'zz-attached' = 'zz-attached';", ''].join('\n'),
  // A mapped type's properties come in its key union's order: same literals, other file.
  'src/c.ts': ["export type Flags = Record<'zz-visible' | 'zz-attached', boolean>;", ''].join('\n'),
  // The method's type gets the contextual `this: Ctx` once the object literal is checked.
  'src/d.ts': [
    "import type { Ctx } from './e.js';",
    'type Methods = Record<string, (this: Ctx, n: number) => number>;',
    'export const methods: Methods = {',
    '  double(n) {',
    '    return n * 2 + this.base;',
    '  },',
    '};',
    '',
  ].join('\n'),
  'src/e.ts': ['export interface Ctx {', '  base: number;', '}', ''].join('\n'),
  // Types of other modules print as `import("<path>")`.
  'src/f.ts': ["import type { Ctx } from './e.js';", 'export function make(): Ctx | undefined {', '  return undefined;', '}', ''].join(
    '\n',
  ),
};
const PATHS = Object.keys(FILES).sort();

const trees: TempTree[] = [];
const dirs: string[] = [];
afterAll(() => {
  trees.forEach((t) => t.dispose());
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe('surface fingerprint', () => {
  const tree = createTempTree(FILES, { prefix: 'relspec-surface-' });
  trees.push(tree);

  it('is the same whichever order the checker visits the files in', () => {
    const sorted = extractInOrder(tree.root, PATHS, 'sorted');
    const reverse = extractInOrder(tree.root, PATHS, 'reverse');
    expect(surfaceDiffs(sorted, reverse)).toEqual([]);
    expect(reverse.facts).toEqual(sorted.facts);
  });

  it('is the same for a copy of the tree in another directory', () => {
    const copy = path.join(mkdtempSync(path.join(tmpdir(), 'relspec-surface-copy-')), 'elsewhere');
    dirs.push(path.dirname(copy));
    cpSync(tree.root, copy, { recursive: true });
    const here = extractInOrder(tree.root, PATHS, 'sorted');
    const there = extractInOrder(copy, PATHS, 'sorted');
    expect(surfaceDiffs(here, there)).toEqual([]);
    expect(there.facts).toEqual(here.facts);
  });

  it('changes when an exported type changes (a union member added)', () => {
    const t = createTempTree(FILES, { prefix: 'relspec-surface-' });
    trees.push(t);
    const before = extractInOrder(t.root, PATHS, 'sorted');
    t.edit('src/a.ts', (s) => s.replace("'zz-visible'", "'zz-visible' | 'zz-hidden'"));
    const after = extractInOrder(t.root, PATHS, 'sorted');
    expect(surfaceDiffs(before, after)).toEqual(['src/a.ts']);
  });
});
