/**
 * References and calls of one file, resolved with the type checker.
 *
 * Every identifier that is not the name of a declaration is a reference: reads, writes (assignment
 * targets, `++`, destructuring assignment targets), calls (the callee's last name), types (anything
 * inside a type annotation, `implements`, interface `extends`, `typeof x` queries), imports (the
 * imported name in an import specifier, default/namespace import, `import x = require()`) and
 * exports (`export { x }`, `export { x } from`, `export default x`; both names of an alias
 * `a as b`). Object-literal keys, destructured names, module specifiers and indexed-access keys are
 * reference sites too (./referenceSites.ts). Labels, `import.meta`, JSX attribute names, closing JSX
 * tags, intrinsic JSX elements and `undefined` are skipped.
 *
 * Resolution follows aliases (imports, re-export chains) to the declaring symbol. A symbol with
 * several declarations resolves to the first one in (path, position) order — a choice independent of
 * the checker's internal order, so an incremental extraction resolves exactly like a clean one. Calls
 * resolve to the declaration of the signature the checker picked (so a call to an overloaded function
 * names the overload, and `new C()` the constructor when C declares one), else to the callee's symbol.
 * Targets declared outside the code base (lib, @types, packages) stay null: every non-null id names a
 * row of the symbols table.
 */
import ts from './typescript.cjs';
import { bindingPropertyTarget, contextualKeyTarget, keyRole, moduleTarget, stringSite } from './referenceSites.js';
import type { Resolver } from './resolver.js';
import { nodeSpan } from './rows.js';
import type { CallRow, ReferenceRole, ReferenceRow } from './types.js';

const isAssignmentOperator = (k: ts.SyntaxKind): boolean => k >= ts.SyntaxKind.FirstAssignment && k <= ts.SyntaxKind.LastAssignment;

/** Whether an expression is written to: assignment target, `++`/`--` operand, destructuring assignment target, `for (x of …)`. */
function isWriteTarget(expr: ts.Node): boolean {
  let n = expr;
  for (;;) {
    const p = n.parent;
    if (!p) return false;
    if (ts.isBinaryExpression(p)) return p.left === n && isAssignmentOperator(p.operatorToken.kind);
    if (ts.isPrefixUnaryExpression(p) || ts.isPostfixUnaryExpression(p)) {
      return p.operator === ts.SyntaxKind.PlusPlusToken || p.operator === ts.SyntaxKind.MinusMinusToken;
    }
    if ((ts.isForOfStatement(p) || ts.isForInStatement(p)) && p.initializer === n) return true;
    // Inside a destructuring assignment pattern: keep climbing to the `=`.
    if (
      ts.isArrayLiteralExpression(p) ||
      ts.isSpreadElement(p) ||
      ts.isObjectLiteralExpression(p) ||
      ts.isSpreadAssignment(p) ||
      ts.isShorthandPropertyAssignment(p)
    ) {
      n = p;
      continue;
    }
    if (ts.isPropertyAssignment(p) && p.initializer === n) {
      n = p;
      continue;
    }
    if (ts.isParenthesizedExpression(p)) {
      n = p;
      continue;
    }
    return false;
  }
}

const DECLARATION_NAME_PARENTS = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.VariableDeclaration,
  ts.SyntaxKind.Parameter,
  ts.SyntaxKind.BindingElement,
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.FunctionExpression,
  ts.SyntaxKind.ClassDeclaration,
  ts.SyntaxKind.ClassExpression,
  ts.SyntaxKind.InterfaceDeclaration,
  ts.SyntaxKind.TypeAliasDeclaration,
  ts.SyntaxKind.EnumDeclaration,
  ts.SyntaxKind.EnumMember,
  ts.SyntaxKind.ModuleDeclaration,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.MethodSignature,
  ts.SyntaxKind.PropertyDeclaration,
  ts.SyntaxKind.PropertySignature,
  ts.SyntaxKind.PropertyAssignment,
  ts.SyntaxKind.GetAccessor,
  ts.SyntaxKind.SetAccessor,
  ts.SyntaxKind.TypeParameter,
  ts.SyntaxKind.ImportEqualsDeclaration,
  ts.SyntaxKind.NamespaceImport,
  ts.SyntaxKind.ImportClause,
  ts.SyntaxKind.ImportSpecifier,
  ts.SyntaxKind.ExportSpecifier,
  ts.SyntaxKind.NamespaceExport,
  ts.SyntaxKind.NamespaceExportDeclaration,
  ts.SyntaxKind.JsxAttribute,
  ts.SyntaxKind.NamedTupleMember,
  ts.SyntaxKind.ImportAttribute,
]);

