import { existsSync } from 'node:fs';
import path from 'node:path';
import { deltaOutputDir } from '../engine/deltaOutput.js';
import { relationKey } from '../engine/warehouse.js';
import { RelspecError } from '../errors.js';
import { cyclicTasks, descendants, taskId, tasksOf, type GraphTask } from '../graph/index.js';
import { targetOf } from './build.js';
import type { RunScope, RunStart } from './runScope.js';

/** Phase 2 of a run: which tasks must be verified, and which cannot run at all. */
export interface Candidates {
  /** Tasks to verify; grows while the schedule runs (a build marks its consumers). */
  set: Set<string>;
  /** Every task this run may reach: the candidates and their descendants in the selection. */
  reachable: Set<string>;
  /** Tasks that cannot run: their file has an error, they sit in a cycle. */
  taskErrors: Map<string, RelspecError>;
  /** Problems outside any task file (config, sources, graph). */
  errors: ReturnType<RelspecError['toJSON']>[];
  outputExists: (t: GraphTask) => boolean;
}

export function findCandidates(scope: RunScope, start: RunStart): Candidates {
  const { project, g, opts, inSel, producers } = scope;
  const { traces, pending, latest, relations } = start;
  const taskErrors = tasksThatCannotRun(scope);
  const byFile = new Set(project.tasks.map((t) => t.file));
  const errors = project.errors.filter((e) => !(e.file && byFile.has(e.file))).map((e) => e.toJSON());
  const reconcile = opts.reconcile || opts.rescanReason !== undefined;
  const outputExists = (t: GraphTask) =>
    relations.has(relationKey(targetOf(t, producers))) &&
    (t.materialize !== 'delta' || existsSync(path.join(deltaOutputDir(project.config.outputsDir, t.output), '_delta_log')));

  const set = new Set<string>();
  for (const t of tasksOf(g)) {
    if (!inSel(t.name)) continue;
    const last = latest.get(t.name);
    // Files read through table functions and volatile tasks have no root change to mark them: verify each run (a stat per file).
    if (
      reconcile ||
      opts.fullRefresh ||
      pending.has(t.name) ||
      !traces.has(t.name) ||
      last?.status === 'failed' ||
      !outputExists(t) ||
      taskErrors.has(t.name) ||
      t.files?.length ||
      t.volatile
    ) {
      set.add(t.name);
    }
  }
  for (const name of taskErrors.keys()) if (inSel(name) && !g.hasNode(taskId(name))) set.add(name);
  // Tasks whose inputs may change during this run (an upstream rebuilt for its own reasons).
  const reachable = new Set([...set, ...[...descendants(g, [...set].filter((t) => g.hasNode(taskId(t))).map(taskId))].filter(inSel)]);
  return { set, reachable, taskErrors, errors, outputExists };
}

function tasksThatCannotRun({ project, g }: RunScope): Map<string, RelspecError> {
  const taskErrors = new Map<string, RelspecError>();
  const byFile = new Map(project.tasks.map((t) => [t.file, t.name]));
  for (const e of project.errors) {
    const name = e.file ? byFile.get(e.file) : undefined;
    if (name && !taskErrors.has(name)) taskErrors.set(name, e);
  }
  for (const name of cyclicTasks(g)) {
    if (!taskErrors.has(name)) {
      const e = project.errors.find((x) => x.code === 'E_GRAPH' && x.message.includes(name));
      taskErrors.set(
        name,
        e ?? new RelspecError('E_GRAPH', `task ${name} is part of a cycle`, { file: project.taskByName.get(name)?.file }),
      );
    }
  }
  return taskErrors;
}
