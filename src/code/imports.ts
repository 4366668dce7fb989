/**
 * Module dependencies of one file, without the type checker (cheap enough to run over the whole code
 * base on every incremental step, which is how importers of a changed file are found).
 *
 * `type_only` is decided from the syntax, in the same pass: `import type`, `export type`, all named
 * bindings marked `type`, `import('./x').T` type nodes, and — in TypeScript files — an import none of
 * whose bindings is used outside type positions (what the compiler elides). Conservative: a binding
 * name used as a value anywhere in the file (even a shadowing local) keeps the import a runtime one,
 * and options that keep imports as written (`verbatimModuleSyntax`, `preserveValueImports`,
 * `importsNotUsedAsValues`) or decorator metadata turn the inference off.
 */
import ts from './typescript.cjs';
import type { CodeProject } from './program.js';
import { compareImports } from './rows.js';
import type { ImportKind, ImportRow } from './types.js';

const literalText = (e: ts.Node | undefined): ts.StringLiteralLike | undefined =>
  e && (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) ? e : undefined;

const moduleNameText = (n: ts.ModuleExportName): string => n.text;

/** Names bound from a whole-module value: `const { a, b: c } = <value>` → [a, b] bound to [a, c]; otherwise ['*']. */
function destructuredNames(value: ts.Node): { names: string[]; aliases: string[] } {
  const whole = { names: ['*'], aliases: ['*'] };
  let n: ts.Node = value;
  while (ts.isAwaitExpression(n.parent) || ts.isParenthesizedExpression(n.parent)) n = n.parent;
  const p = n.parent;
  if (ts.isVariableDeclaration(p) && p.initializer === n && ts.isObjectBindingPattern(p.name)) {
    const names: string[] = [];
    const aliases: string[] = [];
    for (const el of p.name.elements) {
      if (el.dotDotDotToken) return whole;
      const key = el.propertyName ?? el.name;
      if (!ts.isIdentifier(key) && !ts.isStringLiteral(key)) return whole;
      names.push(key.text);
      aliases.push(ts.isIdentifier(el.name) ? el.name.text : key.text);
    }
    return { names, aliases };
  }
  if (ts.isVariableDeclaration(p) && p.initializer === n && ts.isIdentifier(p.name)) return { names: ['*'], aliases: [p.name.text] };
  if (ts.isPropertyAccessExpression(p) && p.expression === n) return { names: [p.name.text], aliases: [p.name.text] };
  if (ts.isExpressionStatement(p)) return { names: [], aliases: [] };
  return whole;
}

function isRequireCall(n: ts.CallExpression): boolean {
  return (
    ts.isIdentifier(n.expression) &&
    n.expression.text === 'require' &&
    n.arguments.length === 1 &&
    literalText(n.arguments[0]) !== undefined
  );
}

/** Whether the project's options keep imports as written, so a binding used only as a type still loads the module. */
function keepsImports(o: ts.CompilerOptions): boolean {
  return (
    o.verbatimModuleSyntax === true ||
    o.preserveValueImports === true ||
    o.importsNotUsedAsValues === ts.ImportsNotUsedAsValues.Preserve ||
    o.importsNotUsedAsValues === ts.ImportsNotUsedAsValues.Error
  );
}

const isTsFile = (rel: string): boolean => /\.(c|m)?tsx?$/.test(rel) && !/\.d\.(c|m)?ts$/.test(rel);

/**
 * An identifier that names something other than a binding in scope: a property, a key, a label, a
 * declared name. A node's `name` is never a use, except `{ a }` (reads a) and `export { a }` (walk
 * handles export specifiers).
 */
function isNotAUse(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isShorthandPropertyAssignment(p)) return false;
  if (ts.isQualifiedName(p)) return p.right === id;
  if (ts.isBindingElement(p) && p.propertyName === id) return true;
  if (ts.isLabeledStatement(p) || ts.isBreakOrContinueStatement(p)) return true;
  return (p as { name?: ts.Node }).name === id;
}

interface Uses {
  value: Set<string>;
  type: Set<string>;
}

