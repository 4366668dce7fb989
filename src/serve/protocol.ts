import type { Json } from '@duckdb/node-api';
import type { ErrorCode } from '../errors.js';

/**
 * What the CLI asks a running daemon over `STATE/daemon.sock` (mode 0600): one request per
 * connection, newline-delimited JSON both ways. While `relspec watch` runs it owns the DuckDB
 * warehouse (one writer process per file), so reads that need it are answered by the daemon.
 */
export const SOCKET_FILE = 'daemon.sock';

/** The console flags of run and plan: the daemon prints what `relspec run` would. */
interface RunFlags {
  select?: string;
  fullRefresh?: boolean;
  json?: boolean;
  verbose?: boolean;
}

export type Request =
  | { type: 'query'; sql: string; limit?: number }
  | { type: 'show'; name: string; limit: number; order?: string }
  | ({ type: 'plan' } & RunFlags)
  | ({ type: 'run' } & RunFlags)
  /** The project commands load the client's config file: the same answer as direct mode. */
  | { type: 'lineage'; configFile: string; tasks: string[]; json?: boolean }
  | { type: 'graph'; configFile: string; format: string; select?: string }
  | { type: 'validate'; configFile: string; json?: boolean };

export type RequestType = Request['type'];

/** `relspec query --json` without the formatting: columns with DuckDB types, rows, and which run it reflects. */
export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: Json[][];
  truncated: boolean;
  asOfRun: number | null;
  running: boolean;
}

export interface ShowResult {
  name: string;
  total: number;
  columns: string[];
  rows: Json[][];
}

/** Requests answered with data the CLI formats; the others stream console lines and an exit code. */
export interface Results {
  query: QueryResult;
  show: ShowResult;
}

export type ResultType = keyof Results;
/** What the client hands back to the command: its result, or the exit code after the lines were printed. */
export type Answer<T extends RequestType> = T extends ResultType ? Results[T] : number;

export interface WireError {
  code: ErrorCode;
  message: string;
  file?: string;
  fix?: string;
}

export type Response =
  | { type: 'result'; result: Results[ResultType] }
  /** A console chunk, written as is to the CLI's stdout or stderr (lines end in '\n'). */
  | { type: 'output'; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'exit'; code: number }
  /** A known error (several for a config with many problems). */
  | { type: 'error'; errors: WireError[] }
  /** A bug in the daemon: the CLI reports it as an internal error (exit 1). */
  | { type: 'internal'; message: string };
