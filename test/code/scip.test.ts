import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeFactExtractor } from '../../src/code/index.js';
import { CORPUS, corpusFiles, corpusPresent } from './corpus.js';
import { compareWithScip, runScipTypescript, scipFigures, type ScipComparison } from './scip.js';

/**
 * The CPG's references against @sourcegraph/scip-typescript on the vitest corpus, joined on
 * reference site (./scip.ts says how). Issue 14 item 7 sets the targets: same declaration ≥ 99.5%
 * of shared sites, unresolved ≤ 0.1%, recall of its in-code-base sites ≥ 98%; all three are met
 * (measured: 99.84%, 0.037%, 100%). ~60 s: one scip-typescript index (~25 s) and one cold extraction.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'relspec-scip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!corpusPresent)('references against scip-typescript on the vitest corpus', () => {
  let c: ScipComparison;
  beforeAll(() => {
    const out = path.join(dir, 'index.scip');
    runScipTypescript(CORPUS, out);
    const ex = new CodeFactExtractor(CORPUS);
    try {
      c = compareWithScip(CORPUS, out, ex.extractAll(corpusFiles(CORPUS)));
    } finally {
      ex.dispose();
    }
    console.log(`scip comparison: ${JSON.stringify({ ...c, samples: undefined })}`);
  }, 240_000);

  it('the join sees most of the index: tens of thousands of shared sites', () => {
    expect(c.scipSites).toBeGreaterThan(50_000);
    expect(c.shared).toBeGreaterThan(50_000);
  });

  it('same declaration ≥ 99.5% of shared sites, unresolved ≤ 0.1%, recall ≥ 98% (the targets)', () => {
    const f = scipFigures(c);
    expect(f.samePct).toBeGreaterThanOrEqual(99.5);
    expect(f.unresolvedPct).toBeLessThanOrEqual(0.1);
    expect(f.recallPct).toBeGreaterThanOrEqual(98);
  });

  it('shorthand properties (both answers defensible), counted apart: most shared sites agree', () => {
    expect(c.shorthand.shared).toBe(c.shorthand.sites);
    expect(c.shorthand.same / c.shorthand.shared).toBeGreaterThan(0.9);
  });
});
