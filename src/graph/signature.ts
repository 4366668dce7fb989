import { createHash } from 'node:crypto';
import type { RelGraph } from './model.js';

/**
 * A stable hash over sorted nodes, edges (with required columns), plan fingerprints and output
 * schemas: equal for equal projects on any machine, different after any semantic change.
 */
export function graphSignature(g: RelGraph): string {
  const h = createHash('sha256');
  const nodes = g.nodes().sort();
  for (const id of nodes) {
    const a = g.getNodeAttributes(id);
    const t = a.task;
    h.update(`N\0${id}\0${a.kind}\0`);
    if (t) h.update(`${t.fingerprint ?? '-'}\0${t.materialize}\0${t.output}\0`);
    if (a.schema) h.update(a.schema.map((c) => `${c.name}:${c.type}`).join(',') + '\0');
  }
  const edges = g.mapEdges((_, a, s, t) => `E\0${s}\0${t}\0${a.kind}\0${a.columns ? a.columns.join(',') : '*'}`).sort();
  for (const e of edges) h.update(e + '\n');
  return h.digest('hex').slice(0, 32);
}
