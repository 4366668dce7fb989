/**
 * Differential test of the warm code extractor (issue 14 item 2): a seeded random sequence of edits
 * (body edit, signature edit, new export, file added, deleted, renamed) applied to a temp copy of a
 * code base; after each step the warm extractor's `extractChanged` rows, merged into the previous
 * state the way the code source does (every affected path's rows replaced), must equal a cold
 * `extractAll` of the same tree in a fresh extractor — every table.
 *
 * Used by test/code/differential.test.ts (a slice) and scripts/torture.ts (the full size).
 */
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { CodeFactExtractor, type Facts } from '../../src/code/index.js';
import { compareCalls, compareFiles, compareImports, compareReferences, compareSymbols } from '../../src/code/rows.js';
import { rng } from '../../bench/gen.js';

export type StepKind = 'body' | 'signature' | 'export' | 'add' | 'delete' | 'rename';
export const STEP_KINDS: readonly StepKind[] = ['body', 'signature', 'export', 'add', 'delete', 'rename'];

export interface Step {
  kind: StepKind;
  /** The file edited, added, deleted or renamed (its old path). */
  path: string;
  /** What was done, for the failure report. */
  detail: string;
}

export interface TableDiff {
  table: keyof Facts;
  /** First differing rows (up to 5 each): in the warm state only, in the cold extraction only. */
  warmOnly: unknown[];
  coldOnly: unknown[];
}

export interface DifferentialResult {
  seed: number;
  steps: Step[];
  /** Index of the step after which warm and cold differed, if any. */
  failedAt?: number;
  diffs: TableDiff[];
  /** Files extracted by the warm extractor, per step. */
  extracted: number[];
  ms: number;
}

export interface DifferentialOptions {
  /** The code base to copy (it is never written). */
  source: string;
  /** Lists the code base files of a tree (relative, sorted). */
  list: (root: string) => string[];
  seed: number;
  steps: number;
  kinds?: readonly StepKind[];
  log?: (line: string) => void;
}

/** Every `.ts` file under root (outside `.d.ts` and node_modules), sorted. */
export function listTs(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(p);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(path.relative(root, p).split(path.sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) makeWritable(p);
    else chmodSync(p, 0o644);
  }
}

const sorted = (f: Facts): Facts => ({
  files: [...f.files].sort(compareFiles),
  symbols: [...f.symbols].sort(compareSymbols),
  references: [...f.references].sort(compareReferences),
  calls: [...f.calls].sort(compareCalls),
  imports: [...f.imports].sort(compareImports),
});

/** The previous state with every affected path's rows replaced by the new ones (what sources/code/sync.ts does). */
export function mergeFacts(state: Facts, changed: Facts, affected: readonly string[]): Facts {
  const gone = new Set(affected);
  const keep = <T extends { path: string }>(rows: T[], add: T[]): T[] => [...rows.filter((r) => !gone.has(r.path)), ...add];
  return sorted({
    files: keep(state.files, changed.files),
    symbols: keep(state.symbols, changed.symbols),
    references: keep(state.references, changed.references),
    calls: keep(state.calls, changed.calls),
    imports: keep(state.imports, changed.imports),
  });
}

/** Tables that differ, with their first differing rows. */
export function compareFacts(warm: Facts, cold: Facts): TableDiff[] {
  const out: TableDiff[] = [];
  for (const table of ['files', 'symbols', 'references', 'calls', 'imports'] as const) {
    const a = warm[table].map((r) => JSON.stringify(r));
    const b = cold[table].map((r) => JSON.stringify(r));
    const inB = new Set(b);
    const inA = new Set(a);
    const warmOnly = a.filter((r) => !inB.has(r));
    const coldOnly = b.filter((r) => !inA.has(r));
    if (warmOnly.length > 0 || coldOnly.length > 0 || a.length !== b.length) {
      out.push({
        table,
        warmOnly: warmOnly.slice(0, 5).map((r) => JSON.parse(r) as unknown),
        coldOnly: coldOnly.slice(0, 5).map((r) => JSON.parse(r) as unknown),
      });
    }
  }
  return out;
}

export function formatResult(r: DifferentialResult): string {
  const lines = [`seed ${r.seed}: ${r.failedAt === undefined ? 'ok' : `warm ≠ cold after step ${r.failedAt + 1}`}`];
  r.steps.forEach((s, i) => lines.push(`  ${i + 1}. ${s.kind} ${s.path}: ${s.detail} (${r.extracted[i] ?? '-'} extracted)`));
  for (const d of r.diffs) {
    lines.push(`  ${d.table}: warm only ${JSON.stringify(d.warmOnly)}`);
    lines.push(`  ${d.table}: cold only ${JSON.stringify(d.coldOnly)}`);
  }
  return lines.join('\n');
}

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

/** A specifier for `to` as written in `from` (relative, `.js` extension: resolves in NodeNext and Bundler). */
function specifier(from: string, to: string): string {
  let s = path.posix.relative(path.posix.dirname(from), to).replace(/\.ts$/, '.js');
  if (!s.startsWith('.')) s = `./${s}`;
  return s;
}

