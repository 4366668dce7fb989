/**
 * Declarations of one file → symbols with stable ids.
 *
 * What is a symbol: every named declaration a reference can resolve to — module-level and nested
 * functions, classes (and their constructors, methods, accessors, properties, parameter properties),
 * interfaces and type literal members, type aliases, enums and their members, namespaces, variables
 * (locals and destructured bindings included), parameters of functions that have a body, type
 * parameters, `export default <expression>`, CommonJS `exports.x = …` assignments, and the members of
 * object literals that initialize a tracked variable/property (`const api = { get() {…} }`). Anonymous
 * functions (callbacks) are not symbols: what they declare belongs to the enclosing symbol, and calls
 * they make are attributed to it.
 *
 * Ids are `${path}#${kind}:${qualified_name}` with `~n` for the n-th same id in source order, so they
 * only change when a declaration is renamed, moved to another container, or reordered among
 * same-named siblings — never when code elsewhere moves.
 */
import ts from './typescript.cjs';
import { nodeSpan } from './rows.js';
import type { SymbolKind, SymbolRow } from './types.js';

export interface DeclInfo {
  id: string;
  node: ts.Node;
  kind: SymbolKind;
  name: string;
  qualified: string;
  parent: DeclInfo | null;
  /** Calls inside are attributed to this symbol. */
  callable: boolean;
  exported: boolean;
}

export interface FileDecls {
  rel: string;
  moduleId: string;
  list: DeclInfo[];
  /** Declaration nodes (and the function/class/object expressions that initialize them) → symbol. */
  byNode: Map<ts.Node, DeclInfo>;
  /** The file's declarations enter the global scope (a script, `declare global`, `declare module 'x'`). */
  global: boolean;
}

export const moduleIdOf = (rel: string): string => `${rel}#module`;

/** Strips parentheses and type assertions around an initializer. */
export function unwrapExpression(e: ts.Expression): ts.Expression {
  let x = e;
  for (;;) {
    if (
      ts.isParenthesizedExpression(x) ||
      ts.isAsExpression(x) ||
      ts.isSatisfiesExpression(x) ||
      ts.isTypeAssertionExpression(x) ||
      ts.isNonNullExpression(x)
    ) {
      x = x.expression;
    } else {
      return x;
    }
  }
}

const isFunctionValue = (e: ts.Node): e is ts.ArrowFunction | ts.FunctionExpression => ts.isArrowFunction(e) || ts.isFunctionExpression(e);

/** The text of a property-like name: identifiers and literals as written, computed names in brackets. */
export function propertyNameText(name: ts.PropertyName | ts.BindingName | ts.ModuleName | ts.MemberName, sf: ts.SourceFile): string {
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name)) return name.text;
  if (ts.isComputedPropertyName(name)) return `[${name.expression.getText(sf).replace(/\s+/g, ' ')}]`;
  return name.getText(sf).replace(/\s+/g, ' ');
}

/** `exports.x = …` / `module.exports.x = …` at statement level (CommonJS), returning `x`'s name node. */
function commonJsExportName(node: ts.BinaryExpression): ts.MemberName | undefined {
  if (node.operatorToken.kind !== ts.SyntaxKind.EqualsToken || !ts.isExpressionStatement(node.parent)) return undefined;
  const left = node.left;
  if (!ts.isPropertyAccessExpression(left)) return undefined;
  const target = left.expression;
  const isExports = ts.isIdentifier(target) && target.text === 'exports';
  const isModuleExports =
    ts.isPropertyAccessExpression(target) &&
    ts.isIdentifier(target.expression) &&
    target.expression.text === 'module' &&
    target.name.text === 'exports';
  return isExports || isModuleExports ? left.name : undefined;
}

function hasBody(fn: ts.Node): boolean {
  return (ts.isFunctionLike(fn) && (fn as { body?: ts.Node }).body !== undefined) || false;
}

