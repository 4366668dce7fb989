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
import ts from 'typescript';

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

export function canonicalTypeText(checker: ts.TypeChecker, type: ts.Type, root: string, inTypeAlias: boolean): string {
  const flags = BUILDER_FLAGS | (inTypeAlias ? ts.NodeBuilderFlags.InTypeAlias : 0);
  const node = checker.typeToTypeNode(type, undefined, flags);
  if (!node) return checker.typeToString(type);
  const texts = new Map<ts.Node, string>();
  const text = (n: ts.Node): string => {
    let t = texts.get(n);
    if (t === undefined) texts.set(n, (t = printer.printNode(ts.EmitHint.Unspecified, n, NO_SOURCE)));
    return t;
  };
  const byText = (a: ts.TypeNode, b: ts.TypeNode): number => {
    const x = text(a);
    const y = text(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  const nameOf = (m: ts.TypeElement): string => (m.name ? text(m.name) : '');
  const byName = (a: ts.TypeElement, b: ts.TypeElement): number => {
    const x = nameOf(a);
    const y = nameOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  const canonicalize = (ctx: ts.TransformationContext) => {
    const visit = (n: ts.Node): ts.Node => {
      const v = ts.visitEachChild(n, visit, ctx);
      if (ts.isTypeLiteralNode(v)) return ts.factory.updateTypeLiteralNode(v, ts.factory.createNodeArray([...v.members].sort(byName)));
      if (ts.isUnionTypeNode(v)) return ts.factory.updateUnionTypeNode(v, ts.factory.createNodeArray([...v.types].sort(byText)));
      if (ts.isIntersectionTypeNode(v))
        return ts.factory.updateIntersectionTypeNode(v, ts.factory.createNodeArray([...v.types].sort(byText)));
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
  const done = ts.transform(node, [canonicalize]);
  try {
    return text(done.transformed[0]!);
  } finally {
    done.dispose();
  }
}
