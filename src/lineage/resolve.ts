import { datasetOfRef } from '../catalog/names.js';
import type { TaskSpec } from '../catalog/types.js';
import { RelspecError } from '../errors.js';
import { didYouMean, suggest } from '../util/suggest.js';
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
    const near = didYouMean(suggest(wanted, names.names));
    errors.push(
      new RelspecError('E_UNKNOWN_TABLE', `task ${task.name} reads unknown table '${shown}'`, {
        file: task.file,
        fix: near ? `${near} Or declare it as a source` : 'declare it as a source in the config, or add a task with that @output',
      }),
    );
  }
  return { inputs: [...inputs].sort(), errors };
}