function parse(abs: string): { text: string; sf: ts.SourceFile } {
  const text = readFileSync(abs, 'utf8');
  return { text, sf: ts.createSourceFile(abs, text, ts.ScriptTarget.Latest, true) };
}

function nodesOf(sf: ts.SourceFile, want: (n: ts.Node) => boolean): ts.Node[] {
  const out: ts.Node[] = [];
  const visit = (n: ts.Node): void => {
    if (want(n)) out.push(n);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const insideFunctionBody = (n: ts.Node): boolean => {
  for (let p = n.parent; p; p = p.parent) if (ts.isFunctionLike(p) && 'body' in p && p.body) return true;
  return false;
};

/** A literal used as a value: not a key, a literal type, a module specifier or `require`/`import()` argument. */
function isValue(x: ts.Node): boolean {
  const p = x.parent;
  if (ts.isLiteralTypeNode(p) || ts.isPropertyAssignment(p) ? (p as ts.PropertyAssignment).name === x : false) return false;
  if (ts.isLiteralTypeNode(p) || ts.isElementAccessExpression(p) || ts.isPropertyDeclaration(p) || ts.isEnumMember(p)) return false;
  if (
    ts.isCallExpression(p) &&
    (p.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(p.expression) && p.expression.text === 'require'))
  )
    return false;
  return !ts.isImportDeclaration(p) && !ts.isExportDeclaration(p) && !ts.isExternalModuleReference(p) && !ts.isImportTypeNode(p.parent);
}

/** Applies one random step to the tree; undefined when the chosen kind has no candidate there. */
function applyStep(root: string, files: string[], kind: StepKind, n: number, rand: () => number): Step | undefined {
  if (files.length === 0 || (files.length === 1 && (kind === 'delete' || kind === 'rename'))) return undefined; // keep a code base
  const rel = pick(rand, files);
  const abs = path.join(root, rel);
  switch (kind) {
    case 'body': {
      const { text, sf } = parse(abs);
      const lits = nodesOf(sf, (x) => (ts.isStringLiteral(x) || ts.isNumericLiteral(x)) && insideFunctionBody(x) && isValue(x));
      if (lits.length === 0) return undefined;
      const lit = pick(rand, lits);
      const next = ts.isNumericLiteral(lit) ? String(1000 + n) : JSON.stringify(`${(lit as ts.StringLiteral).text}~${n}`);
      writeFileSync(abs, text.slice(0, lit.getStart(sf)) + next + text.slice(lit.end));
      return { kind, path: rel, detail: `literal at ${sf.getLineAndCharacterOfPosition(lit.getStart(sf)).line + 1} → ${next}` };
    }
    case 'signature': {
      const { text, sf } = parse(abs);
      const fns = sf.statements.filter(
        (s): s is ts.FunctionDeclaration =>
          ts.isFunctionDeclaration(s) &&
          s.body !== undefined &&
          s.name !== undefined &&
          (ts.getCombinedModifierFlags(s) & ts.ModifierFlags.Export) !== 0 &&
          !s.parameters.some((p) => p.dotDotDotToken),
      );
      if (fns.length === 0) return undefined;
      const fn = pick(rand, fns);
      const param = `__p${n}?: number`;
      const ps = fn.parameters;
      const insert = ps.length === 0 ? param : ps.hasTrailingComma ? ` ${param},` : `, ${param}`;
      writeFileSync(abs, text.slice(0, ps.end) + insert + text.slice(ps.end));
      return { kind, path: rel, detail: `${fn.name!.text}(…, ${param})` };
    }
    case 'export': {
      writeFileSync(abs, `${readFileSync(abs, 'utf8')}\nexport const __x${n} = ${n};\n`);
      return { kind, path: rel, detail: `export const __x${n}` };
    }
    case 'add': {
      const { sf } = parse(abs);
      const names = sf.statements
        .filter((s): s is ts.FunctionDeclaration | ts.ClassDeclaration => ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s))
        .filter(
          (s) =>
            s.name &&
            s.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) &&
            !s.modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword),
        )
        .map((s) => s.name!.text);
      const to = path.posix.join(path.posix.dirname(rel), `__added${n}.ts`);
      const spec = specifier(to, rel);
      const body =
        names.length > 0
          ? `import { ${pick(rand, names)} as __imported } from '${spec}';\n\nexport const __use${n} = typeof __imported;\n`
          : `import * as __ns from '${spec}';\n\nexport const __use${n} = Object.keys(__ns).length;\n`;
      writeFileSync(path.join(root, to), body);
      return { kind, path: to, detail: `imports ${rel}` };
    }
    case 'delete':
      rmSync(abs);
      return { kind, path: rel, detail: 'deleted' };
    case 'rename': {
      const to = path.posix.join(path.posix.dirname(rel), `__renamed${n}_${path.posix.basename(rel)}`);
      renameSync(abs, path.join(root, to));
      return { kind, path: rel, detail: `→ ${to} (its importers' imports no longer resolve)` };
    }
  }
}

