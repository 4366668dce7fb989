import type { ColumnLineage } from './types.js';
import type { ParseResult } from './parse.js';

/**
 * Where lineage results persist between processes (state/ implements it in SQLite). Parse results
 * are keyed by the SQL's hash; column lineage by the plan fingerprint and the inputs' schema
 * fingerprints, so a restart with unchanged tasks asks DuckDB nothing.
 */
export interface LineageCache {
  getParse(sqlHash: string): ParseResult | undefined;
  putParse(sqlHash: string, result: ParseResult): void;
  getColumns(key: string): ColumnLineage | undefined;
  putColumns(key: string, result: ColumnLineage): void;
  /** Batches writes; called once at the end of inference. */
  flush?(): void;
}
