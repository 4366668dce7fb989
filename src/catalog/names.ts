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

export const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** `"schema"."table"` for use in SQL. */
export function sqlName(dataset: string): string {
  const [schema, table] = physicalName(dataset);
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}