/** The parameter a binding element belongs to, or undefined for variable destructuring. */
function owningParameter(el: ts.BindingElement): ts.ParameterDeclaration | undefined {
  let n: ts.Node = el.parent;
  while (ts.isObjectBindingPattern(n) || ts.isArrayBindingPattern(n) || ts.isBindingElement(n)) n = n.parent;
  return ts.isParameter(n) ? n : undefined;
}

/** Declarations in this file that are exported by name (`export { a }`, `export default a`, CommonJS). */
function exportedByName(sf: ts.SourceFile, checker: ts.TypeChecker): Set<ts.Node> {
  const out = new Set<ts.Node>();
  const mark = (sym: ts.Symbol | undefined): void => {
    if (!sym || sym.flags & ts.SymbolFlags.Alias) return; // re-export of an import: declared elsewhere
    for (const d of sym.declarations ?? []) if (d.getSourceFile() === sf) out.add(d);
  };
  for (const st of sf.statements) {
    if (ts.isExportDeclaration(st) && !st.moduleSpecifier && st.exportClause && ts.isNamedExports(st.exportClause)) {
      for (const spec of st.exportClause.elements) mark(checker.getExportSpecifierLocalTargetSymbol(spec));
    } else if (ts.isExportAssignment(st)) {
      const e = unwrapExpression(st.expression);
      if (ts.isIdentifier(e)) mark(checker.getSymbolAtLocation(e));
    } else if (
      ts.isExpressionStatement(st) &&
      ts.isBinaryExpression(st.expression) &&
      st.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken
    ) {
      const { left, right } = st.expression;
      const isModuleExports =
        ts.isPropertyAccessExpression(left) &&
        ts.isIdentifier(left.expression) &&
        left.expression.text === 'module' &&
        left.name.text === 'exports';
      const isExportsMember = commonJsExportName(st.expression) !== undefined;
      if (!isModuleExports && !isExportsMember) continue;
      const r = unwrapExpression(right);
      if (ts.isIdentifier(r)) mark(checker.getSymbolAtLocation(r));
      if (isModuleExports && ts.isObjectLiteralExpression(r)) {
        for (const p of r.properties) {
          if (ts.isShorthandPropertyAssignment(p)) mark(checker.getShorthandAssignmentValueSymbol(p));
          else if (ts.isPropertyAssignment(p) && ts.isIdentifier(unwrapExpression(p.initializer)))
            mark(checker.getSymbolAtLocation(unwrapExpression(p.initializer)));
        }
      }
    }
  }
  return out;
}

function isGlobalFile(sf: ts.SourceFile): boolean {
  const cjs = (sf as { commonJsModuleIndicator?: unknown }).commonJsModuleIndicator !== undefined;
  if (!ts.isExternalModule(sf) && !cjs) return true;
  return sf.statements.some(
    (st) =>
      ts.isModuleDeclaration(st) &&
      (ts.isStringLiteral(st.name) || (st.flags & ts.NodeFlags.GlobalAugmentation) !== 0 || st.name.text === 'global'),
  );
}

