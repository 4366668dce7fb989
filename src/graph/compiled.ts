import type { RelGraph } from './model.js';

/**
 * The graph as typed-array adjacency (CSR) for the hot paths: graphology's per-neighbour callbacks
 * made descendants() of a source ~30 ms at 10k tasks; this walks Int32Arrays. graphology stays
 * the model; a graph is compiled once (graphs are not mutated after buildGraph) and carries its
 * compiled form as a graph attribute, so the memo lives and dies with the graph that owns it.
 */
export interface Compiled {
  ids: string[];
  index: Map<string, number>;
  outOffsets: Int32Array;
  outTargets: Int32Array;
  inOffsets: Int32Array;
  inTargets: Int32Array;
  /** Task name for task nodes, undefined for evidence. */
  taskName: (string | undefined)[];
}

/** The compiled form with what callers derive from it (run() asks for these on every pass). */
export interface CompiledMemo {
  /** The shape it was compiled at: a graph grown since is compiled again. */
  key: string;
  compiled: Compiled;
  /** validate.ts cyclicTasks. */
  cyclic?: ReadonlySet<string>;
}

/** The graph's memo, (re)compiled when missing or when the graph's shape changed. */
export function compiledMemo(g: RelGraph): CompiledMemo {
  const key = `${g.order}:${g.size}`;
  const hit = g.getAttribute('compiled');
  if (hit && hit.key === key) return hit;
  const memo = { key, compiled: build(g) };
  g.setAttribute('compiled', memo);
  return memo;
}

export const compile = (g: RelGraph): Compiled => compiledMemo(g).compiled;

function build(g: RelGraph): Compiled {
  const ids = g.nodes();
  const index = new Map(ids.map((id, i) => [id, i]));
  const n = ids.length;
  const outOffsets = new Int32Array(n + 1);
  const inOffsets = new Int32Array(n + 1);
  g.forEachEdge((_, __, s, t) => {
    outOffsets[index.get(s)! + 1]!++;
    inOffsets[index.get(t)! + 1]!++;
  });
  for (let i = 0; i < n; i++) {
    outOffsets[i + 1]! += outOffsets[i]!;
    inOffsets[i + 1]! += inOffsets[i]!;
  }
  const outTargets = new Int32Array(g.size);
  const inTargets = new Int32Array(g.size);
  const outFill = outOffsets.slice(0, n);
  const inFill = inOffsets.slice(0, n);
  g.forEachEdge((_, __, s, t) => {
    const si = index.get(s)!;
    const ti = index.get(t)!;
    outTargets[outFill[si]!++] = ti;
    inTargets[inFill[ti]!++] = si;
  });
  const taskName = ids.map((id) => {
    const a = g.getNodeAttributes(id);
    return a.kind === 'task' ? a.name : undefined;
  });
  return { ids, index, outOffsets, outTargets, inOffsets, inTargets, taskName };
}

/** Task names reachable from the seeds (seeds excluded), following out- or in-edges. */
export function reachTasks(g: RelGraph, seeds: readonly string[], dir: 'out' | 'in'): Set<string> {
  const c = compile(g);
  const offsets = dir === 'out' ? c.outOffsets : c.inOffsets;
  const targets = dir === 'out' ? c.outTargets : c.inTargets;
  const seen = new Uint8Array(c.ids.length);
  const stack: number[] = [];
  for (const s of seeds) {
    const i = c.index.get(s);
    if (i !== undefined) stack.push(i);
  }
  const tasks = new Set<string>();
  while (stack.length > 0) {
    const i = stack.pop()!;
    for (let k = offsets[i]!; k < offsets[i + 1]!; k++) {
      const j = targets[k]!;
      if (seen[j]) continue;
      seen[j] = 1;
      const name = c.taskName[j];
      if (name !== undefined) tasks.add(name);
      stack.push(j);
    }
  }
  return tasks;
}

/**
 * Strongly connected components by an iterative Tarjan over the CSR (graphology-components took
 * ~1 s at 100k tasks, and run() asks for the cyclic tasks on every pass): a component id per node.
 */
export function components(c: Compiled): Int32Array {
  const n = c.ids.length;
  const order = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const comp = new Int32Array(n).fill(-1);
  const stack: number[] = [];
  const callNode: number[] = [];
  const callEdge: number[] = [];
  let counter = 0;
  let count = 0;
  const enter = (v: number) => {
    order[v] = low[v] = counter++;
    stack.push(v);
    onStack[v] = 1;
    callNode.push(v);
    callEdge.push(c.outOffsets[v]!);
  };
  for (let root = 0; root < n; root++) {
    if (order[root] !== -1) continue;
    enter(root);
    while (callNode.length > 0) {
      const top = callNode.length - 1;
      const v = callNode[top]!;
      const k = callEdge[top]!;
      if (k < c.outOffsets[v + 1]!) {
        callEdge[top] = k + 1;
        const w = c.outTargets[k]!;
        if (order[w] === -1) enter(w);
        else if (onStack[w]) low[v] = Math.min(low[v]!, order[w]!);
        continue;
      }
      callNode.pop();
      callEdge.pop();
      if (callNode.length > 0) {
        const u = callNode[callNode.length - 1]!;
        low[u] = Math.min(low[u]!, low[v]!);
      }
      if (low[v] === order[v]) {
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          comp[w] = count;
        } while (w !== v);
        count++;
      }
    }
  }
  return comp;
}

/** Task names of every component holding two or more tasks (a cycle), each sorted. */
export function taskCycles(g: RelGraph): string[][] {
  const c = compile(g);
  const comp = components(c);
  const byComp = new Map<number, string[]>();
  for (let i = 0; i < c.ids.length; i++) {
    const name = c.taskName[i];
    if (name !== undefined) (byComp.get(comp[i]!) ?? byComp.set(comp[i]!, []).get(comp[i]!)!).push(name);
  }
  return [...byComp.values()]
    .filter((names) => names.length > 1)
    .map((names) => names.sort())
    .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}