function isSkippedName(id: ts.Identifier | ts.PrivateIdentifier): boolean {
  if (id.text === '') return true; // an identifier the parser inserted to recover from a syntax error
  const p = id.parent;
  if (DECLARATION_NAME_PARENTS.has(p.kind) && (p as ts.Node & { name?: ts.Node }).name === id) return true;
  if ((ts.isLabeledStatement(p) || ts.isBreakStatement(p) || ts.isContinueStatement(p)) && p.label === id) return true;
  if (ts.isMetaProperty(p)) return true;
  if (ts.isJsxClosingElement(p)) return true;
  if ((ts.isJsxOpeningElement(p) || ts.isJsxSelfClosingElement(p)) && p.tagName === id && /^[a-z]/.test(id.text)) return true;
  if (ts.isIdentifier(id) && id.text === 'undefined' && !ts.isPropertyAccessExpression(p)) return true;
  return false;
}

/** `f` / `a.b.c` / `this.x` as written, when the expression is a plain dotted name. */
function dottedName(e: ts.Expression): string | undefined {
  if (ts.isIdentifier(e) || ts.isPrivateIdentifier(e)) return e.text;
  if (e.kind === ts.SyntaxKind.ThisKeyword) return 'this';
  if (e.kind === ts.SyntaxKind.SuperKeyword) return 'super';
  if (ts.isPropertyAccessExpression(e)) {
    const left = dottedName(e.expression);
    return left === undefined ? undefined : `${left}.${e.name.text}`;
  }
  if (ts.isNonNullExpression(e) || ts.isParenthesizedExpression(e)) return dottedName(e.expression);
  return undefined;
}

