import type { Warehouse } from '../engine/warehouse.js';
import { outputId, selectTasks, tasksOf, type RelGraph } from '../graph/index.js';
import type { Project } from '../project/load.js';
import type { EvidenceRow, Store, TaskRunRow } from '../state/store.js';
import type { RootChange, Trace } from '../records/types.js';
import type { RunOptions } from './runTypes.js';
import type { TokenBook } from './tokenbook.js';

/** What every phase of one run reads: the project as loaded, the state and the selection. */
export interface RunScope {
  project: Project;
  g: RelGraph;
  store: Store;
  warehouse: Warehouse;
  opts: RunOptions;
  engineVersion: string;
  /** Output → the tasks producing it, sorted. */
  producersOf: Map<string, string[]>;
  producers: (ds: string) => string[];
  /** Tasks that read a dataset directly. */
  consumers: (ds: string) => string[];
  inSel: (task: string) => boolean;
}

/** What the first phase hands on: the run's id, its root changes, and the state as the run sees it. */
export interface RunStart {
  /** 0 for a plan, which records nothing. */
  runId: number;
  changes: RootChange[];
  relations: Map<string, 'table' | 'view'>;
  evidence: Map<string, EvidenceRow>;
  traces: Map<string, Trace>;
  pending: Map<string, string[]>;
  latest: Map<string, TaskRunRow>;
  book: TokenBook;
}

export function runScope(project: Project, store: Store, warehouse: Warehouse, opts: RunOptions, engineVersion: string): RunScope {
  const g = project.graph;
  const producersOf = new Map<string, string[]>();
  for (const t of tasksOf(g)) producersOf.set(t.output, [...(producersOf.get(t.output) ?? []), t.name].sort());
  const selection = opts.select ? selectTasks(g, opts.select) : undefined;
  return {
    project,
    g,
    store,
    warehouse,
    opts,
    engineVersion,
    producersOf,
    producers: (ds) => producersOf.get(ds) ?? [],
    consumers: (ds) => (g.hasNode(outputId(ds)) ? g.outNeighbors(outputId(ds)).map((n) => g.getNodeAttribute(n, 'name')) : []),
    inSel: (t) => !selection || selection.has(t),
  };
}
