/**
 * Which importers an edit's surface change can reach (extractor.ts, after steps 1–7). A file's
 * references and calls are identifiers in its text; one resolves differently after an edit only if
 * the declaration it resolved to, or one its resolution goes through (`a.b.c`: the declarations of
 * `a` and `b`, whose types decide where `c` is looked up), was added, removed or retyped — and every
 * one of those is named in the text. So a candidate whose text contains none of the changed
 * declarations' names, whose own surface and import rows did not change, keeps its facts, and is
 * not re-extracted: a new export in a file 68 others import re-extracts the files that name it.
 *
 * Names travel under other spellings in two ways, and those candidates are kept: a re-export alias
 * (`export { a as b } from`, `export * as ns from`: the barrels' aliases count as changed names too)
 * and a default import (bound under any local name). Without a previous per-declaration surface (a
 * restored baseline, an added file) nothing is narrowed.
 */
import type { Surface } from './surface.js';
import type { ImportRow } from './types.js';

type Entries = Surface['entries'];

/**
 * The names of the declarations that differ between two surfaces of one file; `null` when that
 * cannot be told (no previous entries, or the hash moved with no entry: the file became a script).
 */
export function changedNames(before: Entries | undefined, now: Entries | undefined): Set<string> | null {
  if (!before || !now) return null;
  const names = new Set<string>();
  for (const [id, e] of now) if (before.get(id)?.line !== e.line) names.add(e.name);
  for (const [id, e] of before) if (!now.has(id)) names.add(e.name);
  if (names.size === 0 || names.has('default')) return null;
  return names;
}

/**
 * Adds the names a barrel re-exports changed names under (`export { a as b } from` with `a`
 * changed: `b`; `export * as ns from`: `ns`), counting only re-exports of the files in `from` (the
 * files the change went through); true when it added any.
 */
export function reexportAliases(rows: readonly ImportRow[] | undefined, from: ReadonlySet<string>, names: Set<string>): boolean {
  const size = names.size;
  for (const r of rows ?? []) {
    if (r.kind !== 'export-from' || r.resolved_path === null || !from.has(r.resolved_path)) continue;
    r.names.forEach((n, i) => {
      const alias = r.aliases[i] ?? n;
      if (alias !== '*' && (n === '*' || names.has(n))) names.add(alias);
    });
  }
  return names.size > size;
}

/** The file imports the default export of a file the change went through. */
export function importsDefaultFrom(rows: readonly ImportRow[] | undefined, sources: ReadonlySet<string>): boolean {
  return (rows ?? []).some((r) => r.resolved_path !== null && sources.has(r.resolved_path) && r.names.includes('default'));
}

export function mentionsAny(text: string, names: ReadonlySet<string>): boolean {
  for (const n of names) if (text.includes(n)) return true;
  return false;
}
