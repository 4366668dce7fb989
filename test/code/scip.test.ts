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
 * of shared sites, unresolved ≤ 0.1%, recall of its in-code-base sites ≥ 98%. The floors below are
 * what the extractor reaches today (so a regression fails); the targets not yet met are `it.fails`.
 * ~40 s: one scip-typescript index (~20 s) and one cold extraction.
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

  it('same declaration ≥ 99.0% of shared sites, unresolved ≤ 0.1%, recall ≥ 93% (today’s floors)', () => {
    const f = scipFigures(c);
    expect(f.samePct).toBeGreaterThanOrEqual(99.0);
    expect(f.unresolvedPct).toBeLessThanOrEqual(0.1);
    expect(f.recallPct).toBeGreaterThanOrEqual(93);
  });

  // Not met yet (issue 14 item 7): property keys, destructured bindings, aliases and module
  // specifiers are missing as reference sites; see c.samples and c.missedBy.
  it.fails('same declaration ≥ 99.5% of shared sites (target)', () => {
    expect(scipFigures(c).samePct).toBeGreaterThanOrEqual(99.5);
  });
  it.fails('recall ≥ 98% of its in-code-base reference sites (target)', () => {
    expect(scipFigures(c).recallPct).toBeGreaterThanOrEqual(98);
  });
});