/** Where an import's binding names are used in the file: in value positions (kept at runtime) or type positions (erased). */
function collectUses(sf: ts.SourceFile): Uses {
  const uses: Uses = { value: new Set(), type: new Set() };
  const walk = (node: ts.Node, inType: boolean): void => {
    if (ts.isImportDeclaration(node)) return;
    if (ts.isIdentifier(node)) {
      if (!isNotAUse(node)) (inType ? uses.type : uses.value).add(node.text);
      return;
    }
    if (ts.isExportSpecifier(node)) {
      const typeOnly = inType || node.isTypeOnly || node.parent.parent.isTypeOnly;
      if (!node.parent.parent.moduleSpecifier) (typeOnly ? uses.type : uses.value).add((node.propertyName ?? node.name).text);
      return;
    }
    if (ts.isExpressionWithTypeArguments(node)) {
      // `implements I` is a type; `extends Base` of a class and `f<T>` instantiations read a value.
      const implementsClause = ts.isHeritageClause(node.parent) && node.parent.token === ts.SyntaxKind.ImplementsKeyword;
      walk(node.expression, inType || implementsClause);
      node.typeArguments?.forEach((t) => walk(t, true));
      return;
    }
    if (ts.isImportEqualsDeclaration(node)) {
      if (!ts.isExternalModuleReference(node.moduleReference)) walk(node.moduleReference, inType || node.isTypeOnly);
      return;
    }
    const typeContext = inType || ts.isTypeNode(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node);
    ts.forEachChild(node, (c) => walk(c, typeContext));
  };
  ts.forEachChild(sf, (c) => walk(c, false));
  return uses;
}

/** An import none of whose local bindings is used as a value, and at least one as a type. */
function usedOnlyAsTypes(locals: readonly string[], uses: Uses): boolean {
  return locals.length > 0 && locals.every((l) => !uses.value.has(l)) && locals.some((l) => uses.type.has(l));
}

/** Whether the file keeps decorator metadata (which turns parameter and property types into runtime references). */
function emitsDecoratorMetadata(sf: ts.SourceFile, o: ts.CompilerOptions): boolean {
  if (!o.emitDecoratorMetadata) return false;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isDecorator(n)) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/**
 * The file's import rows, sorted and distinct. Shared between calls while the SourceFile and the
 * resolution epoch are the same (callers must not mutate them): every incremental step lists every
 * file's imports, and re-resolving thousands of specifiers that cannot have moved costs tens of ms.
 */
export function extractImports(sf: ts.SourceFile, rel: string, project: CodeProject): ImportRow[] {
  const held = project.importRows.get(sf);
  if (held?.epoch === project.resolutionEpoch) return held.rows;
  const rows = resolveImports(sf, rel, project);
  project.importRows.set(sf, { epoch: project.resolutionEpoch, rows });
  return rows;
}

function resolveImports(sf: ts.SourceFile, rel: string, project: CodeProject): ImportRow[] {
  // The specifiers come from a full walk of the file: kept per SourceFile (which the language service
  // reuses while the text is unchanged); where each resolves depends on the other files, so that is redone.
  let specs = project.importSpecs.get(sf);
  if (!specs) project.importSpecs.set(sf, (specs = importSpecs(sf, rel, project)));
  const rows = specs.map(({ lit, names, aliases, kind, type_only }): ImportRow => {
    const mode = kind === 'require' ? ts.ModuleKind.CommonJS : kind === 'dynamic' ? ts.ModuleKind.ESNext : undefined;
    const resolved = project.resolve(lit.text, sf, lit, mode);
    const resolved_path = (resolved && project.relOf(resolved)) ?? null;
    return { path: rel, module: lit.text, resolved_path, names: [...names], aliases: [...aliases], kind, type_only };
  });
  rows.sort(compareImports);
  return rows.filter((r, i) => i === 0 || compareImports(rows[i - 1], r) !== 0);
}

/** One module specifier of a file, before resolution. */
export interface ImportSpec {
  lit: ts.StringLiteralLike;
  names: string[];
  aliases: string[];
  kind: ImportKind;
  type_only: boolean;
}

