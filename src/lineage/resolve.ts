import { closest, distance } from 'fastest-levenshtein';
import { datasetOfRef } from '../catalog/names.js';
import type { TaskSpec } from '../catalog/types.js';
import { RelspecError } from '../errors.js';
import { stripCommentsAndStrings, type ParseResult } from './parse.js';

/** Dataset names, looked up case-insensitively as DuckDB does. */
export class DatasetNames {
  private byLower = new Map<string, string>();
  constructor(readonly names: readonly string[]) {
    for (const n of names) this.byLower.set(n.toLowerCase(), n);
  }
  get(name: string): string | undefined {
    return this.byLower.get(name.toLowerCase());
  }
  suggest(name: string, n = 3): string[] {
    const lower = name.toLowerCase();
    const ranked = [...this.byLower.entries()]
      .map(([l, orig]) => ({ orig, d: distance(lower, l) }))
      .filter((x) => x.d <= Math.max(2, Math.floor(lower.length / 2)))
      .sort((a, b) => a.d - b.d || (a.orig < b.orig ? -1 : 1));
    const out = ranked.slice(0, n).map((x) => x.orig);
    if (out.length === 0 && this.names.length > 0) out.push(closest(name, [...this.names]));
    return out;
  }
}

export interface ResolvedInputs {
  inputs: string[];
  errors: RelspecError[];
}

/** Parse-tree references → datasets; unknown names are errors naming the closest datasets. */
export function resolveInputs(task: TaskSpec, parsed: Extract<ParseResult, { ok: true }>, names: DatasetNames): ResolvedInputs {
  const inputs = new Set<string>();
  const errors: RelspecError[] = [];
  if (parsed.opaque) {
    // Dynamic PIVOT: no parse tree, so any dataset the text names is an input (over-approximation).
    const text = stripCommentsAndStrings(task.sql).toLowerCase();
    for (const n of names.names) {
      const re = new RegExp(`(^|[^\\w."])(main\\.)?"?${n.toLowerCase().replace(/[.$]/g, '\\$&')}"?($|[^\\w"])`);
      if (re.test(text)) inputs.add(n);
    }
    return { inputs: [...inputs].sort(), errors };
  }
  for (const ref of parsed.refs) {
    const wanted = datasetOfRef(ref);
    const found = names.get(wanted);
    if (found !== undefined) {
      inputs.add(found);
      continue;
    }
    const shown = [ref.catalog, ref.schema, ref.table].filter(Boolean).join('.');
    if (errors.some((e) => e.message.includes(`'${shown}'`))) continue;
    const near = names.suggest(wanted);
    errors.push(
      new RelspecError('E_UNKNOWN_TABLE', `task ${task.name} reads unknown table '${shown}'`, {
        file: task.file,
        fix:
          near.length > 0
            ? `did you mean ${near.map((x) => `'${x}'`).join(', ')}? Or declare it as a source`
            : 'declare it as a source in the config, or add a task with that @output',
      }),
    );
  }
  return { inputs: [...inputs].sort(), errors };
}
