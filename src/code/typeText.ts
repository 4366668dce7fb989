/**
 * A type printed so that the text depends on the type alone, not on the program that holds it
 * (for ./surface.ts):
 *
 * - union and intersection members are sorted by their (canonical) text. The checker keeps them in
 *   the order their types were created, so `"stdout" | "stderr"` prints as `"stderr" | "stdout"` when
 *   some other file mentioning `"stderr"` was checked first;
 * - members of an object type are sorted by name (stably: overloads keep their order, and call,
 *   construct and index signatures come first as they were): a mapped type over a union (`Record<K, V>`,
 *   `{ [P in K]: … }`) gets its properties in the union's order;
 * - `import("<absolute path>")` becomes a path relative to the code base root, or from the last
 *   `node_modules/` on, so moving the checkout (or a hoisted dependency) leaves the text as it was.
 *
 * Built on `typeToTypeNode`, the node tree `typeToString` prints, so the text is otherwise the
 * checker's own (fully qualified, never truncated).
 */
import path from 'node:path';
import ts from './typescript.cjs';

const BUILDER_FLAGS = ts.NodeBuilderFlags.NoTruncation | ts.NodeBuilderFlags.UseFullyQualifiedType | ts.NodeBuilderFlags.IgnoreErrors;

// Comments carry nothing of the type; the source file is left undefined (as typeToString does) so
// that nodes the builder reused from declarations print from their own text, not a dummy file's.
const printer = ts.createPrinter({ removeComments: true });
const NO_SOURCE = undefined as unknown as ts.SourceFile;

/** An absolute module path as it reads from the root: `src/x`, `node_modules/pkg/index`, `../lib/y`. */
function portableModulePath(spec: string, root: string): string {
  const s = spec.replace(/\\/g, '/');
  if (!path.posix.isAbsolute(s) && !/^[A-Za-z]:\//.test(s)) return spec;
  const nm = s.lastIndexOf('/node_modules/');
  if (nm !== -1) return s.slice(nm + 1);
  const r = root.replace(/\\/g, '/');
  return path.posix.relative(r, s) || '.';
}

/** A type to print, and whether it is a type alias's definition (printed expanded, not as the alias's name). */
export interface TypeToPrint {
  type: ts.Type;
  inTypeAlias: boolean;
}

/**
 * The canonical text of each type (`undefined` where the checker could not build it). One call per
 * file: the node trees are rewritten in one transformation, which costs far less than one each.
 */
export function canonicalTypeTexts(checker: ts.TypeChecker, types: readonly TypeToPrint[], root: string): (string | undefined)[] {
  const nodes: (ts.TypeNode | undefined)[] = types.map(({ type, inTypeAlias }) => {
    try {
      return checker.typeToTypeNode(type, undefined, BUILDER_FLAGS | (inTypeAlias ? ts.NodeBuilderFlags.InTypeAlias : 0));
    } catch {
      return undefined;
    }
  });
  const built = nodes.filter((n): n is ts.TypeNode => n !== undefined);
  if (built.length === 0) return nodes.map(() => undefined);
  const texts = new Map<ts.Node, string>();
  const text = (n: ts.Node): string => {
    let t = texts.get(n);
    if (t === undefined) texts.set(n, (t = printer.printNode(ts.EmitHint.Unspecified, n, NO_SOURCE)));
    return t;
  };
  // Sort keys: the printed text, or (the common cases) a cheaper key that is just as injective.
  const typeKey = (n: ts.TypeNode): string => {
    if (ts.isLiteralTypeNode(n)) {
      const l = n.literal;
      if (ts.isStringLiteral(l)) return JSON.stringify(l.text);
      if (ts.isNumericLiteral(l)) return l.text;
      if (l.kind === ts.SyntaxKind.NullKeyword || l.kind === ts.SyntaxKind.TrueKeyword || l.kind === ts.SyntaxKind.FalseKeyword) {
        return ts.tokenToString(l.kind)!;
      }
    } else if (n.kind >= ts.SyntaxKind.FirstKeyword && n.kind <= ts.SyntaxKind.LastKeyword) {
      return ts.tokenToString(n.kind) ?? text(n);
    } else if (ts.isTypeReferenceNode(n) && ts.isIdentifier(n.typeName) && !n.typeArguments) {
      return n.typeName.text;
    }
    return text(n);
  };
  const nameKey = (m: ts.TypeElement): string => {
    if (!m.name) return '';
    if (ts.isIdentifier(m.name)) return m.name.text;
    if (ts.isStringLiteral(m.name)) return JSON.stringify(m.name.text);
    return text(m.name);
  };
  const sorted = <T>(list: readonly T[], key: (x: T) => string): T[] =>
    list
      .map((x) => [key(x), x] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([, x]) => x);
  const canonicalize = (ctx: ts.TransformationContext) => {
    const visit = (n: ts.Node): ts.Node => {
      const v = ts.visitEachChild(n, visit, ctx);
      if (ts.isTypeLiteralNode(v)) {
        return v.members.length < 2 ? v : ts.factory.updateTypeLiteralNode(v, ts.factory.createNodeArray(sorted(v.members, nameKey)));
      }
      if (ts.isUnionTypeNode(v)) return ts.factory.updateUnionTypeNode(v, ts.factory.createNodeArray(sorted(v.types, typeKey)));
      if (ts.isIntersectionTypeNode(v))
        return ts.factory.updateIntersectionTypeNode(v, ts.factory.createNodeArray(sorted(v.types, typeKey)));
      if (ts.isImportTypeNode(v) && ts.isLiteralTypeNode(v.argument) && ts.isStringLiteral(v.argument.literal)) {
        const spec = portableModulePath(v.argument.literal.text, root);
        if (spec === v.argument.literal.text) return v;
        const arg = ts.factory.createLiteralTypeNode(ts.factory.createStringLiteral(spec));
        return ts.factory.updateImportTypeNode(v, arg, v.attributes, v.qualifier, v.typeArguments, v.isTypeOf);
      }
      return v;
    };
    return (n: ts.TypeNode): ts.TypeNode => visit(n) as ts.TypeNode;
  };
  const done = ts.transform(built, [canonicalize]);
  try {
    let i = 0;
    return nodes.map((n) => (n === undefined ? undefined : text(done.transformed[i++]!)));
  } finally {
    done.dispose();
  }
}
