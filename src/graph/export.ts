import type { GraphTask, NodeKind, RelGraph } from './model.js';
import { graphSignature } from './signature.js';
import { generations } from './schedule.js';

export interface GraphJson {
  signature: string;
  nodes: { id: string; kind: NodeKind; name: string }[];
  edges: { from: string; to: string; kind: 'requires' | 'produces'; columns?: string[] }[];
  generations: string[][];
}

export function graphToJson(g: RelGraph, only?: ReadonlySet<string>): GraphJson {
  const keep = (id: string) => {
    const a = g.getNodeAttributes(id);
    if (!only) return true;
    if (a.kind === 'task') return only.has(a.name);
    return g.neighbors(id).some((n) => g.getNodeAttribute(n, 'kind') === 'task' && only.has(g.getNodeAttribute(n, 'name')));
  };
  const nodes = g
    .nodes()
    .filter(keep)
    .sort()
    .map((id) => ({ id, kind: g.getNodeAttribute(id, 'kind'), name: g.getNodeAttribute(id, 'name') }));
  const ids = new Set(nodes.map((n) => n.id));
  const edges = g
    .mapEdges((_, a, from, to) => ({ from, to, kind: a.kind, ...(a.kind === 'requires' && a.columns ? { columns: a.columns } : {}) }))
    .filter((e) => ids.has(e.from) && ids.has(e.to))
    .sort((a, b) => (a.from + '\0' + a.to < b.from + '\0' + b.to ? -1 : 1));
  return { signature: graphSignature(g), nodes, edges, generations: generations(g, only).map((gen) => gen.map((t) => t.name)) };
}

const dotId = (s: string) => `"${s.replace(/"/g, '\\"')}"`;
// Mermaid ids are ASCII words: every other character (and `_` itself) is escaped by its code point,
// so `a.b` and `a_b`, or `日本` and `中国`, stay distinct nodes.
const mermaidId = (s: string) => s.replace(/[^A-Za-z0-9]/gu, (c) => `_${c.codePointAt(0)!.toString(16)}_`);

export function graphToDot(j: GraphJson): string {
  const shape: Record<NodeKind, string> = { source: 'cylinder', output: 'note', task: 'box' };
  const lines = ['digraph relspec {', '  rankdir=LR;'];
  for (const n of j.nodes) lines.push(`  ${dotId(n.id)} [label=${dotId(n.name)}, shape=${shape[n.kind]}];`);
  for (const e of j.edges) {
    const label = e.columns ? ` [label=${dotId(e.columns.join(', '))}]` : '';
    lines.push(`  ${dotId(e.from)} -> ${dotId(e.to)}${label};`);
  }
  lines.push('}');
  return lines.join('\n');
}

export function graphToMermaid(j: GraphJson): string {
  const open: Record<NodeKind, [string, string]> = { source: ['[(', ')]'], output: ['[/', '/]'], task: ['[', ']'] };
  const lines = ['flowchart LR'];
  for (const n of j.nodes) {
    const [a, b] = open[n.kind];
    lines.push(`  ${mermaidId(n.id)}${a}"${n.name}"${b}`);
  }
  for (const e of j.edges) {
    const label = e.columns && e.columns.length ? `|${e.columns.join(', ')}|` : '';
    lines.push(`  ${mermaidId(e.from)} -->${label} ${mermaidId(e.to)}`);
  }
  return lines.join('\n');
}

export function graphToText(j: GraphJson, tasks: ReadonlyMap<string, GraphTask>): string {
  const lines: string[] = [`signature ${j.signature}`];
  j.generations.forEach((gen, i) => {
    lines.push(`generation ${i}`);
    for (const name of gen) {
      const t = tasks.get(name)!;
      const reads = t.reads.map((r) => {
        const cols = t.columns?.[r];
        return cols ? `${r}(${cols.join(', ') || 'count'})` : r;
      });
      lines.push(`  ${name} → ${t.output}  ← ${reads.join(', ') || '(no inputs)'}`);
    }
  });
  return lines.join('\n');
}
