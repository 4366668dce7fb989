import type { KeyProof } from './keys.js';

export interface Column {
  name: string;
  type: string;
}

/** Column lineage of one task: what it reads and what it produces. */
export interface ColumnLineage {
  /** Input dataset → required columns, sorted. An empty list: only the row count matters. */
  inputs: Record<string, string[]>;
  outputSchema: Column[];
  notes: string[];
  /** Which output columns the task is key-scoped on, proven from its plan (lineage/keys.ts). */
  keys: KeyProof;
}

/**
 * What a build cannot promise, as data (printed by src/incremental/caveatText.ts): a file read relspec cannot
 * follow (a computed path), or non-deterministic functions (kept as built unless `-- @volatile`).
 */
/**
 * Why lineage could not give a task its columns: an input has no schema because its producer failed,
 * a source could not be read, or the input sits in a cycle. `inputs` are the inputs concerned.
 */
export interface LineageBlock {
  because: 'upstream_failed' | 'source_unreadable' | 'cycle';
  inputs: string[];
}

export type TaskCaveat =
  { kind: 'untracked_read'; fn: string; call: string } | { kind: 'volatile'; functions: string[]; rebuildEachRun: boolean };
