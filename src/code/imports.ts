/**
 * Module dependencies of one file, without the type checker (cheap enough to run over the whole code
 * base on every incremental step, which is how importers of a changed file are found).
 */
import ts from 'typescript';
import type { CodeProject } from './program.js';
import { compareImports } from './rows.js';
import type { ImportKind, ImportRow } from './types.js';

const literalText = (e: ts.Node | undefined): ts.StringLiteralLike | undefined =>
  e && (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) ? e : undefined;

const moduleNameText = (n: ts.ModuleExportName): string => n.text;

/** Names bound from a whole-module value: `const { a, b: c } = <value>` → [a, b]; otherwise ['*']. */
function destructuredNames(value: ts.Node): string[] {
  let n: ts.Node = value;
  while (ts.isAwaitExpression(n.parent) || ts.isParenthesizedExpression(n.parent)) n = n.parent;
  const p = n.parent;
  if (ts.isVariableDeclaration(p) && p.initializer === n && ts.isObjectBindingPattern(p.name)) {
    const names: string[] = [];
    for (const el of p.name.elements) {
      if (el.dotDotDotToken) return ['*'];
      const key = el.propertyName ?? el.name;
      if (ts.isIdentifier(key) || ts.isStringLiteral(key)) names.push(key.text);
      else return ['*'];
    }
    return names;
  }
  if (ts.isPropertyAccessExpression(p) && p.expression === n) return [p.name.text];
  if (ts.isExpressionStatement(p)) return [];
  return ['*'];
}

function isRequireCall(n: ts.CallExpression): boolean {
  return (
    ts.isIdentifier(n.expression) &&
    n.expression.text === 'require' &&
    n.arguments.length === 1 &&
    literalText(n.arguments[0]) !== undefined
  );
}

export function extractImports(sf: ts.SourceFile, rel: string, project: CodeProject): ImportRow[] {
  const rows: ImportRow[] = [];
  const push = (lit: ts.StringLiteralLike, names: string[], kind: ImportKind): void => {
    const mode = kind === 'require' ? ts.ModuleKind.CommonJS : kind === 'dynamic' ? ts.ModuleKind.ESNext : undefined;
    const resolved = project.resolve(lit.text, sf, lit, mode);
    rows.push({ path: rel, module: lit.text, resolved_path: (resolved && project.relOf(resolved)) ?? null, names, kind });
  };

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const lit = literalText(node.moduleSpecifier);
      if (!lit) return;
      const names: string[] = [];
      const clause = node.importClause;
      if (clause?.name) names.push('default');
      const nb = clause?.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) names.push('*');
      else if (nb) for (const el of nb.elements) names.push(moduleNameText(el.propertyName ?? el.name));
      push(lit, names, 'import');
      return;
    }
    if (ts.isExportDeclaration(node)) {
      const lit = literalText(node.moduleSpecifier);
      if (!lit) return;
      const ec = node.exportClause;
      const names = !ec || ts.isNamespaceExport(ec) ? ['*'] : ec.elements.map((el) => moduleNameText(el.propertyName ?? el.name));
      push(lit, names, 'export-from');
      return;
    }
    if (ts.isImportEqualsDeclaration(node)) {
      if (ts.isExternalModuleReference(node.moduleReference)) {
        const lit = literalText(node.moduleReference.expression);
        if (lit) push(lit, ['*'], 'require');
      }
      return;
    }
    if (ts.isCallExpression(node)) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const lit = literalText(node.arguments[0]);
        if (lit) push(lit, destructuredNames(node), 'dynamic');
      } else if (isRequireCall(node)) {
        push(literalText(node.arguments[0])!, destructuredNames(node), 'require');
      }
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const lit = literalText(node.argument.literal);
      if (lit) {
        const q = node.qualifier;
        const first = q ? (ts.isIdentifier(q) ? q : leftmost(q)) : undefined;
        push(lit, first ? [first.text] : ['*'], 'import');
      }
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sf, visit);

  rows.sort(compareImports);
  return rows.filter((r, i) => i === 0 || compareImports(rows[i - 1], r) !== 0);
}

function leftmost(q: ts.QualifiedName): ts.Identifier {
  let n: ts.EntityName = q;
  while (ts.isQualifiedName(n)) n = n.left;
  return n;
}
