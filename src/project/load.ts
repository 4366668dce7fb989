import { catalogTasks } from '../catalog/catalog.js';
import type { TaskSpec } from '../catalog/types.js';
import { loadConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/types.js';
import { RelspecError } from '../errors.js';
import { buildGraph, validateGraph, type GraphTask, type RelGraph } from '../graph/index.js';
import { Scratch } from '../lineage/duck.js';
import { inferLineage, type LineageResult } from '../lineage/infer.js';
import type { Column } from '../lineage/types.js';
import { observeSource, type ObservedSource } from '../sources/index.js';
import type { Db } from '../state/db.js';
import { SqliteLineageCache } from '../state/lineageCache.js';

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
  };
}

/** Config → sources → task catalog → lineage → graph, collecting every error on the way. */
export async function loadProject(opts: LoadProjectOptions = {}): Promise<Project> {
  const { config, hash } = opts.config ?? (await loadConfig(opts.configPath, opts.cwd));
  const errors: RelspecError[] = [];
  const t0 = performance.now();
  const scratch = await Scratch.open();
  try {
    const sources = new Map<string, ObservedSource>();
    const sourceSchemas = new Map<string, Column[]>();
    for (const s of Object.values(config.sources)) {
      try {
        const obs = await observeSource(scratch.conn, s);
        sources.set(s.name, obs);
        sourceSchemas.set(s.name, obs.schema);
      } catch (e) {
        if (e instanceof RelspecError) errors.push(e);
        else throw e;
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
      sourceNames: Object.keys(config.sources),
      sourceSchemas,
      cache,
      concurrency: opts.concurrency,
    });
    errors.push(...lineage.errors);
    const t3 = performance.now();
    const graph = buildGraph({
      sources: Object.keys(config.sources).map((name) => ({ name, schema: sourceSchemas.get(name) })),
      tasks: catalog.tasks.filter((t) => lineage.parsed.has(t.name)).map((t) => toGraphTask(t, lineage)),
      outputSchemas: lineage.schemas,
    });
    errors.push(...validateGraph(graph));
    const t4 = performance.now();
    return {
      config,
      configHash: hash,
      tasks: catalog.tasks,
      taskByName: new Map(catalog.tasks.map((t) => [t.name, t])),
      sources,
      lineage,
      graph,
      errors,
      timings: { sourcesMs: t1 - t0, catalogMs: t2 - t1, lineageMs: t3 - t2, graphMs: t4 - t3 },
    };
  } finally {
    scratch.close();
  }
}