function calleeText(e: ts.Expression, sf: ts.SourceFile): string {
  const d = dottedName(e);
  if (d !== undefined) return d;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  const text = e.getText(sf).replace(/\s+/g, ' ');
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** The identifier that names the callee (`f` in `f()`, `c` in `a.b.c()`), if any. */
function calleeNameNode(e: ts.Expression): ts.Node | undefined {
  let x = e;
  while (ts.isParenthesizedExpression(x) || ts.isNonNullExpression(x)) x = x.expression;
  if (ts.isIdentifier(x) || x.kind === ts.SyntaxKind.SuperKeyword) return x;
  if (ts.isPropertyAccessExpression(x)) return x.name;
  if (ts.isElementAccessExpression(x)) return x.argumentExpression;
  return undefined;
}

type CallLike = ts.CallExpression | ts.NewExpression | ts.TaggedTemplateExpression;

function calleeOf(n: CallLike): ts.Expression {
  return ts.isTaggedTemplateExpression(n) ? n.tag : n.expression;
}

export interface Occurrences {
  references: ReferenceRow[];
  calls: CallRow[];
  /** Code-base files this file's resolved references and calls point into (itself excluded). */
  targets: Set<string>;
}

export function extractOccurrences(sf: ts.SourceFile, resolver: Resolver): Occurrences {
  const decls = resolver.declsOf(sf);
  if (!decls) return { references: [], calls: [], targets: new Set() };
  const { checker } = resolver;
  const rel = decls.rel;
  const references: ReferenceRow[] = [];
  const calls: CallRow[] = [];
  const targets = new Set<string>();
  /** Call expression → resolved callee id, so the callee's name reference resolves the same way. */
  const calleeIds = new Map<ts.Node, string | null>();

  const note = (id: string | null): string | null => {
    if (id !== null) {
      const p = id.slice(0, id.indexOf('#'));
      if (p !== rel) targets.add(p);
    }
    return id;
  };

  const ref = (node: ts.Node, name: string, symbol: string | null, role: ReferenceRole): void => {
    note(symbol);
    references.push({ symbol, name, path: rel, ...nodeSpan(sf, node), role, resolved: symbol !== null });
  };

  const symbolAt = (node: ts.Node): string | null => {
    try {
      return resolver.idOfSymbol(checker.getSymbolAtLocation(node));
    } catch {
      return null;
    }
  };

  const signatureTarget = (n: CallLike): string | null => {
    try {
      return resolver.idOfDeclaration(checker.getResolvedSignature(n)?.declaration);
    } catch {
      return null;
    }
  };

  /**
   * The callee's symbol decides when it is unambiguous (one declaration, or a class whose own
   * constructor is not overloaded); overload resolution (`getResolvedSignature`, which type-checks the
   * arguments and costs most of the extraction time) only runs when it has to choose.
   */
  const resolveCall = (n: CallLike): string | null => {
    const nameNode = calleeNameNode(calleeOf(n));
    if (!nameNode || nameNode.kind === ts.SyntaxKind.SuperKeyword) return signatureTarget(n);
    let sym: ts.Symbol | undefined;
    try {
      sym = checker.getSymbolAtLocation(nameNode);
      if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
    } catch {
      sym = undefined;
    }
    if (!sym) return null;
    if (ts.isNewExpression(n) && sym.flags & ts.SymbolFlags.Class) {
      const ctors = sym.members?.get(ts.InternalSymbolName.Constructor)?.declarations ?? [];
      if (ctors.length === 1) return resolver.idOfDeclaration(ctors[0]) ?? resolver.idOfSymbol(sym);
      if (ctors.length === 0) return resolver.idOfSymbol(sym);
      return signatureTarget(n) ?? resolver.idOfSymbol(sym);
    }
    if ((sym.declarations?.length ?? 0) > 1 && sym.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Method | ts.SymbolFlags.Signature)) {
      return signatureTarget(n) ?? resolver.idOfSymbol(sym);
    }
    return resolver.idOfSymbol(sym);
  };

  /** An unresolved call whose callee the checker does find a declaration of: outside the code base. */
  const declaredElsewhere = (n: CallLike): boolean => {
    const nameNode = calleeNameNode(calleeOf(n));
    try {
      if (nameNode && nameNode.kind !== ts.SyntaxKind.SuperKeyword) {
        let sym = checker.getSymbolAtLocation(nameNode);
        if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
        return (sym?.declarations?.length ?? 0) > 0;
      }
      return checker.getResolvedSignature(n)?.declaration !== undefined;
    } catch {
      return false;
    }
  };

  /** The call whose callee this identifier names, if any. */
  const callOfCallee = (id: ts.Node): CallLike | undefined => {
    let e: ts.Node = id;
    if (ts.isPropertyAccessExpression(id.parent) && id.parent.name === id) e = id.parent;
    while (ts.isParenthesizedExpression(e.parent) || ts.isNonNullExpression(e.parent)) e = e.parent;
    const p = e.parent;
    if ((ts.isCallExpression(p) || ts.isNewExpression(p)) && p.expression === e) return p;
    if (ts.isTaggedTemplateExpression(p) && p.tag === e) return p;
    return undefined;
  };

  const identifier = (id: ts.Identifier | ts.PrivateIdentifier, inType: boolean): void => {
    const p = id.parent;
    // A key or a destructured name is also a reference to the property it names (./referenceSites.ts).
    const property = inType ? undefined : contextualKeyTarget(p, id, resolver);
    if (property !== undefined) ref(id, id.text, property, keyRole(p));
    const bound = ts.isIdentifier(id) ? bindingPropertyTarget(id, resolver) : undefined;
    if (bound !== undefined) ref(id, id.text, bound, 'read');
    if (ts.isShorthandPropertyAssignment(p) && p.name === id) {
      let sym: ts.Symbol | undefined;
      try {
        sym = checker.getShorthandAssignmentValueSymbol(p);
      } catch {
        sym = undefined;
      }
      ref(id, id.text, resolver.idOfSymbol(sym), isWriteTarget(p) ? 'write' : 'read');
      return;
    }
    if (isSkippedName(id)) return;
    let role: ReferenceRole;
    let symbol: string | null;
    const call = inType ? undefined : callOfCallee(id);
    if (call && calleeIds.has(call)) {
      role = 'call';
      symbol = calleeIds.get(call)!;
    } else {
      symbol = symbolAt(id);
      const target = ts.isPropertyAccessExpression(p) && p.name === id ? p : id;
      role = inType ? 'type' : isWriteTarget(target) ? 'write' : 'read';
    }
    ref(id, id.text, symbol, role);
  };

  const specifier = (lit: ts.StringLiteral, role: ReferenceRole): void => ref(lit, lit.text, moduleTarget(lit, resolver), role);

  const importDeclaration = (node: ts.ImportDeclaration): void => {
    if (ts.isStringLiteral(node.moduleSpecifier)) specifier(node.moduleSpecifier, 'import');
    const clause = node.importClause;
    if (!clause) return;
    if (clause.name) ref(clause.name, clause.name.text, symbolAt(clause.name), 'import');
    const nb = clause.namedBindings;
    if (nb && ts.isNamespaceImport(nb)) ref(nb.name, nb.name.text, symbolAt(nb.name), 'import');
    else if (nb) {
      for (const el of nb.elements) {
        const symbol = symbolAt(el.name);
        if (el.propertyName) ref(el.propertyName, el.propertyName.text, symbol, 'import');
        ref(el.name, el.name.text, symbol, 'import'); // `import { a as b }`: both names
      }
    }
  };

  const exportDeclaration = (node: ts.ExportDeclaration): void => {
    if (node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) specifier(node.moduleSpecifier, 'export');
    const ec = node.exportClause;
    if (ec && ts.isNamespaceExport(ec) && node.moduleSpecifier)
      ref(ec.name, ec.name.text, moduleTarget(node.moduleSpecifier, resolver), 'export');
    if (!ec || !ts.isNamedExports(ec)) return;
    for (const el of ec.elements) {
      const written = el.propertyName ?? el.name;
      let symbol: string | null;
      if (node.moduleSpecifier) symbol = symbolAt(el.name);
      else {
        try {
          symbol = resolver.idOfSymbol(checker.getExportSpecifierLocalTargetSymbol(el));
        } catch {
          symbol = null;
        }
      }
      ref(written, written.text, symbol, 'export');
      if (el.propertyName) ref(el.name, el.name.text, symbol, 'export'); // `export { a as b }`: both names
    }
  };

  const visit = (node: ts.Node, caller: string, inType: boolean): void => {
    switch (node.kind) {
      case ts.SyntaxKind.Identifier:
      case ts.SyntaxKind.PrivateIdentifier:
        identifier(node as ts.Identifier | ts.PrivateIdentifier, inType);
        return;
      case ts.SyntaxKind.StringLiteral:
      case ts.SyntaxKind.NoSubstitutionTemplateLiteral: {
        const lit = node as ts.StringLiteralLike;
        const site = stringSite(lit, inType, resolver);
        if (site) ref(lit, lit.text, site.symbol, site.role);
        return;
      }
      case ts.SyntaxKind.ImportDeclaration:
        importDeclaration(node as ts.ImportDeclaration);
        return;
      case ts.SyntaxKind.ExportDeclaration:
        exportDeclaration(node as ts.ExportDeclaration);
        return;
      case ts.SyntaxKind.ImportEqualsDeclaration: {
        const n = node as ts.ImportEqualsDeclaration;
        ref(n.name, n.name.text, symbolAt(n.name), 'import');
        const m = n.moduleReference;
        if (ts.isExternalModuleReference(m) && ts.isStringLiteral(m.expression)) specifier(m.expression, 'import');
        return;
      }
      case ts.SyntaxKind.ExportAssignment: {
        const n = node as ts.ExportAssignment;
        if (ts.isIdentifier(n.expression)) {
          ref(n.expression, n.expression.text, symbolAt(n.expression), 'export');
          return;
        }
        break;
      }
      case ts.SyntaxKind.CallExpression:
      case ts.SyntaxKind.NewExpression:
      case ts.SyntaxKind.TaggedTemplateExpression: {
        const n = node as CallLike;
        const callee = calleeOf(n);
        if (callee.kind === ts.SyntaxKind.ImportKeyword) break; // dynamic import: an imports row
        const id = note(resolveCall(n));
        calleeIds.set(n, id);
        const external = id === null && declaredElsewhere(n);
        calls.push({
          caller,
          callee: id,
          callee_name: calleeText(callee, sf),
          path: rel,
          ...nodeSpan(sf, n),
          resolved: id !== null,
          external,
        });
        break;
      }
      default:
        break;
    }
    const info = decls.byNode.get(node);
    const nextCaller = info?.callable && info.node === node ? info.id : caller;
    let nextInType = inType;
    if (!inType && ts.isTypeNode(node)) {
      const classExtends =
        ts.isExpressionWithTypeArguments(node) &&
        ts.isHeritageClause(node.parent) &&
        node.parent.token === ts.SyntaxKind.ExtendsKeyword &&
        ts.isClassLike(node.parent.parent);
      nextInType = !classExtends;
    }
    ts.forEachChild(node, (child) => visit(child, nextCaller, nextInType));
  };
  ts.forEachChild(sf, (child) => visit(child, decls.moduleId, false));
  return { references, calls, targets };
}
