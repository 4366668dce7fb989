import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CodeFactExtractor } from '../src/code/index.js';
import { CORPUS, corpusFiles, corpusPresent } from '../test/code/corpus.js';
import { compareWithScip, runScipTypescript, scipFigures } from '../test/code/scip.js';
import type { Row } from './report.js';

/**
 * The CPG's references against @sourcegraph/scip-typescript on ../shared/code-corpus/vitest, joined
 * on reference site (test/code/scip.ts), with the issue 14 item 7 targets; and both tools' cold time
 * over the same files. Skipped (with the reason) where the corpus is absent.
 */
export function benchScip(log: (s: string) => void): Row[] {
  if (!corpusPresent) {
    log('  skipped: no ../shared/code-corpus/vitest');
    return [];
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'relspec-bench-scip-'));
  try {
    const out = path.join(dir, 'index.scip');
    let t = performance.now();
    runScipTypescript(CORPUS, out);
    const scipMs = performance.now() - t;
    t = performance.now();
    const ex = new CodeFactExtractor(CORPUS);
    const facts = ex.extractAll(corpusFiles(CORPUS));
    ex.dispose();
    const oursMs = performance.now() - t;
    const c = compareWithScip(CORPUS, out, facts);
    const f = scipFigures(c);
    log(`  ${c.scipSites} in-code-base reference sites in the index, ${c.shared} shared; missed: ${JSON.stringify(c.missedBy)}`);
    const anchor = `${c.shared} shared sites of ${c.scipSites}; shorthand properties apart: ${c.shorthand.same} of ${c.shorthand.shared} shared agree`;
    return [
      {
        metric: 'CPG vs scip-typescript: same declaration, of shared sites',
        value: f.samePct,
        unit: '%',
        goal: '≥ 99.5%',
        ok: f.samePct >= 99.5,
        anchor,
      },
      {
        metric: 'CPG vs scip-typescript: unresolved, of shared sites',
        value: f.unresolvedPct,
        unit: '%',
        goal: '≤ 0.1%',
        ok: f.unresolvedPct <= 0.1,
      },
      {
        metric: 'CPG vs scip-typescript: recall of its in-code-base sites',
        value: f.recallPct,
        unit: '%',
        goal: '≥ 98%',
        ok: f.recallPct >= 98,
        anchor: `missed: ${c.missedBy.module} module specifiers, ${c.missedBy.member} members, ${c.missedBy.other} other`,
      },
      {
        metric: 'cold extraction of the corpus, relspec vs scip-typescript (one process each)',
        value: oursMs / scipMs,
        unit: '×',
        anchor: `${(oursMs / 1000).toFixed(1)} s vs ${(scipMs / 1000).toFixed(1)} s (scip-typescript's own process, 464 files)`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