/** Paths a step changed (what a watcher reports). */
function changedBy(step: Step): string[] {
  if (step.kind !== 'rename') return [step.path];
  return [step.path, step.detail.slice(2, step.detail.indexOf(' ('))];
}

export function coldFacts(root: string, files: readonly string[]): Facts {
  const ex = new CodeFactExtractor(root);
  try {
    return ex.extractAll(files);
  } finally {
    ex.dispose();
  }
}

/** One seeded scenario over a fresh temp copy of `source` (deleted afterwards). */
export function runCodeDifferential(o: DifferentialOptions): DifferentialResult {
  const t0 = performance.now();
  const dir = mkdtempSync(path.join(tmpdir(), 'relspec-code-diff-'));
  const root = path.join(dir, 'tree');
  cpSync(o.source, root, { recursive: true });
  makeWritable(root);
  const rand = rng(o.seed);
  const kinds = o.kinds ?? STEP_KINDS;
  const result: DifferentialResult = { seed: o.seed, steps: [], diffs: [], extracted: [], ms: 0 };
  const warm = new CodeFactExtractor(root);
  try {
    let files = o.list(root);
    let state = sorted(warm.extractAll(files));
    for (let i = 0; i < o.steps; i++) {
      let step: Step | undefined;
      for (let tries = 0; !step && tries < 20; tries++) step = applyStep(root, files, pick(rand, kinds), i + 1, rand);
      if (!step) break;
      result.steps.push(step);
      files = o.list(root);
      const r = warm.extractChanged(files, changedBy(step));
      state = mergeFacts(state, r, r.affectedPaths);
      result.extracted.push(warm.lastStats?.extracted ?? -1);
      const cold = coldFacts(root, files);
      const diffs = compareFacts(state, cold);
      o.log?.(
        `seed ${o.seed} step ${i + 1}: ${step.kind} ${step.path} — ${r.affectedPaths.length} affected, ${diffs.length === 0 ? 'equal' : 'DIFFERENT'}`,
      );
      if (diffs.length > 0) {
        result.failedAt = i;
        result.diffs = diffs;
        break;
      }
    }
  } finally {
    warm.dispose();
    rmSync(dir, { recursive: true, force: true });
    result.ms = performance.now() - t0;
  }
  return result;
}

/**
 * `vendor/` is outside the extracted set (the list is `src/**`) but in the program through imports:
 * member accesses on its types resolve to nothing, on structurally identical in-code-base types to a
 * declaration. `pick` returns a union of structurally identical object literal types, which the
 * checker reduces to the one it created first.
 */
export const SYNTHETIC: Record<string, string> = {
  'vendor/config.ts': ['export interface VendorConfig {', '  name: string;', '  level: number;', '}', ''].join('\n'),
  'vendor/make.ts': [
    "import type { VendorConfig } from './config.js';",
    'export function vendorConfig(): VendorConfig {',
    "  return { name: 'vendor', level: 1 };",
    '}',
    '',
  ].join('\n'),
  'src/config.ts': [
    'export interface Config {',
    '  name: string;',
    '  level: number;',
    '}',
    "export const defaults: Config = { name: 'default', level: 0 };",
    '',
  ].join('\n'),
  'src/pick.ts': [
    "import { defaults } from './config.js';",
    "import { vendorConfig } from '../vendor/make.js';",
    '',
    "const a = { name: 'a', level: 1 };",
    "const b = { name: 'b', level: 2 };",
    'export function pick(n: number) {',
    '  if (n === 0) return vendorConfig();',
    '  if (n === 1) return defaults;',
    '  return n > 2 ? a : b;',
    '}',
    'export function nameOf(n: number): string {',
    '  return pick(n).name + String(pick(n).level);',
    '}',
    '',
  ].join('\n'),
  'src/use.ts': [
    "import { nameOf, pick } from './pick.js';",
    "import { vendorConfig } from '../vendor/make.js';",
    '',
    'export function describe(n: number): string {',
    "  const label = 'n=' + String(n);",
    '  return label + nameOf(n) + pick(n + 1).name + vendorConfig().level;',
    '}',
    '',
  ].join('\n'),
  'src/shapes.ts': [
    "import { describe } from './use.js';",
    '',
    'export class Circle {',
    '  constructor(private r: number) {}',
    '  area(): number {',
    '    return this.r * this.r * 3;',
    '  }',
    '}',
    'export function show(c: Circle): string {',
    "  return describe(c.area()) + ' circle';",
    '}',
    '',
  ].join('\n'),
  'src/index.ts': [
    "export * from './shapes.js';",
    "export { pick } from './pick.js';",
    "import { show, Circle } from './shapes.js';",
    '',
    'export function main(): string {',
    '  return show(new Circle(2));',
    '}',
    '',
  ].join('\n'),
};

/** The synthetic code base's extracted set. */
export const srcOnly = (root: string): string[] => listTs(root).filter((f) => f.startsWith('src/'));
