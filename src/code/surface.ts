/**
 * A file's surface: everything another file's references, calls and imports can resolve to in it —
 * the ids of its declarations (which carry no positions) and their types as the checker prints them
 * (an inferred return type is part of what `f().x` resolves against). Function-local variables,
 * parameters and type parameters are left out: no other file can name them.
 *
 * When an edit leaves a file's surface unchanged — a function body rewritten without changing its
 * inferred type, a comment, lines inserted above — no other file's facts can change, so incremental
 * extraction re-extracts that file alone instead of every importer (see extractor.ts).
 *
 * The fingerprint must depend on the file's exported shape only, not on the program it was computed
 * in (./typeText.ts): the checker orders union members by the order it created their types (which
 * files it visited first), and prints other modules' types as `import("<absolute path>")`. Either
 * would make a file's surface differ between a cold and a warm program, or between two checkouts,
 * and every importer would be re-extracted for nothing.
 *
 * The checker also fills in one thing lazily: a method or arrow function in an object literal gets
 * the contextual `this` (and parameter types) of the literal's declared type only once the literal
 * itself is checked, and until then prints without them. The file's object literals that hold
 * tracked members are checked first, so the printed type does not depend on whether some other
 * query happened to check them already.
 */
import { createHash } from 'node:crypto';
import ts from './typescript.cjs';
import type { DeclInfo, FileDecls } from './declarations.js';
import { canonicalTypeTexts, type TypeToPrint } from './typeText.js';

/** Inside a function-like's body (a local), as opposed to a module, class, interface or namespace member. */
function isLocal(d: DeclInfo): boolean {
  for (let p = d.parent; p; p = p.parent) if (p.callable) return true;
  return false;
}

/** The type other files see of a declaration (a type alias: its definition). */
function typeOf(d: DeclInfo, checker: ts.TypeChecker): TypeToPrint {
  if (ts.isTypeAliasDeclaration(d.node)) return { type: checker.getTypeAtLocation(d.node.type), inTypeAlias: true };
  const named = (d.node as { name?: ts.Node }).name;
  const at = named && !ts.isComputedPropertyName(named) ? named : d.node;
  return { type: checker.getTypeAtLocation(at), inTypeAlias: false };
}

/** Checks the object literals that hold the file's non-local members (see the module comment). */
function settleContextualTypes(decls: FileDecls, checker: ts.TypeChecker): void {
  const literals = new Set<ts.ObjectLiteralExpression>();
  for (const d of decls.list) {
    const p = d.node.parent as ts.Node | undefined;
    if (p && ts.isObjectLiteralExpression(p) && !isLocal(d)) literals.add(p);
  }
  for (const l of literals) checker.getTypeAtLocation(l);
}

export function surfaceOf(decls: FileDecls, checker: ts.TypeChecker, root: string): string {
  settleContextualTypes(decls, checker);
  const h = createHash('sha256').update(decls.global ? 'global\0' : 'module\0');
  const members = decls.list.filter(
    (d) => !(d.kind === 'parameter' || d.kind === 'type_parameter' || (d.kind === 'variable' && isLocal(d))),
  );
  // Locals (functions, classes declared in a body) count by id only: no other file can reach their type.
  const typed = members.filter((d) => !isLocal(d));
  const toPrint: TypeToPrint[] = [];
  const failed = new Set<DeclInfo>();
  for (const d of typed) {
    try {
      toPrint.push(typeOf(d, checker));
    } catch {
      failed.add(d);
    }
  }
  const texts = canonicalTypeTexts(checker, toPrint, root);
  const typeText = new Map<DeclInfo, string>();
  let i = 0;
  for (const d of typed) typeText.set(d, failed.has(d) ? '?' : (texts[i++] ?? '?'));
  for (const d of members) {
    h.update(`${d.id}\0${d.kind}\0${d.exported ? 1 : 0}\0${d.parent?.id ?? ''}\0${typeText.get(d) ?? ''}\n`);
  }
  return h.digest('hex').slice(0, 32);
}
