import { describe, expect, it } from 'vitest';
import { stronglyConnectedComponents } from 'graphology-components';
import { topologicalGenerations } from 'graphology-dag';
import { buildGraph, generations, type GraphTask } from '../../src/graph/index.js';
import { taskCycles } from '../../src/graph/compiled.js';
import { cyclicTasks } from '../../src/graph/validate.js';

/**
 * The typed-array hot paths against graphology's own algorithms, which they replace for speed:
 * the same cycles (strongly connected components) and the same generations on random graphs.
 */
const task = (name: string, reads: string[]): GraphTask => ({
  name,
  output: name,
  file: `/p/tasks/${name}.sql`,
  materialize: 'table',
  priority: name.length % 3,
  tags: [],
  reads,
  fingerprint: name,
  columns: Object.fromEntries(reads.map((r) => [r, ['id']])),
});

function randomGraph(seed: number, n: number, backEdges: number) {
  let s = seed;
  const rnd = (k: number) => (s = (s * 1103515245 + 12345) % 2 ** 31) % k;
  const tasks = Array.from({ length: n }, (_, i) => {
    const reads = new Set<string>([i < 3 ? 'src' : `t${rnd(i)}`]);
    if (i > 3 && rnd(2)) reads.add(`t${rnd(i)}`);
    return { name: `t${i}`, reads };
  });
  // Edges to later tasks make cycles (some long, some of two tasks, some nested).
  for (let b = 0; b < backEdges; b++) {
    const from = rnd(n);
    const to = from + 1 + rnd(Math.max(1, n - from - 1));
    if (to < n && from !== to) tasks[from]!.reads.add(`t${to}`);
  }
  return buildGraph({ sources: [{ name: 'src' }], tasks: tasks.map((t) => task(t.name, [...t.reads])) });
}

describe('compiled graph algorithms', () => {
  it('finds the same cycles as graphology-components', () => {
    let withCycles = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const g = randomGraph(seed, 60, 1 + (seed % 5));
      const expected = stronglyConnectedComponents(g)
        .map((comp) =>
          comp
            .filter((id) => g.getNodeAttribute(id, 'kind') === 'task')
            .map((id) => g.getNodeAttribute(id, 'name'))
            .sort(),
        )
        .filter((names) => names.length > 1)
        .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
      expect(taskCycles(g), `seed ${seed}`).toEqual(expected);
      if (expected.length > 0) withCycles++;
    }
    expect(withCycles).toBeGreaterThan(10);
  });

  it('schedules the same generations as graphology-dag on acyclic graphs, and leaves cycles and their descendants out', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const g = randomGraph(seed, 80, 0);
      const expected = topologicalGenerations(g)
        .map((gen) => gen.filter((id) => g.getNodeAttribute(id, 'kind') === 'task').map((id) => g.getNodeAttribute(id, 'task')!))
        .filter((gen) => gen.length > 0)
        .map((gen) => gen.sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : 1)).map((t) => t.name));
      expect(
        generations(g).map((gen) => gen.map((t) => t.name)),
        `seed ${seed}`,
      ).toEqual(expected);
    }
    const g = randomGraph(3, 60, 12);
    const bad = cyclicTasks(g);
    expect(bad.size).toBeGreaterThan(0);
    const scheduled = generations(g)
      .flat()
      .map((t) => t.name);
    for (const t of bad) expect(scheduled).not.toContain(t);
  });
});
