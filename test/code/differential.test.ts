import { describe, expect, it } from 'vitest';
import { createTempTree } from '../helpers/tempTree.js';
import { extractInOrder } from './checkOrder.js';
import { CORPUS, corpusPresent, corpusSlice } from './corpus.js';
import { CodeFactExtractor } from '../../src/code/index.js';
import {
  coldFacts,
  compareFacts,
  formatResult,
  mergeFacts,
  runCodeDifferential,
  srcOnly,
  SYNTHETIC,
  type DifferentialResult,
} from './differential.js';

/**
 * Warm equals cold (issue 14 item 2): seeded random edit sequences through `extractChanged`; after
 * every step each table equals a cold `extractAll` of the same tree (./differential.ts). A slice
 * here — a synthetic code base with files outside the extracted set, and six packages of the vitest
 * corpus (skipped where ../shared is absent); the full corpus and more seeds run in `npm run torture`.
 * On failure the message names the seed, the steps and the first differing rows; reproduce with
 * `node --import tsx scripts/torture.ts --only code --code-seed <seed> --code-seeds 1`.
 */

const expectEqual = (r: DifferentialResult): void => {
  if (r.failedAt !== undefined) expect.fail(formatResult(r));
  expect(r.steps.length).toBeGreaterThan(0);
};

describe('warm extraction equals cold after random edits', () => {
  it('the cause: a reduced union of structurally identical types resolves the same in any check order', () => {
    const tree = createTempTree(SYNTHETIC, { prefix: 'relspec-code-diff-order-' });
    try {
      const files = srcOnly(tree.root);
      const sorted = extractInOrder(tree.root, files, 'sorted');
      const reverse = extractInOrder(tree.root, files, 'reverse');
      expect(reverse.facts.references).toEqual(sorted.facts.references);
      // `pick(n).name`: the survivor is the first of the identical types in path order (src/config.ts).
      const at = (path: string, line: number, name: string) =>
        sorted.facts.references.find((r) => r.path === path && r.start_line === line && r.name === name)?.symbol;
      expect(at('src/pick.ts', 12, 'name')).toBe('src/config.ts#property:Config.name');
      expect(at('src/use.ts', 6, 'name')).toBe('src/config.ts#property:Config.name');
    } finally {
      tree.dispose();
    }
  });

  it('a deleted re-exporter: files that reached its types only through an importer are re-extracted', () => {
    const tree = createTempTree(
      {
        'src/lib/registry.ts': 'export class Registry {\n  getById(id: string): string {\n    return id;\n  }\n}\n',
        'src/lib/index.ts': "export * from './registry.js';\n",
        'src/mid.ts': "import { Registry } from './lib/index.js';\n\nexport class Holder {\n  registry: Registry = new Registry();\n}\n",
        'src/use.ts': "import { Holder } from './mid.js';\n\nexport const found = new Holder().registry.getById('a');\n",
      },
      { prefix: 'relspec-code-diff-chain-' },
    );
    const ex = new CodeFactExtractor(tree.root);
    try {
      let state = ex.extractAll(srcOnly(tree.root));
      tree.remove('src/lib/index.ts');
      const r = ex.extractChanged(srcOnly(tree.root), ['src/lib/index.ts']);
      state = mergeFacts(state, r, r.affectedPaths);
      expect(r.affectedPaths).toContain('src/use.ts'); // no import of index.ts, no reference into it
      expect(compareFacts(state, coldFacts(tree.root, srcOnly(tree.root)))).toEqual([]);
    } finally {
      ex.dispose();
      tree.dispose();
    }
  });

  it('synthetic code base with files outside the extracted set: 4 seeds × 6 steps', { timeout: 180_000 }, () => {
    const tree = createTempTree(SYNTHETIC, { prefix: 'relspec-code-diff-src-' });
    try {
      for (let seed = 1; seed <= 4; seed++) expectEqual(runCodeDifferential({ source: tree.root, list: srcOnly, seed, steps: 6 }));
    } finally {
      tree.dispose();
    }
  });

  it.skipIf(!corpusPresent)('six packages of the vitest corpus: 1 seed × 6 steps', { timeout: 300_000 }, () => {
    expectEqual(runCodeDifferential({ source: CORPUS, list: corpusSlice, seed: 1, steps: 6 }));
  });
});
