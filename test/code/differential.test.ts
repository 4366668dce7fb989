import { describe, expect, it } from 'vitest';
import { createTempTree } from '../helpers/tempTree.js';
import { CORPUS, corpusFiles, corpusPresent } from './corpus.js';
import { formatResult, listTs, runCodeDifferential, type DifferentialResult } from './differential.js';

/**
 * Warm equals cold (issue 14 item 2): seeded random edit sequences through `extractChanged`; after
 * every step each table equals a cold `extractAll` of the same tree (./differential.ts). A slice
 * here — a synthetic code base with files outside the extracted set, and six packages of the vitest
 * corpus (skipped where ../shared is absent); the full corpus and more seeds run in `npm run torture`.
 * On failure the message names the seed, the steps and the first differing rows; reproduce with
 * `node --import tsx scripts/torture.ts --only code --code-seed <seed> --code-seeds 1`.
 */

/**
 * `vendor/` is outside the extracted set (the list is `src/**`) but in the program through imports:
 * member accesses on its types resolve to nothing, on structurally identical in-code-base types to a
 * declaration. `pick` returns a union of structurally identical object literal types, which the
 * checker reduces to the one it created first.
 */
const SYNTHETIC: Record<string, string> = {
  'vendor/config.ts': ['export interface VendorConfig {', '  name: string;', '  level: number;', '}', ''].join('\n'),
  'vendor/make.ts': [
    "import type { VendorConfig } from './config.js';",
    'export function vendorConfig(): VendorConfig {',
    "  return { name: 'vendor', level: 1 };",
    '}',
    '',
  ].join('\n'),
  'src/config.ts': [
    'export interface Config {',
    '  name: string;',
    '  level: number;',
    '}',
    "export const defaults: Config = { name: 'default', level: 0 };",
    '',
  ].join('\n'),
  'src/pick.ts': [
    "import { defaults } from './config.js';",
    "import { vendorConfig } from '../vendor/make.js';",
    '',
    "const a = { name: 'a', level: 1 };",
    "const b = { name: 'b', level: 2 };",
    'export function pick(n: number) {',
    '  if (n === 0) return defaults;',
    '  if (n === 1) return vendorConfig();',
    '  return n > 2 ? a : b;',
    '}',
    'export function nameOf(n: number): string {',
    '  return pick(n).name + String(pick(n).level);',
    '}',
    '',
  ].join('\n'),
  'src/use.ts': [
    "import { nameOf, pick } from './pick.js';",
    "import { vendorConfig } from '../vendor/make.js';",
    '',
    'export function describe(n: number): string {',
    "  const label = 'n=' + String(n);",
    '  return label + nameOf(n) + pick(n + 1).name + vendorConfig().level;',
    '}',
    '',
  ].join('\n'),
  'src/shapes.ts': [
    "import { describe } from './use.js';",
    '',
    'export class Circle {',
    '  constructor(private r: number) {}',
    '  area(): number {',
    '    return this.r * this.r * 3;',
    '  }',
    '}',
    'export function show(c: Circle): string {',
    "  return describe(c.area()) + ' circle';",
    '}',
    '',
  ].join('\n'),
  'src/index.ts': [
    "export * from './shapes.js';",
    "export { pick } from './pick.js';",
    "import { show, Circle } from './shapes.js';",
    '',
    'export function main(): string {',
    '  return show(new Circle(2));',
    '}',
    '',
  ].join('\n'),
};

const srcOnly = (root: string): string[] => listTs(root).filter((f) => f.startsWith('src/'));

/** The slice of the corpus: six packages (~90 files) that import each other. */
const SLICE = ['utils', 'spy', 'pretty-format', 'expect', 'snapshot', 'mocker'].map((p) => `packages/${p}/src/`);
const corpusSlice = (root: string): string[] => corpusFiles(root).filter((f) => SLICE.some((p) => f.startsWith(p)));

const expectEqual = (r: DifferentialResult): void => {
  if (r.failedAt !== undefined) expect.fail(formatResult(r));
  expect(r.steps.length).toBeGreaterThan(0);
};

describe('warm extraction equals cold after random edits', () => {
  it('synthetic code base with files outside the extracted set: 6 seeds × 6 steps', { timeout: 60_000 }, () => {
    const tree = createTempTree(SYNTHETIC, { prefix: 'relspec-code-diff-src-' });
    try {
      for (let seed = 1; seed <= 6; seed++) expectEqual(runCodeDifferential({ source: tree.root, list: srcOnly, seed, steps: 6 }));
    } finally {
      tree.dispose();
    }
  });

  it.skipIf(!corpusPresent)('six packages of the vitest corpus: 1 seed × 8 steps', { timeout: 90_000 }, () => {
    expectEqual(runCodeDifferential({ source: CORPUS, list: corpusSlice, seed: 1, steps: 8 }));
  });
});
