import type ts from 'typescript';
import type { CallRow, Facts, FileRow, ImportRow, ReferenceRow, SymbolRow } from './types.js';

export interface Span {
  start_line: number;
  start_col: number;
  end_line: number;
  end_col: number;
}

/** 1-based lines and columns, exclusive end. */
export function spanOf(sf: ts.SourceFile, start: number, end: number): Span {
  const s = sf.getLineAndCharacterOfPosition(start);
  const e = sf.getLineAndCharacterOfPosition(end);
  return { start_line: s.line + 1, start_col: s.character + 1, end_line: e.line + 1, end_col: e.character + 1 };
}

export function nodeSpan(sf: ts.SourceFile, node: ts.Node): Span {
  return spanOf(sf, node.getStart(sf), node.getEnd());
}

const str = (a: string | null, b: string | null): number => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
const num = (a: number, b: number): number => a - b;

function spanCmp(a: Span & { path: string }, b: Span & { path: string }): number {
  return (
    str(a.path, b.path) ||
    num(a.start_line, b.start_line) ||
    num(a.start_col, b.start_col) ||
    num(a.end_line, b.end_line) ||
    num(a.end_col, b.end_col)
  );
}

export const compareFiles = (a: FileRow, b: FileRow): number => str(a.path, b.path);

/** Same start: the enclosing (longer) declaration first. */
export const compareSymbols = (a: SymbolRow, b: SymbolRow): number =>
  str(a.path, b.path) ||
  num(a.start_line, b.start_line) ||
  num(a.start_col, b.start_col) ||
  num(b.end_line, a.end_line) ||
  num(b.end_col, a.end_col) ||
  str(a.id, b.id);

export const compareReferences = (a: ReferenceRow, b: ReferenceRow): number =>
  spanCmp(a, b) || str(a.role, b.role) || str(a.name, b.name) || str(a.symbol, b.symbol);

export const compareCalls = (a: CallRow, b: CallRow): number =>
  spanCmp(a, b) || str(a.callee_name, b.callee_name) || str(a.caller, b.caller) || str(a.callee, b.callee);

export const compareImports = (a: ImportRow, b: ImportRow): number =>
  str(a.path, b.path) ||
  str(a.module, b.module) ||
  str(a.kind, b.kind) ||
  str(a.names.join('\0'), b.names.join('\0')) ||
  str(a.aliases.join('\0'), b.aliases.join('\0')) ||
  num(Number(a.type_only), Number(b.type_only)) ||
  str(a.resolved_path, b.resolved_path);

export const emptyFacts = (): Facts => ({ files: [], symbols: [], references: [], calls: [], imports: [] });

/** The rows of `f` of the files `paths`. */
export function restrictFacts(f: Facts, paths: ReadonlySet<string>): Facts {
  const keep = <T extends { path: string }>(rows: T[]): T[] => rows.filter((r) => paths.has(r.path));
  return { files: keep(f.files), symbols: keep(f.symbols), references: keep(f.references), calls: keep(f.calls), imports: keep(f.imports) };
}
