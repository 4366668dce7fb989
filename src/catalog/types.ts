export type Materialize = 'table' | 'view' | 'delta';

export interface TaskOptions {
  readonly materialize: Materialize;
  readonly output: string;
  readonly priority: number;
  readonly tags: readonly string[];
  readonly description: string | undefined;
  /** `-- @volatile`: the task calls non-deterministic functions and is rebuilt on every run. */
  readonly volatile: boolean;
  /** `-- @contract col TYPE [NOT NULL], …`: the output's declared schema (types normalized, catalog/duckTypes.ts). */
  readonly contract?: Contract;
  /** `-- @unique col[, col]`, one entry per line: keys that must be unique in the output. */
  readonly unique?: readonly (readonly string[])[];
  /**
   * `-- @key col[, col]`: the output columns the task is refreshed by, key by key. Checked by the proof in
   * lineage/keys.ts; it changes how the task runs, never its result, so it stays out of the plan fingerprint.
   */
  readonly key?: readonly string[];
}

export interface ContractColumn {
  readonly name: string;
  readonly type: string;
  readonly notNull: boolean;
}

export interface Contract {
  readonly columns: readonly ContractColumn[];
}

/** What a task promises about its output, as the graph and the build carry it. */
export interface OutputContract {
  readonly columns?: readonly ContractColumn[];
  readonly unique?: readonly (readonly string[])[];
}

/** One task file, read and split into header options and SQL body. */
export interface TaskSpec {
  /** `edges/calls.sql` → `edges.calls`. */
  readonly name: string;
  /** Absolute path of the task file. */
  readonly file: string;
  /** Path relative to the tasks directory, with forward slashes. */
  readonly relPath: string;
  readonly options: TaskOptions;
  /** The SQL after the header, as written (comments included). */
  readonly sql: string;
  /** 1-based line of the SQL body in the file, for error messages. */
  readonly sqlLine: number;
  /** sha256 of the whole file text: the lineage parse cache key. */
  readonly contentHash: string;
}
