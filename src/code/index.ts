/**
 * Code facts: files, symbols, references, calls and imports of a TypeScript/JavaScript code base,
 * extracted with the TypeScript compiler API (the input of the code property graph). Pure: no
 * DuckDB, no Delta — callers store the rows.
 *
 * A `CodeFactExtractor` owns one language service whose program is reused across calls, so repeated
 * extractions in one process are incremental; its owner disposes it.
 */
export { CodeFactExtractor, type BaselineFile, type ExtractStats } from './extractor.js';
export { isCodeFile, languageOf } from './program.js';
export type * from './types.js';