export function collectDeclarations(sf: ts.SourceFile, rel: string, checker: ts.TypeChecker): FileDecls {
  const list: DeclInfo[] = [];
  const byNode = new Map<ts.Node, DeclInfo>();
  const counts = new Map<string, number>();
  const trackedLiterals = new Set<ts.Node>();
  const byName = exportedByName(sf, checker);

  const exportable = (parent: DeclInfo | null): boolean => parent === null || parent.kind === 'namespace';

  function add(node: ts.Node, kind: SymbolKind, name: string, parent: DeclInfo | null, callable: boolean): DeclInfo {
    const qualified = parent ? `${parent.qualified}.${name}` : name;
    const base = `${rel}#${kind}:${qualified}`;
    const n = (counts.get(base) ?? 0) + 1;
    counts.set(base, n);
    let exported = false;
    if (exportable(parent)) {
      exported =
        byName.has(node) ||
        ((ts.isVariableDeclaration(node) || ts.isBindingElement(node) || ts.canHaveModifiers(node)) &&
          (ts.getCombinedModifierFlags(node as ts.Declaration) & ts.ModifierFlags.Export) !== 0);
    }
    const info: DeclInfo = { id: n === 1 ? base : `${base}~${n}`, node, kind, name, qualified, parent, callable, exported };
    list.push(info);
    byNode.set(node, info);
    return info;
  }

  /** A tracked declaration's initializer: functions/classes map to it, object literals get tracked members. */
  function adopt(init: ts.Expression | undefined, info: DeclInfo): void {
    if (!init) return;
    const e = unwrapExpression(init);
    if (isFunctionValue(e) || ts.isClassExpression(e)) byNode.set(e, info);
    else if (ts.isObjectLiteralExpression(e)) trackedLiterals.add(e);
  }

  function valueKind(init: ts.Expression | undefined, fallback: SymbolKind): { kind: SymbolKind; callable: boolean } {
    const e = init && unwrapExpression(init);
    if (e && isFunctionValue(e)) return { kind: fallback === 'property' ? 'method' : 'function', callable: true };
    if (e && ts.isClassExpression(e)) return { kind: 'class', callable: false };
    return { kind: fallback, callable: false };
  }

  function declare(node: ts.Node, parent: DeclInfo | null): DeclInfo | null {
    if (byNode.has(node)) return null; // an initializer already mapped to its variable/property
    switch (node.kind) {
      case ts.SyntaxKind.FunctionDeclaration: {
        const n = node as ts.FunctionDeclaration;
        return add(n, 'function', n.name?.text ?? 'default', parent, true);
      }
      case ts.SyntaxKind.ClassDeclaration:
      case ts.SyntaxKind.ClassExpression: {
        const n = node as ts.ClassLikeDeclaration;
        return add(n, 'class', n.name?.text ?? (ts.isClassDeclaration(n) ? 'default' : '(anonymous)'), parent, false);
      }
      case ts.SyntaxKind.MethodDeclaration:
      case ts.SyntaxKind.GetAccessor:
      case ts.SyntaxKind.SetAccessor: {
        const n = node as ts.MethodDeclaration | ts.AccessorDeclaration;
        if (ts.isObjectLiteralExpression(n.parent) && !trackedLiterals.has(n.parent)) return null;
        const kind: SymbolKind = ts.isGetAccessor(n) ? 'getter' : ts.isSetAccessor(n) ? 'setter' : 'method';
        return add(n, kind, propertyNameText(n.name, sf), parent, true);
      }
      case ts.SyntaxKind.Constructor:
        return add(node, 'constructor', 'constructor', parent, true);
      case ts.SyntaxKind.PropertyDeclaration: {
        const n = node as ts.PropertyDeclaration;
        const callable = n.initializer !== undefined && isFunctionValue(unwrapExpression(n.initializer));
        const info = add(n, 'property', propertyNameText(n.name, sf), parent, callable);
        adopt(n.initializer, info);
        return info;
      }
      case ts.SyntaxKind.PropertySignature:
        return add(node, 'property', propertyNameText((node as ts.PropertySignature).name, sf), parent, false);
      case ts.SyntaxKind.MethodSignature:
        return add(node, 'method', propertyNameText((node as ts.MethodSignature).name, sf), parent, false);
      case ts.SyntaxKind.PropertyAssignment: {
        const n = node as ts.PropertyAssignment;
        if (!trackedLiterals.has(n.parent)) return null;
        const { kind, callable } = valueKind(n.initializer, 'property');
        const info = add(n, kind, propertyNameText(n.name, sf), parent, callable);
        adopt(n.initializer, info);
        return info;
      }
      case ts.SyntaxKind.Parameter: {
        const n = node as ts.ParameterDeclaration;
        if (ts.isParameterPropertyDeclaration(n, n.parent)) {
          // `constructor(private x: X)`: a property of the class (the constructor's parent).
          const cls = parent?.kind === 'constructor' ? parent.parent : parent;
          if (!ts.isIdentifier(n.name)) return null;
          add(n, 'property', n.name.text, cls, false);
          return null; // the initializer/type still belong to the constructor
        }
        if (!hasBody(n.parent) || !ts.isIdentifier(n.name) || n.name.text === 'this') return null;
        add(n, 'parameter', n.name.text, parent, false);
        return null;
      }
      case ts.SyntaxKind.BindingElement: {
        const n = node as ts.BindingElement;
        if (!ts.isIdentifier(n.name)) return null;
        const param = owningParameter(n);
        if (param && !hasBody(param.parent)) return null;
        add(n, param ? 'parameter' : 'variable', n.name.text, parent, false);
        return null;
      }
      case ts.SyntaxKind.VariableDeclaration: {
        const n = node as ts.VariableDeclaration;
        if (!ts.isIdentifier(n.name)) return null;
        const { kind, callable } = valueKind(n.initializer, 'variable');
        const info = add(n, kind, n.name.text, parent, callable);
        adopt(n.initializer, info);
        return info;
      }
      case ts.SyntaxKind.InterfaceDeclaration:
        return add(node, 'interface', (node as ts.InterfaceDeclaration).name.text, parent, false);
      case ts.SyntaxKind.TypeAliasDeclaration:
        return add(node, 'type', (node as ts.TypeAliasDeclaration).name.text, parent, false);
      case ts.SyntaxKind.EnumDeclaration:
        return add(node, 'enum', (node as ts.EnumDeclaration).name.text, parent, false);
      case ts.SyntaxKind.EnumMember:
        return add(node, 'enum_member', propertyNameText((node as ts.EnumMember).name, sf), parent, false);
      case ts.SyntaxKind.ModuleDeclaration: {
        const n = node as ts.ModuleDeclaration;
        return add(n, 'namespace', ts.isStringLiteral(n.name) ? JSON.stringify(n.name.text) : n.name.text, parent, false);
      }
      case ts.SyntaxKind.TypeParameter:
        add(node, 'type_parameter', (node as ts.TypeParameterDeclaration).name.text, parent, false);
        return null;
      case ts.SyntaxKind.ExportAssignment: {
        const n = node as ts.ExportAssignment;
        const e = unwrapExpression(n.expression);
        if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e)) return null; // re-exports a declaration
        const { kind, callable } = valueKind(e, 'variable');
        const info = add(n, kind, n.isExportEquals ? 'export=' : 'default', parent, callable);
        info.exported = true;
        adopt(e, info);
        return info;
      }
      case ts.SyntaxKind.BinaryExpression: {
        const n = node as ts.BinaryExpression;
        const name = commonJsExportName(n);
        if (!name || parent !== null) return null;
        const { kind, callable } = valueKind(n.right, 'variable');
        const info = add(n, kind, name.text, parent, callable);
        info.exported = true;
        byNode.set(n.left, info);
        adopt(n.right, info);
        return info;
      }
      default:
        return null;
    }
  }

  function visit(node: ts.Node, parent: DeclInfo | null): void {
    const next = declare(node, parent) ?? parent;
    ts.forEachChild(node, (child) => visit(child, next));
  }
  ts.forEachChild(sf, (child) => visit(child, null));
  return { rel, moduleId: moduleIdOf(rel), list, byNode, global: isGlobalFile(sf) };
}

export function symbolRows(sf: ts.SourceFile, decls: FileDecls): SymbolRow[] {
  const end = sf.getLineAndCharacterOfPosition(sf.getEnd());
  const rows: SymbolRow[] = [
    {
      id: decls.moduleId,
      path: decls.rel,
      kind: 'module',
      name: decls.rel.slice(decls.rel.lastIndexOf('/') + 1),
      qualified_name: decls.rel,
      start_line: 1,
      start_col: 1,
      end_line: end.line + 1,
      end_col: end.character + 1,
      exported: false,
      parent_id: null,
    },
  ];
  for (const d of decls.list) {
    rows.push({
      id: d.id,
      path: decls.rel,
      kind: d.kind,
      name: d.name,
      qualified_name: d.qualified,
      ...nodeSpan(sf, d.node),
      exported: d.exported,
      parent_id: d.parent?.id ?? null,
    });
  }
  return rows;
}
