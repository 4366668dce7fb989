import { DirectedGraph } from 'graphology';
import type { Materialize, OutputContract } from '../catalog/types.js';
import type { CompiledMemo } from './compiled.js';
import type { Column } from '../lineage/types.js';
import type { UntrackedCall } from '../lineage/fileReads.js';
import type { FileRead } from '../lineage/taskFiles.js';
import type { KeyProof } from '../lineage/keys.js';

export type NodeKind = 'source' | 'output' | 'task';
export type EdgeKind = 'requires' | 'produces';

export interface NodeAttrs {
  kind: NodeKind;
  name: string;
  /** task nodes */
  task?: GraphTask;
  /** evidence nodes: schema when known */
  schema?: Column[];
}

export interface EdgeAttrs {
  kind: EdgeKind;
  /** requires edges: the columns the task reads from the input; undefined when not known. */
  columns?: string[];
}

/** What the graph needs to know about a task (from the catalog and lineage). */
export interface GraphTask {
  name: string;
  output: string;
  file: string;
  materialize: Materialize;
  priority: number;
  tags: readonly string[];
  reads: readonly string[];
  fingerprint?: string;
  /** Required columns per input; absent where lineage could not tell (the task is then blocked). */
  columns?: Readonly<Record<string, readonly string[]>>;
  outputSchema?: Column[];
  /** Files it reads through table functions (tracked inputs), and the SQL that reads them by absolute path. */
  files?: readonly FileRead[];
  execSql?: string;
  /** File reads relspec cannot follow (the task is untracked). */
  untracked?: readonly UntrackedCall[];
  /** Non-deterministic functions it calls; `volatile`: the `-- @volatile` header (rebuild every run). */
  volatileFunctions?: readonly string[];
  volatile?: boolean;
  /** `-- @contract` / `-- @unique`: checked against outputSchema before running, and on the data after each build. */
  contract?: OutputContract;
  /** The output columns it is key-scoped on (lineage/keys.ts), and the `-- @key` it declares; absent without lineage. */
  keys?: KeyProof;
}

/** The graph's own attributes: what is derived from its shape, computed once and carried with it. */
export interface GraphAttrs {
  compiled?: CompiledMemo;
}

export type RelGraph = DirectedGraph<NodeAttrs, EdgeAttrs, GraphAttrs>;

export const taskId = (name: string): string => `task:${name}`;
export const sourceId = (name: string): string => `source:${name}`;
export const outputId = (name: string): string => `output:${name}`;

export interface GraphInput {
  sources: readonly { name: string; schema?: Column[] }[];
  tasks: readonly GraphTask[];
  /** Output schemas known from lineage. */
  outputSchemas?: ReadonlyMap<string, Column[]>;
}

/**
 * The bipartite graph: evidence (sources, outputs) → task by `requires`, task → output by
 * `produces`. A name that is both a source and an output is read as the source; the clashing task
 * produces a separate output node nobody reads, and validation reports it.
 */
export function buildGraph(input: GraphInput): RelGraph {
  const g: RelGraph = new DirectedGraph<NodeAttrs, EdgeAttrs, GraphAttrs>({ allowSelfLoops: false });
  const evidence = new Map<string, string>();
  for (const s of [...input.sources].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    g.addNode(sourceId(s.name), { kind: 'source', name: s.name, schema: s.schema });
    evidence.set(s.name, sourceId(s.name));
  }
  const tasks = [...input.tasks].sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const t of tasks) {
    // Every task produces an output node, even one whose name clashes with a source (readers of
    // the name still bind to the source): run() walks from a failed task's output node.
    if (!g.hasNode(outputId(t.output)))
      g.addNode(outputId(t.output), { kind: 'output', name: t.output, schema: input.outputSchemas?.get(t.output) });
    if (!evidence.has(t.output)) evidence.set(t.output, outputId(t.output));
  }
  for (const t of tasks) {
    g.addNode(taskId(t.name), { kind: 'task', name: t.name, task: t });
    g.addDirectedEdge(taskId(t.name), outputId(t.output), { kind: 'produces' });
  }
  for (const t of tasks) {
    for (const ds of t.reads) {
      const from = evidence.get(ds);
      if (from === undefined) continue;
      const cols = t.columns?.[ds];
      g.addDirectedEdge(from, taskId(t.name), { kind: 'requires', columns: cols ? [...cols] : undefined });
    }
  }
  return g;
}

export function tasksOf(g: RelGraph): GraphTask[] {
  const out: GraphTask[] = [];
  g.forEachNode((_, a) => {
    if (a.kind === 'task') out.push(a.task!);
  });
  return out;
}
