/**
 * Extraction with a chosen check order, for the tests that the facts and surfaces do not depend on it.
 *
 * The checker creates types lazily, in the order it is asked about them: union members are kept in
 * creation order and some signatures are completed only when their object literal is checked. To
 * check the files in reverse order, every file's semantic diagnostics are asked for in reverse path
 * order before extraction (which then reuses the same program and checker) — after the types the
 * extractor creates first on every program (createTypesInOrder), as extraction itself would; `sorted`
 * extracts from a fresh checker, as a cold build does.
 */
import { CodeFactExtractor, type Facts } from '../../src/code/index.js';
import { createTypesInOrder } from '../../src/code/resolver.js';

export interface OrderedExtraction {
  facts: Facts;
  /** Surface fingerprint per file (see src/code/surface.ts). */
  surfaces: Map<string, string | undefined>;
}

export function extractInOrder(root: string, files: readonly string[], order: 'sorted' | 'reverse'): OrderedExtraction {
  const ex = new CodeFactExtractor(root);
  try {
    if (order === 'reverse') {
      ex.project.refresh(files);
      const program = ex.project.program();
      // What every extraction does first on a new program (src/code/resolver.ts); then the files.
      createTypesInOrder(program, program.getTypeChecker());
      for (const rel of [...files].sort().reverse()) {
        const sf = program.getSourceFile(ex.project.file(rel)!.abs);
        if (sf) program.getSemanticDiagnostics(sf);
      }
    }
    const facts = ex.extractAll(files);
    return { facts, surfaces: new Map(files.map((f) => [f, ex.baselineOf(f)?.surface])) };
  } finally {
    ex.dispose();
  }
}

/** Files whose surfaces differ between two extractions (empty when they agree). */
export function surfaceDiffs(a: OrderedExtraction, b: OrderedExtraction): string[] {
  return [...a.surfaces].filter(([f, s]) => s === undefined || b.surfaces.get(f) !== s).map(([f]) => f);
}
