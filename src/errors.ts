/**
 * Known errors carry a stable `code`, the file they concern and the fix. The CLI prints them on one
 * line (`relspec: E_CODE file: message — fix`) and exits 2; anything else is a bug and gets a stack.
 */
export type ErrorCode =
  | 'E_CONFIG'
  | 'E_CONFIG_LOAD'
  | 'E_TASK'
  | 'E_TASK_SQL'
  /** A task's query failed while running on the data (the message is prefixed by the task file). */
  | 'E_TASK_RUN'
  /** A file a task reads through a table function (`read_csv('x.csv')`) is missing, or its glob matches nothing. */
  | 'E_TASK_FILE'
  /** An output breaks its `-- @contract` / `-- @unique` (checked before running and on the data after each build). */
  | 'E_CONTRACT'
  | 'E_UNKNOWN_TABLE'
  | 'E_GRAPH'
  | 'E_SOURCE'
  | 'E_LINEAGE'
  | 'E_SELECT'
  | 'E_STATE'
  | 'E_LOCKED'
  | 'E_DELTA'
  | 'E_DELTA_UNSUPPORTED'
  /** `relspec query` / `POST /api/query`: not exactly one read-only query, or it failed. */
  | 'E_QUERY'
  | 'E_USAGE';

export interface ErrorDetails {
  /** The file the error is about (config, task file, source path, Delta log entry). */
  file?: string;
  /** What the user should do about it. */
  fix?: string;
  cause?: unknown;
}

export class RelspecError extends Error {
  readonly code: ErrorCode;
  readonly file?: string;
  readonly fix?: string;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'RelspecError';
    this.code = code;
    this.file = details.file;
    this.fix = details.fix;
  }

  /** One line: `E_CODE file: message — fix`. */
  oneLine(): string {
    const where = this.file ? `${this.file}: ` : '';
    const fix = this.fix ? ` — ${this.fix}` : '';
    return `${this.code} ${where}${this.message}${fix}`;
  }

  toJSON(): { code: ErrorCode; message: string; file?: string; fix?: string } {
    return { code: this.code, message: this.message, file: this.file, fix: this.fix };
  }
}

/** Several independent errors found in one pass (config keys, graph validation): all are reported. */
export class RelspecErrors extends Error {
  readonly errors: readonly RelspecError[];

  constructor(errors: readonly RelspecError[]) {
    super(errors.map((e) => e.oneLine()).join('\n'));
    this.name = 'RelspecErrors';
    this.errors = errors;
  }
}

export const isKnownError = (e: unknown): e is RelspecError | RelspecErrors => e instanceof RelspecError || e instanceof RelspecErrors;

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
