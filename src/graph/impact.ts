import type { RelGraph } from './model.js';
import { reachTasks } from './compiled.js';

/** Tasks downstream of these nodes (the invalidation candidates), seeds excluded. */
export const descendants = (g: RelGraph, nodeIds: readonly string[]): Set<string> => reachTasks(g, nodeIds, 'out');

/** Tasks upstream of these nodes (provenance), seeds excluded. */
export const ancestors = (g: RelGraph, nodeIds: readonly string[]): Set<string> => reachTasks(g, nodeIds, 'in');

/** Task → tasks it directly depends on (through the outputs it reads). */
export function taskDependencies(g: RelGraph): Map<string, Set<string>> {
  const deps = new Map<string, Set<string>>();
  g.forEachNode((id, a) => {
    if (a.kind !== 'task') return;
    const ups = new Set<string>();
    g.forEachInNeighbor(id, (ev) => g.forEachInNeighbor(ev, (_, b) => void (b.kind === 'task' && ups.add(b.name))));
    deps.set(a.name, ups);
  });
  return deps;
}

/**
 * The longest chain of tasks (by count, or by `weight` such as last durations): the lower bound on
 * a full build's wall time however many threads run.
 */
export function criticalPath(g: RelGraph, order: readonly string[], weight: (task: string) => number = () => 1): string[] {
  const deps = taskDependencies(g);
  const best = new Map<string, { w: number; prev?: string }>();
  for (const t of order) {
    let top: { w: number; prev?: string } = { w: 0 };
    for (const d of [...(deps.get(t) ?? [])].sort()) {
      const b = best.get(d);
      if (b && b.w > top.w) top = { w: b.w, prev: d };
    }
    best.set(t, { w: top.w + weight(t), prev: top.prev });
  }
  let end: string | undefined;
  for (const [t, b] of best) if (end === undefined || b.w > best.get(end)!.w) end = t;
  const path: string[] = [];
  for (let t = end; t !== undefined; t = best.get(t)!.prev) path.unshift(t);
  return path;
}

/** Task-level edges with the ones implied by longer paths removed, for display. */
export function transitiveReduction(g: RelGraph): [string, string][] {
  const deps = taskDependencies(g);
  const memo = new Map<string, Set<string>>();
  const closure = (t: string, stack = new Set<string>()): Set<string> => {
    const hit = memo.get(t);
    if (hit) return hit;
    if (stack.has(t)) return new Set();
    stack.add(t);
    const all = new Set<string>();
    for (const d of deps.get(t) ?? []) {
      all.add(d);
      for (const x of closure(d, stack)) all.add(x);
    }
    stack.delete(t);
    memo.set(t, all);
    return all;
  };
  const edges: [string, string][] = [];
  for (const [t, ds] of [...deps].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const d of [...ds].sort()) {
      const implied = [...ds].some((o) => o !== d && closure(o).has(d));
      if (!implied) edges.push([d, t]);
    }
  }
  return edges;
}