function importSpecs(sf: ts.SourceFile, rel: string, project: CodeProject): ImportSpec[] {
  const specs: ImportSpec[] = [];
  const push = (lit: ts.StringLiteralLike, names: string[], aliases: string[], kind: ImportKind, typeOnly: boolean): void => {
    specs.push({ lit, names, aliases, kind, type_only: typeOnly });
  };
  const keeps = keepsImports(project.options);
  let uses: Uses | null | undefined; // null: decorator metadata, nothing is inferred
  const infer = (locals: string[]): boolean => {
    if (keeps || !isTsFile(rel)) return false;
    if (uses === undefined) uses = emitsDecoratorMetadata(sf, project.options) ? null : collectUses(sf);
    return uses !== null && usedOnlyAsTypes(locals, uses);
  };
  /** `{ type a, type b }` with nothing else: elided, unless imports are kept as written (then `import {} from` stays). */
  const allInlineTypes = (els: readonly (ts.ImportSpecifier | ts.ExportSpecifier)[], other: boolean): boolean =>
    !keeps && !other && els.length > 0 && els.every((el) => el.isTypeOnly);

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const lit = literalText(node.moduleSpecifier);
      if (!lit) return;
      const names: string[] = [];
      const aliases: string[] = [];
      const bind = (name: string, alias: string): void => {
        names.push(name);
        aliases.push(alias);
      };
      const clause = node.importClause;
      if (clause?.name) bind('default', clause.name.text);
      const nb = clause?.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) bind('*', nb.name.text);
      else if (nb) for (const el of nb.elements) bind(moduleNameText(el.propertyName ?? el.name), el.name.text);
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (nb !== undefined && ts.isNamedImports(nb) && allInlineTypes(nb.elements, clause.name !== undefined)) ||
          infer(aliases));
      push(lit, names, aliases, 'import', typeOnly);
      return;
    }
    if (ts.isExportDeclaration(node)) {
      const lit = literalText(node.moduleSpecifier);
      if (!lit) return;
      const ec = node.exportClause;
      let names = ['*'];
      let aliases = ['*'];
      if (ec && ts.isNamespaceExport(ec)) aliases = [moduleNameText(ec.name)];
      else if (ec) {
        names = ec.elements.map((el) => moduleNameText(el.propertyName ?? el.name));
        aliases = ec.elements.map((el) => moduleNameText(el.name));
      }
      const typeOnly = node.isTypeOnly || (ec !== undefined && ts.isNamedExports(ec) && allInlineTypes(ec.elements, false));
      push(lit, names, aliases, 'export-from', typeOnly);
      return;
    }
    if (ts.isImportEqualsDeclaration(node)) {
      if (ts.isExternalModuleReference(node.moduleReference)) {
        const lit = literalText(node.moduleReference.expression);
        if (lit) push(lit, ['*'], [node.name.text], 'require', node.isTypeOnly);
      }
      return;
    }
    if (ts.isCallExpression(node)) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const lit = literalText(node.arguments[0]);
        if (lit) {
          const d = destructuredNames(node);
          push(lit, d.names, d.aliases, 'dynamic', false);
        }
      } else if (isRequireCall(node)) {
        const d = destructuredNames(node);
        push(literalText(node.arguments[0])!, d.names, d.aliases, 'require', false);
      }
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const lit = literalText(node.argument.literal);
      if (lit) {
        const q = node.qualifier;
        const first = q ? (ts.isIdentifier(q) ? q : leftmost(q)) : undefined;
        const names = first ? [first.text] : ['*'];
        push(lit, names, names, 'import', true);
      }
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sf, visit);
  return specs;
}

function leftmost(q: ts.QualifiedName): ts.Identifier {
  let n: ts.EntityName = q;
  while (ts.isQualifiedName(n)) n = n.left;
  return n;
}

/** Importers per imported file (`kinds`: only rows of those kinds). */
export function importersOf(rows: ReadonlyMap<string, readonly ImportRow[]>, kinds?: ReadonlySet<string>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [p, list] of rows) {
    for (const r of list) {
      if (r.resolved_path === null || (kinds && !kinds.has(r.kind))) continue;
      let s = out.get(r.resolved_path);
      if (!s) out.set(r.resolved_path, (s = new Set()));
      s.add(p);
    }
  }
  return out;
}
