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
 * Kept per declaration too (`entries`): which declarations an edit added, removed or retyped names
 * the only identifiers through which other files' facts can move (extractor.ts, "changed names").
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
import { isCodeFile, type CodeProject } from './program.js';
import type { Resolver } from './resolver.js';
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

/** A file's surface: its hash, and per declaration id its name and what the hash took of it. */
export interface Surface {
  hash: string;
  entries: Map<string, { name: string; line: string }>;
}

export function surfaceOf(decls: FileDecls, checker: ts.TypeChecker, root: string): Surface {
  settleContextualTypes(decls, checker);
  const h = createHash('sha256').update(decls.global ? 'global\0' : 'module\0');
  const entries = new Map<string, { name: string; line: string }>();
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
    const line = `${d.id}\0${d.kind}\0${d.exported ? 1 : 0}\0${d.parent?.id ?? ''}\0${typeText.get(d) ?? ''}\n`;
    h.update(line);
    const e = entries.get(d.id);
    entries.set(d.id, { name: d.name, line: e ? e.line + line : line });
  }
  return { hash: h.digest('hex').slice(0, 32), entries };
}

/** A file's surface as kept between steps: the entries only where this process computed them (not a restored baseline, not JSON). */
export type FileSurface = { hash: string; entries?: Surface['entries'] };

/** Files' surfaces in one program, each computed once (a new program starts afresh). */
export class ProgramSurfaces {
  private program: ts.Program | undefined;
  private readonly byFile = new Map<string, FileSurface>();

  constructor(private readonly project: CodeProject) {}

  /** `rel`'s surface in `program`; undefined when the file is gone or the checker failed on it. */
  of(program: ts.Program, resolver: Resolver, rel: string): FileSurface | undefined {
    if (program !== this.program) {
      this.byFile.clear();
      this.program = program;
    }
    const cached = this.byFile.get(rel);
    if (cached !== undefined) return cached;
    const f = this.project.file(rel);
    if (!f) return undefined;
    const sf = isCodeFile(rel) ? program.getSourceFile(f.abs) : undefined;
    let v: FileSurface;
    if (!sf) {
      v = { hash: `sha:${f.sha}` }; // not code (json): its content is all other files can resolve against
    } else {
      const decls = resolver.declsOf(sf);
      if (!decls) return undefined;
      try {
        v = surfaceOf(decls, resolver.checker, this.project.root);
      } catch {
        return undefined;
      }
    }
    this.byFile.set(rel, v);
    return v;
  }
}
