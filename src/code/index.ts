/**
 * Code facts: files, symbols, references, calls and imports of a TypeScript/JavaScript code base,
 * extracted with the TypeScript compiler API (the input of the code property graph). Pure: no
 * DuckDB, no Delta — callers store the rows.
 *
 * `extractFacts` / `extractChanged` keep one warm extractor per root (a language service whose
 * program is reused across calls), so repeated calls in one process are incremental; use
 * `createCodeExtractor` to own the lifetime explicitly.
 */
import path from 'node:path';
import { CodeFactExtractor } from './extractor.js';
import type { ChangedFacts, ExtractChangedInput, ExtractInput, Facts } from './types.js';

export { CodeFactExtractor, type BaselineFile, type ExtractStats } from './extractor.js';
export { isCodeFile, languageOf } from './program.js';
export type * from './types.js';

const MAX_CACHED = 4;
const extractors = new Map<string, CodeFactExtractor>();

function extractorFor(root: string): CodeFactExtractor {
  const key = path.resolve(root);
  let ex = extractors.get(key);
  if (ex) {
    extractors.delete(key); // re-insert: most recently used last
  } else {
    ex = new CodeFactExtractor(key);
    if (extractors.size >= MAX_CACHED) {
      const [oldest, old] = extractors.entries().next().value as [string, CodeFactExtractor];
      extractors.delete(oldest);
      old.dispose();
    }
  }
  extractors.set(key, ex);
  return ex;
}

export function createCodeExtractor(root: string): CodeFactExtractor {
  return new CodeFactExtractor(root);
}

/** Every fact of `files` (relative to `root`). */
export function extractFacts(input: ExtractInput): Facts {
  return extractorFor(input.root).extractAll(input.files);
}

/**
 * Facts of the changed files and of the files whose facts depend on them, plus `affectedPaths`: the
 * paths whose rows the caller replaces with these (see CodeFactExtractor for the rule).
 */
export function extractChanged(input: ExtractChangedInput): ChangedFacts {
  return extractorFor(input.root).extractChanged(input.allFiles, input.changed);
}

/** Drops the warm extractors (tests; freeing memory). */
export function clearCodeExtractorCache(): void {
  for (const ex of extractors.values()) ex.dispose();
  extractors.clear();
}
