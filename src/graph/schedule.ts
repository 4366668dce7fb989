import type { GraphTask, RelGraph } from './model.js';
import { cyclicTasks } from './validate.js';
import { descendants } from './impact.js';
import { taskId } from './model.js';
import { compile } from './compiled.js';

export const byPriorityThenName = (a: GraphTask, b: GraphTask): number =>
  a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Deterministic topological generations of tasks: a task's generation is the length of the longest
 * chain of tasks above it; inside a generation, lower priority first, then name. Tasks in a cycle
 * (and everything downstream of one) are left out — validation reports them.
 * `only` restricts the result to a subset (a partial run): see generationsOf.
 */
export function generations(g: RelGraph, only?: ReadonlySet<string>): GraphTask[][] {
  if (only) return generationsOf(g, only);
  const bad = cyclicTasks(g);
  const drop = bad.size > 0 ? descendants(g, [...bad].map(taskId)) : new Set<string>();
  for (const t of bad) drop.add(t);
  const all = new Set<string>();
  g.forEachNode((_, a) => {
    if (a.kind === 'task' && !drop.has(a.name)) all.add(a.name);
  });
  return generationsOf(g, all);
}

/**
 * Generations of a subset of tasks, by Kahn's algorithm over the subgraph they induce: a run pays
 * for what it touches, not for the whole graph. A task's generation counts the longest chain of
 * subset tasks above it; tasks of the subset that sit in a cycle are left out.
 */
export function generationsOf(g: RelGraph, only: ReadonlySet<string>): GraphTask[][] {
  const c = compile(g);
  const members: number[] = [];
  for (const name of only) {
    const i = c.index.get(taskId(name));
    if (i !== undefined) members.push(i);
  }
  const inSet = new Uint8Array(c.ids.length);
  for (const i of members) inSet[i] = 1;
  // Task → task edges go through one evidence node (task → output → task).
  const indeg = new Map<number, number>();
  const next = new Map<number, number[]>();
  for (const i of members) {
    indeg.set(i, indeg.get(i) ?? 0);
    for (let k = c.outOffsets[i]!; k < c.outOffsets[i + 1]!; k++) {
      const ev = c.outTargets[k]!;
      for (let m = c.outOffsets[ev]!; m < c.outOffsets[ev + 1]!; m++) {
        const j = c.outTargets[m]!;
        if (!inSet[j] || j === i) continue;
        (next.get(i) ?? next.set(i, []).get(i)!).push(j);
        indeg.set(j, (indeg.get(j) ?? 0) + 1);
      }
    }
  }
  const out: GraphTask[][] = [];
  let level = members.filter((i) => indeg.get(i) === 0);
  while (level.length > 0) {
    out.push(level.map((i) => g.getNodeAttribute(c.ids[i]!, 'task')!).sort(byPriorityThenName));
    const following: number[] = [];
    for (const i of level) {
      for (const j of next.get(i) ?? []) {
        const d = indeg.get(j)! - 1;
        indeg.set(j, d);
        if (d === 0) following.push(j);
      }
    }
    level = following;
  }
  return out;
}
