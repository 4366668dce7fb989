/**
 * Row shapes of the code facts (the input of the code property graph, see docs/ARCHITECTURE.md).
 *
 * Conventions shared by every row set:
 * - `path` is relative to the extraction root, with forward slashes.
 * - Spans are 1-based: `start_line`/`start_col` is the first character, `end_line`/`end_col` is the
 *   position just past the last character (exclusive end), so a one-line span covers
 *   `end_col - start_col` characters. Columns count UTF-16 code units (what editors and the
 *   TypeScript compiler count).
 * - Rows are sorted deterministically (see `compare*` in ./rows.ts).
 */

export type Language = 'typescript' | 'javascript' | 'json' | 'other';

export interface FileRow {
  path: string;
  language: Language;
  /** Size in bytes. */
  size: number;
  /** sha256 (hex) of the raw bytes. */
  sha: string;
  /** Number of lines: newline count, plus one when the last line has no trailing newline. */
  lines: number;
  /**
   * Syntax errors the parser recovered from (0 for non-code files). The compiler is tolerant: a file
   * with syntax errors still yields the symbols, references and calls it could parse.
   */
  syntax_errors: number;
}

export type SymbolKind =
  | 'module'
  | 'namespace'
  | 'function'
  | 'class'
  | 'method'
  | 'constructor'
  | 'getter'
  | 'setter'
  | 'property'
  | 'interface'
  | 'type'
  | 'enum'
  | 'enum_member'
  | 'variable'
  | 'parameter'
  | 'type_parameter';

export interface SymbolRow {
  /**
   * `${path}#${kind}:${qualified_name}`, plus `~2`, `~3`… for the second, third… declaration with the
   * same path, kind and qualified name (overloads, merged or shadowing declarations), in source order.
   * The per-file module symbol is `${path}#module`. No positions: ids survive unrelated edits.
   */
  id: string;
  path: string;
  kind: SymbolKind;
  name: string;
  /** Names of the enclosing symbols and this one, joined by `.` (e.g. `Circle.area`, `main.total`). */
  qualified_name: string;
  start_line: number;
  start_col: number;
  end_line: number;
  end_col: number;
  /** Visible to other modules: an export of the file (ESM or CommonJS) or an exported namespace member. */
  exported: boolean;
  /** The enclosing symbol; null for top-level declarations (and for the module symbol itself). */
  parent_id: string | null;
}

export type ReferenceRole = 'read' | 'write' | 'call' | 'type' | 'import' | 'export';

export interface ReferenceRow {
  /** Id of the referenced symbol when it is declared in the code base; null otherwise. */
  symbol: string | null;
  /** The name as written. */
  name: string;
  path: string;
  start_line: number;
  start_col: number;
  end_line: number;
  end_col: number;
  role: ReferenceRole;
  /** `symbol !== null`: the checker found a declaration of the name inside the code base. */
  resolved: boolean;
}

export interface CallRow {
  /** The enclosing function-like symbol (function, method, constructor, accessor, function-valued variable or property), or `${path}#module`. */
  caller: string;
  /** The called declaration's symbol id when it is in the code base; null otherwise. */
  callee: string | null;
  /** The callee expression as written (`f`, `this.area`, `math.add`, `console.log`, `super`), or its last name when the receiver is not a plain dotted name. */
  callee_name: string;
  path: string;
  start_line: number;
  start_col: number;
  end_line: number;
  end_col: number;
  resolved: boolean;
  /**
   * Not resolved, but the checker found the callee's declaration outside the code base (the runtime's
   * lib, @types, a package): `console.log`, `items.map`, `new Map()`. False for resolved calls and
   * for callees it found no declaration of at all (a call through `any`, a missing name).
   */
  external: boolean;
}

export type ImportKind = 'import' | 'export-from' | 'require' | 'dynamic';

export interface ImportRow {
  /** The importing file. */
  path: string;
  /** The module specifier as written. */
  module: string;
  /** The resolved file when it is one of the extracted files; null for packages, built-ins and unresolved specifiers. */
  resolved_path: string | null;
  /** Imported names as exported by the module (`default` for a default import), `['*']` for a whole-module binding, `[]` for a side-effect import. */
  names: string[];
  /**
   * What each of `names` is bound to in this file, in the same order: the local name of an import
   * (`import { a as b }` → `b`, `import X` → `X`, `import * as ns` → `ns`), the name a re-export
   * exports it under (`export { a as b } from` → `b`; `export * from` → `*`: every name but
   * `default`, unchanged; `export * as ns from` → `ns`), `*` for a whole-module value that is not
   * bound to a name.
   */
  aliases: string[];
  kind: ImportKind;
  /**
   * The dependency is erased from the emitted JavaScript: `import type`, `export type … from`, only
   * `type`-marked named bindings, `import('./x').T` in a type, or (TypeScript files) bindings used in
   * type positions only. False when unsure (see ./imports.ts).
   */
  type_only: boolean;
}

export interface Facts {
  files: FileRow[];
  symbols: SymbolRow[];
  references: ReferenceRow[];
  calls: CallRow[];
  imports: ImportRow[];
}

export interface ExtractInput {
  /** The code base root; `files` are relative to it. A `tsconfig.json` there is honored. */
  root: string;
  /** Relative paths of the files to extract (the code base). */
  files: readonly string[];
}

export interface ExtractChangedInput {
  root: string;
  /** Every file of the code base now (relative paths). */
  allFiles: readonly string[];
  /** Files known to have changed, been added or been removed since the previous extraction (relative paths). */
  changed: readonly string[];
}

export interface ChangedFacts extends Facts {
  /**
   * Every path whose rows must be replaced by the rows in this result (rows keyed on `path`): the
   * changed files (including removed ones, which have no rows now) and the files whose facts depend
   * on them. Sorted.
   */
  affectedPaths: string[];
}
