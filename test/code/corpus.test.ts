import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Facts } from '../../src/code/index.js';
import { extractInOrder, surfaceDiffs, type OrderedExtraction } from './checkOrder.js';
import { CORPUS, corpusFiles, corpusPresent as present } from './corpus.js';

/**
 * On a real code base (../shared/code-corpus/vitest, 464 files; skipped where it is absent): the
 * facts and surface fingerprints do not depend on the order the checker visits the files in, nor on
 * where the tree lies. Three cold extractions of the corpus (sorted, reverse, a copy): ~10 s each.
 */

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
  let sortedRun: OrderedExtraction | undefined;
  let reverseRun: OrderedExtraction | undefined;
  const sorted = (): OrderedExtraction => (sortedRun ??= extractInOrder(CORPUS, files, 'sorted'));
  const reverse = (): OrderedExtraction => (reverseRun ??= extractInOrder(CORPUS, files, 'reverse'));

  it('has the 464 files the README counts', () => {
    expect(files.length).toBe(464);
  });

  it('surfaces: the same for every file in sorted and in reverse check order', { timeout: 120_000 }, () => {
    expect(surfaceDiffs(sorted(), reverse())).toEqual([]);
  });

  it('files, symbols, calls and imports: the same in sorted and in reverse check order', { timeout: 120_000 }, () => {
    expect(withoutReferences(reverse().facts)).toEqual(withoutReferences(sorted().facts));
  });

  // Was check-order dependent (issue 14 item 2): `getExampleTest()` in create/browser/examples.ts
  // returns a union of structurally identical object literal types; the checker keeps the one it
  // created first. src/code/resolver.ts createTypesInOrder makes that the same in every order.
  it('references: the same in sorted and in reverse check order', { timeout: 120_000 }, () => {
    expect(reverse().facts.references).toEqual(sorted().facts.references);
  });

  it('facts and surfaces: the same for a copy of the tree in another directory', { timeout: 120_000 }, () => {
    const copy = path.join(mkdtempSync(path.join(tmpdir(), 'relspec-corpus-copy-')), 'vitest');
    dirs.push(path.dirname(copy));
    cpSync(CORPUS, copy, { recursive: true });
    const there = extractInOrder(copy, files, 'sorted');
    expect(surfaceDiffs(sorted(), there)).toEqual([]);
    expect(there.facts).toEqual(sorted().facts);
  });
});
