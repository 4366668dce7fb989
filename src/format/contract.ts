import type { OutputContract } from '../catalog/types.js';

/** `id INTEGER NOT NULL, name VARCHAR; unique (id), (a, b)`: a contract on one line, as `relspec lineage` prints it. */
export function contractText(c: OutputContract): string {
  const cols = (c.columns ?? []).map((x) => `${x.name} ${x.type}${x.notNull ? ' NOT NULL' : ''}`).join(', ');
  const uniq = (c.unique ?? []).map((k) => `(${k.join(', ')})`).join(', ');
  return [cols, uniq && `unique ${uniq}`].filter(Boolean).join('; ');
}
