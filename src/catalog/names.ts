import { quoteIdent } from '../util/sql.js';

/**
 * Dataset names are `table` or `schema.table`; DuckDB's default schema `main` (and a catalog prefix)
 * name the same dataset as no prefix, so `main.files` is `files`.
 */
export function datasetName(name: string): string {
  return name.startsWith('main.') ? name.slice(5) : name;
}

/** A table reference from the parse tree → the dataset it names. */
export function datasetOfRef(ref: { catalog?: string; schema?: string; table: string }): string {
  const schema = ref.schema ?? '';
  return schema === '' || schema === 'main' ? ref.table : `${schema}.${ref.table}`;
}

/** Where a dataset lives in DuckDB: `[schema, table]`. */
export function physicalName(dataset: string): [string, string] {
  const dot = dataset.indexOf('.');
  return dot < 0 ? ['main', dataset] : [dataset.slice(0, dot), dataset.slice(dot + 1)];
}

/**
 * A dataset name: NAME or SCHEMA.NAME, each part letters of any script, digits, `_`, `$` and `-`, not
 * starting with a digit, `$` or `-`. relspec always quotes names in SQL, so any such part is a valid
 * DuckDB identifier; a task's name comes from its path, so `tasks/straße.sql` is `main.straße`.
 * Spaces, quotes and other punctuation are refused: a name must be writable in a task's SQL
 * without surprises, and it becomes a directory name for Delta outputs.
 */
const PART = String.raw`[\p{L}_][\p{L}\p{M}\p{N}_$-]*`;
const DATASET_NAME = new RegExp(`^${PART}(\\.${PART})?$`, 'u');
export const isDatasetName = (name: string): boolean => DATASET_NAME.test(name);

/** Why `name` is not a dataset name, for the fix hint. */
export function datasetNameProblem(name: string): 'depth' | 'characters' {
  return name.split('.').length > 2 && name.split('.').every((p) => new RegExp(`^${PART}$`, 'u').test(p)) ? 'depth' : 'characters';
}

/** `"schema"."table"` for use in SQL. */
export function sqlName(dataset: string): string {
  const [schema, table] = physicalName(dataset);
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}
