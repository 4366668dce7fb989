/**
 * Reference sites that are not plain identifier uses (see occurrences.ts, which calls these):
 *
 * - an object-literal key (`{ a: 1 }`, `{ a }`, `{ a() {} }`, `{ 'a-b': 1 }`) whose literal has a
 *   contextual type with that property (`const o: Options = {…}`, an argument, a return value):
 *   a `write` reference to the property's declaration; in a destructuring assignment target
 *   (`({ a: x } = obj)`) a `read` of the property of obj's type. Without a contextual property the
 *   key only declares the literal's own property;
 * - a name bound by object destructuring without a property name (`const { a } = obj`,
 *   `({ a }) => …`): besides declaring `a`, a `read` of the property `a` of the pattern's type
 *   (`{ b: c }` needs nothing here: `b` is an ordinary identifier use);
 * - a string literal in an indexed access type (`Options['a']`): a `type` reference to the property;
 * - a module specifier (`'./utils'` in `import … from`, `export … from`, `import x = require()`,
 *   `import()`, `require()` and `import('…')` types): a reference to the file's `module` symbol
 *   (`import`, or `export` in `export … from`); null outside the code base.
 *
 * Properties of a union type resolve to the first declaration in (path, position) order, like other
 * symbols with several declarations (resolver.ts). Declarations inside the literal or pattern itself
 * (a type inferred from it) are not targets.
 */
import ts from './typescript.cjs';
import type { Resolver } from './resolver.js';
import type { ReferenceRole } from './types.js';

/** A target: the symbol id (null outside the code base); undefined when the site is no reference. */
export type SiteTarget = string | null | undefined;

type KeyedElement = ts.PropertyAssignment | ts.ShorthandPropertyAssignment | ts.MethodDeclaration | ts.AccessorDeclaration;

function keyText(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isStringLiteralLike(name) || ts.isNumericLiteral(name)) return name.text;
  if (ts.isComputedPropertyName(name) && (ts.isStringLiteralLike(name.expression) || ts.isNumericLiteral(name.expression)))
    return name.expression.text;
  return undefined;
}

/** The property `name` of `type`; of a union, where not every member has it, the members' that do. */
function propertyDeclarations(type: ts.Type, name: string): ts.Declaration[] {
  const prop = type.getProperty(name);
  if (prop) return prop.declarations ?? [];
  if (!type.isUnion()) return [];
  return type.types.flatMap((t) => (t.flags & ts.TypeFlags.Object ? (t.getProperty(name)?.declarations ?? []) : []));
}

/** The first declaration outside `own` (the literal or pattern itself) that resolves, in (path, position) order. */
function firstTarget(decls: readonly ts.Declaration[], own: ts.Node, resolver: Resolver): SiteTarget {
  const ownFile = own.getSourceFile();
  const outside = decls.filter((d) => d.getSourceFile() !== ownFile || d.end <= own.pos || d.pos >= own.end);
  if (outside.length === 0) return undefined;
  const keyed = outside.map((d) => ({ d, path: resolver.project.relOf(d.getSourceFile().fileName) ?? '\uffff', pos: d.pos }));
  keyed.sort((a, b) => (a.path === b.path ? a.pos - b.pos : a.path < b.path ? -1 : 1));
  for (const { d } of keyed) {
    const id = resolver.idOfDeclaration(d);
    if (id !== null) return id;
  }
  return null;
}

const guarded = (f: () => SiteTarget): SiteTarget => {
  try {
    return f();
  } catch {
    return undefined; // the compiler API is tolerant, but not proven total
  }
};

