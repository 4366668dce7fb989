/**
 * Symbol ids for checker symbols and declarations. A symbol with several declarations resolves to
 * the first one in (path, position) order, independent of the checker's internal order, so an
 * incremental extraction resolves exactly like a clean one (see occurrences.ts).
 */
import ts from 'typescript';
import { collectDeclarations, unwrapExpression, type DeclInfo, type FileDecls } from './declarations.js';
import type { CodeProject } from './program.js';

/** Resolves checker symbols and declarations to symbol ids; one per program. */
export class Resolver {
  private readonly declCache: WeakMap<ts.SourceFile, FileDecls>;

  constructor(
    readonly project: CodeProject,
    readonly program: ts.Program,
    readonly checker: ts.TypeChecker,
    declCache: WeakMap<ts.SourceFile, FileDecls>,
  ) {
    this.declCache = declCache;
  }

  /** Declarations of a code-base file (cached per SourceFile object: they depend on its content only). */
  declsOf(sf: ts.SourceFile): FileDecls | undefined {
    let d = this.declCache.get(sf);
    if (!d) {
      const rel = this.project.relOf(sf.fileName);
      if (rel === undefined) return undefined;
      d = collectDeclarations(sf, rel, this.checker);
      this.declCache.set(sf, d);
    }
    return d;
  }

  /** The tracked declaration for a declaration node, following bindings that merely forward a value. */
  private infoOf(decl: ts.Node, depth: number): { id: string; path: string; pos: number } | null {
    const sf = decl.getSourceFile();
    const decls = this.declsOf(sf);
    if (!decls) return null;
    if (ts.isSourceFile(decl)) return { id: decls.moduleId, path: decls.rel, pos: 0 };
    const info: DeclInfo | undefined = decls.byNode.get(decl);
    if (info) return { id: info.id, path: decls.rel, pos: info.node.getStart(sf) };
    if (depth > 4) return null;
    // `{ helper }` / `{ run: helper }` in `module.exports = {…}` or an untracked object: the value's symbol.
    if (ts.isShorthandPropertyAssignment(decl)) return this.infoOfSymbol(this.checker.getShorthandAssignmentValueSymbol(decl), depth + 1);
    if (ts.isPropertyAssignment(decl) && ts.isIdentifier(unwrapExpression(decl.initializer))) {
      return this.infoOfSymbol(this.checker.getSymbolAtLocation(unwrapExpression(decl.initializer)), depth + 1);
    }
    if (ts.isExportAssignment(decl))
      return this.infoOfSymbol(this.checker.getSymbolAtLocation(unwrapExpression(decl.expression)), depth + 1);
    if (ts.isExportSpecifier(decl)) return this.infoOfSymbol(this.checker.getExportSpecifierLocalTargetSymbol(decl), depth + 1);
    // A function/class expression that is not a tracked declaration's value (e.g. `const f = cond ? () => 1 : () => 2`).
    if ((ts.isArrowFunction(decl) || ts.isFunctionExpression(decl) || ts.isClassExpression(decl)) && decl.parent) {
      const p = decls.byNode.get(decl.parent);
      if (p) return { id: p.id, path: decls.rel, pos: p.node.getStart(sf) };
    }
    return null;
  }

  private infoOfSymbol(sym: ts.Symbol | undefined, depth: number): { id: string; path: string; pos: number } | null {
    if (!sym) return null;
    let s = sym;
    if (s.flags & ts.SymbolFlags.Alias) {
      try {
        s = this.checker.getAliasedSymbol(s);
      } catch {
        return null;
      }
    }
    let best: { id: string; path: string; pos: number } | null = null;
    for (const d of s.declarations ?? []) {
      const c = this.infoOf(d, depth);
      if (c && (!best || c.path < best.path || (c.path === best.path && c.pos < best.pos))) best = c;
    }
    return best;
  }

  idOfSymbol(sym: ts.Symbol | undefined): string | null {
    return this.infoOfSymbol(sym, 0)?.id ?? null;
  }

  idOfDeclaration(decl: ts.Node | undefined): string | null {
    return decl ? (this.infoOf(decl, 0)?.id ?? null) : null;
  }
}
