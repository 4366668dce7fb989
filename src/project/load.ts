import type { ProgressEvent } from '../records/types.js';
import { catalogTasks } from '../catalog/catalog.js';
import type { TaskSpec } from '../catalog/types.js';
import { contractOf } from '../catalog/contract.js';
import { buildFingerprint, loadConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/types.js';
import { DeltaReadCache } from '../delta/index.js';
import { RelspecError } from '../errors.js';
import { buildGraph, validateGraph, type GraphTask, type RelGraph } from '../graph/index.js';
import { Scratch } from '../lineage/duck.js';
import { inferLineage, type LineageResult } from '../lineage/infer.js';
import type { Column } from '../lineage/types.js';
import {
  CodeExtractors,
  observeCodeSource,
  observeSource,
  sourceDatasets,
  type CodeSyncResult,
  type ObservedSource,
} from '../sources/index.js';
import type { Db } from '../state/db.js';
import { SqliteLineageCache } from '../state/lineageCache.js';
import { ownFilesWarning, type ProjectWarning } from './warnings.js';

export interface Project {
  config: ResolvedConfig;
  configHash: string;
  tasks: TaskSpec[];
  taskByName: Map<string, TaskSpec>;
  sources: Map<string, ObservedSource>;
  lineage: LineageResult;
  graph: RelGraph;
  /** Every problem found (task files, sources, lineage, graph); the rest of the project still loads. */
  errors: RelspecError[];
  /** What loads but deserves the user's eye (typed, printed by project/warnings.ts). */
  warnings: ProjectWarning[];
  /** What each code source's observe step extracted and committed (with `syncCode`). */
  codeSyncs: CodeSyncResult[];
  /** Footers and deletion vectors of the pinned Delta snapshots, for every later read of them. */
  deltaCache: DeltaReadCache;
  timings: Record<'sourcesMs' | 'catalogMs' | 'lineageMs' | 'graphMs', number>;
}

export interface LoadProjectOptions {
  configPath?: string;
  cwd?: string;
  /** An already-loaded config (the daemon keeps the last good one). */
  config?: { config: ResolvedConfig; hash: string };
  /** State database for the lineage cache; without one, lineage is computed from scratch. */
  db?: Db;
  concurrency?: number;
  /**
   * Bring code sources' Delta tables up to date with the code first (extract, commit). Runs and
   * plans do; read-only commands read the tables as the last run left them.
   */
  syncCode?: boolean;
  /** With syncCode: extract code sources from scratch (a full refresh). */
  fullCode?: boolean;
  /**
   * Warm code extractors owned by the caller (the daemon keeps one set for its life). Without, this
   * load makes its own and disposes them when it returns.
   */
  codeExtractors?: CodeExtractors;
  /** Progress of long steps (code extraction). */
  onProgress?: (e: ProgressEvent) => void;
  /** Delta footers and deletion vectors the caller keeps across loads (the daemon); without, a fresh one. */
  deltaCache?: DeltaReadCache;
}

export function toGraphTask(spec: TaskSpec, lineage: LineageResult): GraphTask {
  const parsed = lineage.parsed.get(spec.name);
  const full = lineage.lineage.get(spec.name);
  return {
    name: spec.name,
    output: spec.options.output,
    file: spec.file,
    materialize: spec.options.materialize,
    priority: spec.options.priority,
    tags: spec.options.tags,
    reads: parsed?.reads ?? [],
    fingerprint: parsed?.fingerprint,
    columns: full?.inputs,
    outputSchema: full?.outputSchema,
    ...(parsed && parsed.files.length > 0 ? { files: parsed.files, execSql: parsed.execSql } : {}),
    ...(parsed?.untracked.length ? { untracked: parsed.untracked } : {}),
    ...(parsed?.volatile.length ? { volatileFunctions: parsed.volatile } : {}),
    ...(spec.options.volatile ? { volatile: true } : {}),
    ...(contractOf(spec.options) ? { contract: contractOf(spec.options) } : {}),
    ...(full ? { keys: full.keys } : {}),
  };
}

/** Config → sources → task catalog → lineage → graph, collecting every error on the way. */
export async function loadProject(opts: LoadProjectOptions = {}): Promise<Project> {
  const { config } = opts.config ?? (await loadConfig(opts.configPath, opts.cwd));
  const errors: RelspecError[] = [];
  const warnings: ProjectWarning[] = [];
  const t0 = performance.now();
  const scratch = await Scratch.open();
  const extractors = opts.codeExtractors ?? new CodeExtractors();
  const deltaCache = opts.deltaCache ?? new DeltaReadCache();
  try {
    const sources = new Map<string, ObservedSource>();
    const sourceSchemas = new Map<string, Column[]>();
    const codeSyncs: CodeSyncResult[] = [];
    const unreadable = new Map<string, RelspecError>();
    for (const s of Object.values(config.sources)) {
      if (s.format === 'code') {
        await observeCode(
          scratch,
          config,
          s,
          { sync: opts.syncCode ?? false, full: opts.fullCode ?? false, extractors, onProgress: opts.onProgress },
          { sources, sourceSchemas, codeSyncs, errors, warnings },
        );
        continue;
      }
      try {
        // relspec's own files are never part of a source (code-source tables live under the state directory).
        const own = [config.stateDir, config.outputsDir];
        const obs = await observeSource(scratch.conn, s, { root: config.root, exclude: own }, deltaCache);
        const w = ownFilesWarning(config, s, obs.excluded ?? []);
        if (w) warnings.push(w);
        sources.set(s.name, obs);
        sourceSchemas.set(s.name, obs.schema);
      } catch (e) {
        if (!(e instanceof RelspecError)) throw e;
        errors.push(e);
        unreadable.set(s.name, e);
      }
    }
    const t1 = performance.now();
    const catalog = await catalogTasks(config.tasksDir);
    errors.push(...catalog.errors);
    const t2 = performance.now();
    const cache = opts.db ? new SqliteLineageCache(opts.db) : undefined;
    const lineage = await inferLineage({
      scratch,
      tasks: catalog.tasks,
      sourceNames: Object.values(config.sources).flatMap(sourceDatasets),
      sourceSchemas,
      cache,
      concurrency: opts.concurrency,
      root: config.root,
      exclude: [config.stateDir, config.outputsDir],
    });
    // A task reading a source that cannot be read this run fails with that reason (its file named),
    // so it and its consumers are reported instead of silently passing as up to date.
    for (const t of catalog.tasks) {
      const bad = (lineage.parsed.get(t.name)?.reads ?? []).find((r) => unreadable.has(r));
      if (bad === undefined) continue;
      const e = unreadable.get(bad)!;
      errors.push(
        new RelspecError(e.code, `task ${t.name} reads source ${bad}, which cannot be read: ${e.message}${e.file ? ` [${e.file}]` : ''}`, {
          file: t.file,
          fix: e.fix,
        }),
      );
    }
    errors.push(...lineage.errors);
    const t3 = performance.now();
    const graph = buildGraph({
      sources: Object.values(config.sources)
        .flatMap(sourceDatasets)
        .map((name) => ({ name, schema: sourceSchemas.get(name) })),
      tasks: catalog.tasks.filter((t) => lineage.parsed.has(t.name)).map((t) => toGraphTask(t, lineage)),
      outputSchemas: lineage.schemas,
    });
    errors.push(...validateGraph(graph));
    const t4 = performance.now();
    return {
      config,
      configHash: buildFingerprint(config),
      tasks: catalog.tasks,
      taskByName: new Map(catalog.tasks.map((t) => [t.name, t])),
      sources,
      lineage,
      graph,
      errors,
      warnings,
      codeSyncs,
      deltaCache,
      timings: { sourcesMs: t1 - t0, catalogMs: t2 - t1, lineageMs: t3 - t2, graphMs: t4 - t3 },
    };
  } finally {
    if (!opts.codeExtractors) extractors.dispose();
    scratch.close();
  }
}

/**
 * A code source's five tables. A failed extraction or commit is reported, and the tables as they
 * were still load: downstream tasks keep the last good facts instead of blocking.
 */
async function observeCode(
  scratch: Scratch,
  config: ResolvedConfig,
  s: ResolvedConfig['sources'][string],
  {
    sync,
    full,
    extractors,
    onProgress,
  }: { sync: boolean; full: boolean; extractors: CodeExtractors; onProgress?: (e: ProgressEvent) => void },
  out: {
    sources: Map<string, ObservedSource>;
    sourceSchemas: Map<string, Column[]>;
    codeSyncs: CodeSyncResult[];
    errors: RelspecError[];
    warnings: ProjectWarning[];
  },
): Promise<void> {
  const ctx = {
    root: config.root,
    stateDir: config.stateDir,
    outputsDir: config.outputsDir,
    connect: () => scratch.connect(),
    full,
    extractors,
    onProgress,
  };
  let observed: Awaited<ReturnType<typeof observeCodeSource>>;
  try {
    try {
      observed = await observeCodeSource(scratch.conn, s, ctx, { sync });
    } catch (e) {
      if (!(e instanceof RelspecError) || !sync) throw e;
      out.errors.push(e);
      observed = await observeCodeSource(scratch.conn, s, ctx, { sync: false });
    }
  } catch (e) {
    if (!(e instanceof RelspecError)) throw e;
    out.errors.push(e);
    return;
  }
  if (observed.sync) out.codeSyncs.push(observed.sync);
  out.errors.push(...observed.errors);
  out.warnings.push(...observed.warnings);
  for (const d of observed.datasets) {
    // A run reads tables only: one that was never written is a source without data (like a broken one).
    if (sync && !d.delta) continue;
    out.sources.set(d.name, {
      name: d.name,
      format: d.delta ? 'delta' : 'code',
      files: [],
      schema: d.schema,
      delta: d.delta,
      code: { source: d.source, table: d.table },
    });
    out.sourceSchemas.set(d.name, d.schema);
  }
}
