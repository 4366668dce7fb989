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
}
