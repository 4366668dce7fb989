export type FileFormat = 'parquet' | 'csv' | 'json';
export type SourceFormat = FileFormat | 'delta' | 'code';

export interface SourceConfig {
  format: SourceFormat;
  /** A glob for file formats, a directory for delta. Relative to the config file. */
  path: string;
  /** Passed to DuckDB's reader (e.g. `{ header: true, delim: ';' }` for csv). */
  options?: Record<string, string | number | boolean>;
  /** Code sources: the tsconfig the extractor reads, relative to the config file (default: the root's tsconfig.json). */
  tsconfig?: string;
}

export interface EngineConfig {
  /** DuckDB threads per connection; default: DuckDB's own choice. */
  threads?: number;
  /** DuckDB memory limit, e.g. '4GB'. */
  memoryLimit?: string;
  /**
   * Tasks built at once, each on its own DuckDB connection (a task starts when every producer of its
   * inputs has finished). Default: the number of CPUs (`os.availableParallelism()`); 1 builds one at a time.
   */
  concurrency?: number;
  /**
   * A key-scoped task refreshes by key while at most this fraction of its keys changed, in full above
   * it; 0 never refreshes by key. Default 0.3 (KEYED_THRESHOLD, measured by bench/keyed.ts).
   */
  keyThreshold?: number;
}

export interface WatchConfig {
  /** Milliseconds of quiet before a run starts. */
  debounceMs?: number;
  /** Extra glob patterns the watcher ignores. */
  ignore?: string[];
  /**
   * The page and API port on 127.0.0.1. Default 0: a free port each start (the URL carries a new
   * token each start anyway; `state/daemon.json` says where it is).
   */
  port?: number;
}

export interface StateConfig {
  dir?: string;
  keepRuns?: number;
}

export interface OpenLineageConfig {
  /** An HTTP endpoint events are POSTed to, e.g. Marquez's `http://localhost:5000/api/v1/lineage`. */
  url?: string;
  /** A JSON-lines file events are appended to, relative to the config file. */
  file?: string;
  /** The jobs' namespace (default 'relspec'). */
  namespace?: string;
  /** Emit skipped tasks as OTHER events with the cut-off reason (default false). */
  emitSkipped?: boolean;
}

/** What a user writes in `watch.config.ts`: every key is optional. */
export interface UserConfig {
  sources?: Record<string, SourceConfig>;
  tasks?: string;
  /** The state directory (default `state`), or `{ dir, keepRuns }`: how many run bundles `state/runs/` keeps (default 100). */
  state?: string | StateConfig;
  outputs?: string;
  engine?: EngineConfig;
  watch?: WatchConfig;
  openlineage?: OpenLineageConfig;
}

export interface ResolvedSource {
  readonly name: string;
  readonly format: SourceFormat;
  /** Absolute glob (files) or absolute directory (delta, code root). */
  readonly path: string;
  readonly options: Readonly<Record<string, string | number | boolean>>;
  /** Code sources: absolute path of the tsconfig set in the config; absent: the root's tsconfig.json. */
  readonly tsconfig?: string;
}

/** The config after defaults and path resolution: what every other module reads. */
export interface ResolvedConfig {
  /** Absolute path of the config file, or undefined for an in-memory config. */
  readonly configFile: string | undefined;
  readonly root: string;
  readonly sources: Readonly<Record<string, ResolvedSource>>;
  readonly tasksDir: string;
  readonly stateDir: string;
  /** Run bundles (`state/runs/<runId>/`) kept; older ones are removed after each run. */
  readonly keepRuns: number;
  /** Absent: no events. `file` is absolute. */
  readonly openlineage?: Readonly<{ url?: string; file?: string; namespace: string; emitSkipped: boolean }>;
  readonly outputsDir: string;
  readonly engine: Readonly<EngineConfig>;
  /** `port` stays optional (0 when absent): a config built in code need not name it. */
  readonly watch: Readonly<Required<Omit<WatchConfig, 'port'>> & Pick<WatchConfig, 'port'>>;
}

/** Identity: gives editors the types of the config object. */
export function defineConfig(config: UserConfig): UserConfig {
  return config;
}
