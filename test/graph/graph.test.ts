import { describe, expect, it } from 'vitest';
import {
  ancestors,
  buildGraph,
  criticalPath,
  descendants,
  generations,
  graphSignature,
  graphToDot,
  graphToJson,
  selectTasks,
  sourceId,
  transitiveReduction,
  validateGraph,
  type GraphTask,
} from '../../src/graph/index.js';

const task = (name: string, reads: string[], extra: Partial<GraphTask> = {}): GraphTask => ({
  name,
  output: extra.output ?? name,
  file: `/p/tasks/${name}.sql`,
  materialize: 'table',
  priority: 100,
  tags: [],
  reads,
  fingerprint: `fp-${name}`,
  columns: Object.fromEntries(reads.map((r) => [r, ['id']])),
  ...extra,
});

const diamond = () =>
  buildGraph({
    sources: [{ name: 'src' }, { name: 'other' }],
    tasks: [
      task('a', ['src']),
      task('b', ['a'], { priority: 200 }),
      task('c', ['a'], { tags: ['x'] }),
      task('d', ['b', 'c']),
      task('e', ['other'], { priority: 1 }),
    ],
  });

describe('graph model', () => {
  it('is bipartite: evidence → task (requires, with columns) and task → output (produces)', () => {
    const j = graphToJson(diamond());
    expect(j.nodes.find((n) => n.id === 'task:a')).toEqual({ id: 'task:a', kind: 'task', name: 'a' });
    expect(j.edges.filter((e) => e.to === 'task:d' || e.from === 'task:d')).toEqual([
      { from: 'output:b', to: 'task:d', kind: 'requires', columns: ['id'] },
      { from: 'output:c', to: 'task:d', kind: 'requires', columns: ['id'] },
      { from: 'task:d', to: 'output:d', kind: 'produces' },
    ]);
  });

  it('schedules deterministic generations ordered by priority then name', () => {
    expect(generations(diamond()).map((g) => g.map((t) => t.name))).toEqual([['e', 'a'], ['c', 'b'], ['d']]);
  });

  it('schedules a partial run with the full graph’s layering', () => {
    expect(generations(diamond(), new Set(['d', 'c'])).map((g) => g.map((t) => t.name))).toEqual([['c'], ['d']]);
  });

  it('computes impact (descendants) and provenance (ancestors)', () => {
    const g = diamond();
    expect([...descendants(g, [sourceId('src')])].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect([...descendants(g, ['output:c'])]).toEqual(['d']);
    expect([...ancestors(g, ['task:d'])].sort()).toEqual(['a', 'b', 'c']);
  });

  it('finds the critical path and a transitive reduction', () => {
    const g = buildGraph({ sources: [{ name: 's' }], tasks: [task('a', ['s']), task('b', ['a']), task('c', ['a', 'b'])] });
    expect(criticalPath(g, ['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(transitiveReduction(g)).toEqual([
      ['a', 'b'],
      ['b', 'c'],
    ]);
  });

  it('all producers of one output are upstream of its readers', () => {
    const g = buildGraph({
      sources: [{ name: 's' }],
      tasks: [task('p1', ['s'], { output: 'edges' }), task('p2', ['s'], { output: 'edges' }), task('user', ['edges'])],
    });
    expect(generations(g).map((x) => x.map((t) => t.name))).toEqual([['p1', 'p2'], ['user']]);
    expect([...descendants(g, ['task:p1'])]).toEqual(['user']);
  });
});

describe('graph validation', () => {
  it('reports every error together: cycles as paths, self-reads, output/source clashes', () => {
    const g = buildGraph({
      sources: [{ name: 's' }],
      tasks: [
        task('a', ['c']),
        task('b', ['a']),
        task('c', ['b']),
        task('self', ['self']),
        task('clash', ['s'], { output: 's' }),
        task('fine', ['s']),
        task('after_cycle', ['c']),
      ],
    });
    expect(validateGraph(g).map((e) => e.oneLine())).toEqual([
      "E_GRAPH /p/tasks/clash.sql: task clash writes output 's', which is also a source name — rename the output (`-- @output NAME`) or the source",
      "E_GRAPH /p/tasks/self.sql: task self reads its own output 'self' — a task cannot depend on itself; read the upstream datasets instead",
      'E_GRAPH /p/tasks/a.sql: cycle: a → b → c → a — break the cycle: one of these tasks must stop reading the output of the next',
    ]);
    // The rest of the graph still schedules; the cycle, what hangs below it and the clash do not.
    expect(
      generations(g)
        .flat()
        .map((t) => t.name)
        .sort(),
    ).toEqual(['fine']);
  });
});

describe('signature and determinism', () => {
  const shuffled = <T>(xs: T[], seed: number): T[] => {
    const out = [...xs];
    let s = seed;
    for (let i = out.length - 1; i > 0; i--) {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      const j = s % (i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  const randomTasks = (n: number): GraphTask[] =>
    Array.from({ length: n }, (_, i) =>
      task(`t${String(i).padStart(3, '0')}`, i === 0 ? ['s'] : [`t${String((i * 7) % i).padStart(3, '0')}`, 's'], { priority: i % 3 }),
    );

  it('is identical whatever order the tasks arrive in', () => {
    const tasks = randomTasks(200);
    const a = buildGraph({ sources: [{ name: 's' }], tasks });
    const b = buildGraph({ sources: [{ name: 's' }], tasks: shuffled(tasks, 42) });
    expect(graphSignature(a)).toBe(graphSignature(b));
    expect(graphToJson(a)).toEqual(graphToJson(b));
  });

  it('changes with a fingerprint, a required column or an output schema', () => {
    const base = graphSignature(diamond());
    const mod = (f: (ts: GraphTask[]) => void) => {
      const ts = [task('a', ['src']), task('b', ['a'])];
      f(ts);
      return graphSignature(buildGraph({ sources: [{ name: 'src' }], tasks: ts }));
    };
    const ref = mod(() => {});
    expect(mod((ts) => (ts[1]!.fingerprint = 'other'))).not.toBe(ref);
    expect(mod((ts) => (ts[1]!.columns = { a: ['id', 'x'] }))).not.toBe(ref);
    expect(
      graphSignature(
        buildGraph({
          sources: [{ name: 'src' }],
          tasks: [task('a', ['src']), task('b', ['a'])],
          outputSchemas: new Map([['a', [{ name: 'id', type: 'INTEGER' }]]]),
        }),
      ),
    ).not.toBe(ref);
    expect(base).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('selection grammar', () => {
  const g = diamond();
  const sel = (s: string) => [...selectTasks(g, s)].sort();
  it.each([
    ['b', ['b']],
    ['+b', ['a', 'b']],
    ['a+', ['a', 'b', 'c', 'd']],
    ['tag:x', ['c']],
    ['tag:x+', ['c', 'd']],
    ['b,e', ['b', 'e']],
    ['src+', ['a', 'b', 'c', 'd']],
  ])('%s', (s, want) => expect(sel(s)).toEqual(want));
  it('names the closest match for an unknown name', () => {
    expect(() => selectTasks(g, 'dd')).toThrow(/'dd' is not a task, output or source/);
  });
  it('suggests close tasks, outputs and sources, and nothing far off', () => {
    const fix = (s: string) => {
      try {
        selectTasks(g, s);
      } catch (e) {
        return (e as { fix?: string }).fix;
      }
    };
    expect(fix('dd')).toBe("did you mean 'd', 'a', 'b'?");
    expect(fix('srcc+')).toBe("did you mean 'src'?");
    expect(fix('zzzzzz')).toBe('run `relspec graph` to list them all');
  });
});

describe('export', () => {
  it('renders dot', () => {
    const dot = graphToDot(graphToJson(diamond(), new Set(['a'])));
    expect(dot).toMatchInlineSnapshot(`
      "digraph relspec {
        rankdir=LR;
        "output:a" [label="a", shape=note];
        "source:src" [label="src", shape=cylinder];
        "task:a" [label="a", shape=box];
        "source:src" -> "task:a" [label="id"];
        "task:a" -> "output:a";
      }"
    `);
  });
});
