import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Facts } from '../../src/code/index.js';
import { extractInOrder, surfaceDiffs, type OrderedExtraction } from './checkOrder.js';
import { CORPUS, corpusFiles, corpusPresent as present, corpusSlice } from './corpus.js';
import { compareWithScip, scipFigures, startScipTypescript, type ScipComparison } from './scip.js';

/**
 * On a real code base (../shared/code-corpus/vitest, 464 files; skipped where it is absent): the
 * facts and surface fingerprints do not depend on the order the checker visits the files in, nor on
 * where the tree lies; and the references agree with scip-typescript's.
 *
 * One cold extraction in sorted order serves the order tests and the scip comparison (~10 s each on
 * an idle machine; scip-typescript indexes in the background meanwhile), one in reverse order the
 * order tests. The copy in another directory is compared on six packages (corpusSlice) in npm test,
 * on the whole corpus in `npm run torture` (RELSPEC_TEST_FULL=1).
 */
const FULL = process.env.RELSPEC_TEST_FULL === '1';

const withoutReferences = (f: Facts): Omit<Facts, 'references'> => ({
  files: f.files,
  symbols: f.symbols,
  calls: f.calls,
  imports: f.imports,
});

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe.skipIf(!present)('code facts of the vitest corpus', () => {
  const files = present ? corpusFiles(CORPUS) : [];
  let sorted: OrderedExtraction;
  let reverse: OrderedExtraction;
  let scip: ScipComparison;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'relspec-scip-'));
    dirs.push(dir);
    const out = path.join(dir, 'index.scip');
    const indexed = startScipTypescript(CORPUS, out);
    // Settled before the extractions (which block this thread), so a failure is not unhandled.
    const settled = indexed.then(
      () => undefined,
      (e: unknown) => e,
    );
    sorted = extractInOrder(CORPUS, files, 'sorted');
    reverse = extractInOrder(CORPUS, files, 'reverse');
    const failed = await settled;
    if (failed) throw failed;
    scip = compareWithScip(CORPUS, out, sorted.facts);
    console.log(`scip comparison: ${JSON.stringify({ ...scip, samples: undefined })}`);
  }, 400_000);

  it('has the 464 files the README counts', () => {
    expect(files.length).toBe(464);
  });

  it('surfaces: the same for every file in sorted and in reverse check order', () => {
    expect(surfaceDiffs(sorted, reverse)).toEqual([]);
  });

  it('files, symbols, calls and imports: the same in sorted and in reverse check order', () => {
    expect(withoutReferences(reverse.facts)).toEqual(withoutReferences(sorted.facts));
  });

  // Was check-order dependent (issue 14 item 2): `getExampleTest()` in create/browser/examples.ts
  // returns a union of structurally identical object literal types; the checker keeps the one it
  // created first. src/code/resolver.ts createTypesInOrder makes that the same in every order.
  it('references: the same in sorted and in reverse check order', () => {
    expect(reverse.facts.references).toEqual(sorted.facts.references);
  });

  const where = FULL ? 'the whole corpus' : 'six packages';
  it(`facts and surfaces: the same for a copy of the tree in another directory (${where})`, { timeout: 240_000 }, () => {
    const copy = path.join(mkdtempSync(path.join(tmpdir(), 'relspec-corpus-copy-')), 'vitest');
    dirs.push(path.dirname(copy));
    cpSync(CORPUS, copy, { recursive: true });
    const some = FULL ? files : corpusSlice(CORPUS);
    expect(some.length).toBeGreaterThan(FULL ? 400 : 50);
    const here = FULL ? sorted : extractInOrder(CORPUS, some, 'sorted');
    const there = extractInOrder(copy, some, 'sorted');
    expect(surfaceDiffs(here, there)).toEqual([]);
    expect(there.facts).toEqual(here.facts);
  });

  /**
   * The CPG's references against @sourcegraph/scip-typescript, joined on reference site (./scip.ts
   * says how). Issue 14 item 7 sets the targets: same declaration ≥ 99.5% of shared sites,
   * unresolved ≤ 0.1%, recall of its in-code-base sites ≥ 98%; all three are met (measured: 99.84%,
   * 0.037%, 100%).
   */
  describe('references against scip-typescript', () => {
    it('the join sees most of the index: tens of thousands of shared sites', () => {
      expect(scip.scipSites).toBeGreaterThan(50_000);
      expect(scip.shared).toBeGreaterThan(50_000);
    });

    it('same declaration ≥ 99.5% of shared sites, unresolved ≤ 0.1%, recall ≥ 98% (the targets)', () => {
      const f = scipFigures(scip);
      expect(f.samePct).toBeGreaterThanOrEqual(99.5);
      expect(f.unresolvedPct).toBeLessThanOrEqual(0.1);
      expect(f.recallPct).toBeGreaterThanOrEqual(98);
    });

    it('shorthand properties (both answers defensible), counted apart: most shared sites agree', () => {
      expect(scip.shorthand.shared).toBe(scip.shorthand.sites);
      expect(scip.shorthand.same / scip.shorthand.shared).toBeGreaterThan(0.9);
    });
  });
});
