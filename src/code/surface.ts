/**
 * A file's surface: everything another file's references, calls and imports can resolve to in it —
 * the ids of its declarations (which carry no positions) and their types as the checker prints them
 * (an inferred return type is part of what `f().x` resolves against). Function-local variables,
 * parameters and type parameters are left out: no other file can name them.
 *
 * When an edit leaves a file's surface unchanged — a function body rewritten without changing its
 * inferred type, a comment, lines inserted above — no other file's facts can change, so incremental
 * extraction re-extracts that file alone instead of every importer (see extractor.ts).
 */
import { createHash } from 'node:crypto';
import ts from 'typescript';
import type { DeclInfo, FileDecls } from './declarations.js';

const LOCAL_KINDS = new Set(['variable', 'parameter', 'type_parameter']);
const FLAGS = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseFullyQualifiedType | ts.TypeFormatFlags.WriteArrowStyleSignature;

/** Inside a function-like's body (a local), as opposed to a module, class, interface or namespace member. */
function isLocal(d: DeclInfo): boolean {
  for (let p = d.parent; p; p = p.parent) if (p.callable) return true;
  return false;
}

function typeText(d: DeclInfo, checker: ts.TypeChecker): string {
  const named = (d.node as { name?: ts.Node }).name;
  const at = named && !ts.isComputedPropertyName(named) ? named : d.node;
  if (ts.isTypeAliasDeclaration(d.node)) {
    return checker.typeToString(checker.getTypeAtLocation(d.node.type), undefined, FLAGS | ts.TypeFormatFlags.InTypeAlias);
  }
  return checker.typeToString(checker.getTypeAtLocation(at), undefined, FLAGS);
}

export function surfaceOf(decls: FileDecls, checker: ts.TypeChecker): string {
  const h = createHash('sha256').update(decls.global ? 'global\0' : 'module\0');
  for (const d of decls.list) {
    if (LOCAL_KINDS.has(d.kind) && isLocal(d)) continue;
    if (d.kind === 'parameter' || d.kind === 'type_parameter') continue;
    let type = '';
    if (!isLocal(d)) {
      try {
        type = typeText(d, checker);
      } catch {
        type = '?';
      }
    }
    h.update(`${d.id}\0${d.kind}\0${d.exported ? 1 : 0}\0${d.parent?.id ?? ''}\0${type}\n`);
  }
  return h.digest('hex').slice(0, 32);
}