/** The key `name` of an object-literal element, if it names a property of the literal's contextual type. */
export function contextualKeyTarget(el: ts.Node, name: ts.Node, resolver: Resolver): SiteTarget {
  if (
    !(ts.isPropertyAssignment(el) || ts.isShorthandPropertyAssignment(el) || ts.isMethodDeclaration(el) || ts.isAccessor(el)) ||
    (el as KeyedElement).name !== name ||
    !ts.isObjectLiteralExpression(el.parent)
  )
    return undefined;
  const text = keyText((el as KeyedElement).name);
  const lit = el.parent;
  if (text === undefined) return undefined;
  return guarded(() => {
    if (keyRole(el) === 'read') {
      // `({ a: x } = obj)`: the property of obj's type this key reads.
      const prop = ts.isIdentifier(name) ? resolver.checker.getPropertySymbolOfDestructuringAssignment(name) : undefined;
      return prop ? firstTarget(prop.declarations ?? [], lit, resolver) : undefined;
    }
    const type = resolver.contextualTypeOf(lit);
    return type ? firstTarget(propertyDeclarations(type, text), lit, resolver) : undefined;
  });
}

/** `a` in `{ a } = …` (a binding pattern, no property name): the property of the pattern's type. */
export function bindingPropertyTarget(id: ts.Identifier, resolver: Resolver): SiteTarget {
  const el = id.parent;
  if (!ts.isBindingElement(el) || el.name !== id || el.propertyName || el.dotDotDotToken || !ts.isObjectBindingPattern(el.parent))
    return undefined;
  const pattern = el.parent;
  return guarded(() => firstTarget(propertyDeclarations(resolver.typeOfPattern(pattern), id.text), pattern, resolver));
}

/** The module a specifier names: its `module` symbol id, null outside the code base. */
export function moduleTarget(specifier: ts.Expression, resolver: Resolver): string | null {
  try {
    return resolver.idOfSymbol(resolver.checker.getSymbolAtLocation(specifier));
  } catch {
    return null;
  }
}

const isRequireOrImportCall = (p: ts.Node, lit: ts.Node): boolean =>
  ts.isCallExpression(p) &&
  p.arguments.length >= 1 &&
  p.arguments[0] === lit &&
  (p.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(p.expression) && p.expression.text === 'require'));

/**
 * A string literal that is a reference site other than a module specifier of an import/export
 * declaration (occurrences.ts handles those): its target and role, or undefined.
 */
export function stringSite(
  lit: ts.StringLiteralLike,
  inType: boolean,
  resolver: Resolver,
): { symbol: string | null; role: ReferenceRole } | undefined {
  const p = lit.parent;
  if (ts.isExternalModuleReference(p) || isRequireOrImportCall(p, lit) || (ts.isLiteralTypeNode(p) && ts.isImportTypeNode(p.parent))) {
    return { symbol: moduleTarget(lit, resolver), role: 'import' };
  }
  if (ts.isLiteralTypeNode(p) && ts.isIndexedAccessTypeNode(p.parent) && p.parent.indexType === p) {
    const symbol = guarded(() => {
      const sym = resolver.checker.getSymbolAtLocation(lit);
      return sym ? resolver.idOfSymbol(sym) : undefined;
    });
    return symbol === undefined ? undefined : { symbol, role: 'type' };
  }
  if (!inType) {
    const symbol = contextualKeyTarget(p, lit, resolver);
    if (symbol !== undefined) return { symbol, role: keyRole(p) };
  }
  return undefined;
}

/** `write` for a key that initializes the property; `read` in a destructuring assignment target. */
export function keyRole(el: ts.Node): ReferenceRole {
  let n: ts.Node = el.parent;
  for (;;) {
    const p = n.parent;
    if (ts.isBinaryExpression(p) && p.left === n && p.operatorToken.kind === ts.SyntaxKind.EqualsToken) return 'read';
    if ((ts.isForOfStatement(p) || ts.isForInStatement(p)) && p.initializer === n) return 'read';
    if (ts.isParenthesizedExpression(p) || ts.isArrayLiteralExpression(p) || ts.isObjectLiteralElement(p) || ts.isSpreadElement(p)) {
      n = ts.isObjectLiteralElement(p) ? p.parent : p;
      continue;
    }
    return 'write';
  }
}
