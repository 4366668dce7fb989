export * from './types.js';
export { Scratch, duckdbVersion } from './duck.js';
export { parseMany, sha, type ParseResult, type TableRef } from './parse.js';
export { requiredColumns, describeQuery } from './columns.js';
export type { LineageCache } from './cache.js';
export { inferLineage, schemaFingerprint, type LineageResult, type TaskLineage, type TaskParse, type LineageOptions } from './infer.js';
