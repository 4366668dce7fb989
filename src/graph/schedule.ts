import { topologicalGenerations } from 'graphology-dag';
import type { GraphTask, RelGraph } from './model.js';
import { cyclicTasks } from './validate.js';
import { descendants } from './impact.js';
import { taskId } from './model.js';

export const byPriorityThenName = (a: GraphTask, b: GraphTask): number =>
  a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Deterministic topological generations of tasks: a task's generation is the length of the longest
 * chain of tasks above it; inside a generation, lower priority first, then name. Tasks in a cycle
 * (and everything downstream of one) are left out — validation reports them.
 * `only` restricts the result to a subset (a partial run), keeping the full graph's layering.
 */
export function generations(g: RelGraph, only?: ReadonlySet<string>): GraphTask[][] {
  let graph = g;
  const bad = cyclicTasks(g);
  if (bad.size > 0) {
    graph = g.copy();
    const drop = descendants(g, [...bad].map(taskId));
    for (const t of bad) drop.add(t);
    for (const t of drop) graph.dropNode(taskId(t));
  }
  const out: GraphTask[][] = [];
  for (const gen of topologicalGenerations(graph)) {
    const tasks: GraphTask[] = [];
    for (const id of gen) {
      const a = graph.getNodeAttributes(id);
      if (a.kind === 'task' && (!only || only.has(a.name))) tasks.push(a.task!);
    }
    if (tasks.length > 0) out.push(tasks.sort(byPriorityThenName));
  }
  return out;
}
