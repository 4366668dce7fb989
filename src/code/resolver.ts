/**
 * Symbol ids for checker symbols and declarations. A symbol with several declarations resolves to
 * the first one in (path, position) order, independent of the checker's internal order, so an
 * incremental extraction resolves exactly like a clean one (see occurrences.ts).
 */
import ts from './typescript.cjs';
import { collectDeclarations, unwrapExpression, type DeclInfo, type FileDecls } from './declarations.js';
import type { CodeProject } from './program.js';

/**
 * Creates the types that structural ties are decided by, in a fixed order, before anything else asks
 * the checker (once per program; the order is (file path, position), independent of which files an
 * extraction step visits).
 *
 * Why: the checker keeps only one of several structurally identical types when it reduces a union
 * (an inferred return type `return cond ? a : b`, an array literal of object literals), the one it
 * created first (lowest type id). So `pick().name` resolved to `Config.name`, to `a.name` or — when
 * the survivor was declared in a file outside the code base — to nothing, depending on which files
 * had been checked before. Creating the declared types of every interface, class, enum and type
 * alias of an object type literal, and the types of module-level variables initialized with an object literal, in path order,
 * makes the survivor the same in a cold extraction and in every incremental step.
 */
export function createTypesInOrder(program: ts.Program, checker: ts.TypeChecker): void {
  const files = program
    .getSourceFiles()
    .filter((sf) => !program.isSourceFileDefaultLibrary(sf))
    .sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));
  const visit = (statements: readonly ts.Statement[]): void => {
    for (const st of statements) {
      try {
        const named =
          ts.isInterfaceDeclaration(st) ||
          ts.isClassDeclaration(st) ||
          ts.isEnumDeclaration(st) ||
          (ts.isTypeAliasDeclaration(st) && ts.isTypeLiteralNode(st.type)); // other aliases: no object type of their own, costly to resolve
        if (named) {
          const sym = st.name && checker.getSymbolAtLocation(st.name);
          if (sym) checker.getDeclaredTypeOfSymbol(sym);
        } else if (ts.isVariableStatement(st)) {
          for (const d of st.declarationList.declarations) {
            if (d.type || !d.initializer || !ts.isObjectLiteralExpression(unwrapExpression(d.initializer)) || !ts.isIdentifier(d.name))
              continue;
            const sym = checker.getSymbolAtLocation(d.name);
            if (sym) checker.getTypeOfSymbol(sym);
          }
        } else if (ts.isModuleDeclaration(st) && st.body && ts.isModuleBlock(st.body)) {
          visit(st.body.statements);
        }
      } catch {
        // the checker is tolerant but not total: a declaration it chokes on is only not pre-created
      }
    }
  };
  for (const sf of files) visit(sf.statements);
}

/** Resolves checker symbols and declarations to symbol ids; one per program. */
export class Resolver {
  private readonly declCache: WeakMap<ts.SourceFile, FileDecls>;
  /**
   * Types asked for once per literal or pattern, not once per key in it (referenceSites.ts): the
   * checker does not cache a contextual type, and a literal's keys all ask for the literal's.
   */
  private readonly nodeTypes = new Map<ts.Node, ts.Type | undefined>();

  constructor(
    readonly project: CodeProject,
    readonly program: ts.Program,
    readonly checker: ts.TypeChecker,
    declCache: WeakMap<ts.SourceFile, FileDecls>,
  ) {
    this.declCache = declCache;
  }

  /** The contextual type of an object literal (memoized for this program). */
  contextualTypeOf(lit: ts.ObjectLiteralExpression): ts.Type | undefined {
    if (this.nodeTypes.has(lit)) return this.nodeTypes.get(lit);
    const t = this.checker.getContextualType(lit);
    this.nodeTypes.set(lit, t);
    return t;
  }

  /** The type of a binding pattern (memoized for this program). */
  typeOfPattern(pattern: ts.BindingPattern): ts.Type {
    let t = this.nodeTypes.get(pattern);
    if (!t) this.nodeTypes.set(pattern, (t = this.checker.getTypeAtLocation(pattern)));
    return t;
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
