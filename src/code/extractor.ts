/**
 * A long-lived extractor for one code base root: full extraction, and incremental re-extraction of
 * the files whose facts an edit can change.
 *
 * Which files an edit affects (`extractChanged`). Facts of file P depend on file F only through name
 * resolution: P's references, calls and import rows name ids declared in F (or F's path). A file's
 * symbols, spans and file row depend on its own content only (ids carry no positions), so editing a
 * function body never touches other files' rows — but a rename, a removed export or a changed
 * (inferred) type in F can change what P's names resolve to. The affected set of a step is:
 *
 *  1. the seeds: files reported changed, files whose content hash differs from the cached one (the
 *     extractor checks every file's size/mtime, so a missed event is still caught), added and removed
 *     files. Steps 2–4 start only from seeds whose *surface* changed (./surface.ts: the ids of its
 *     declarations and their types as the checker prints them) — a body edit or moved lines leave
 *     it as it was, and then no other file's facts can change;
 *  2. R = the seeds, closed under "re-exports from" (`export … from`, `export *`): a re-exporting
 *     module's surface changes with its source, transitively;
 *  3. importers of any file in R, by any import kind, in the previous or the current import graph
 *     (they may resolve names differently now) — one import level beyond the re-export closure,
 *     because a file that does not import R can only reach R's declarations through types, see 4;
 *  4. files whose previous references or calls resolved into a seed (the reverse-reference index):
 *     this catches type-flow dependencies without an import edge, e.g. `getUser().name` resolving to
 *     an interface in a file P never imports;
 *  5. files whose own import rows changed (e.g. `./x.js` resolves now that x.ts was added);
 *  6. everything, when a seed is (or was) a global script, `declare global` or `declare module 'x'`
 *     file, since its declarations are visible without imports;
 *  7. 2–4 again from each affected file whose own surface changed with the step (its types came
 *     through a seed, e.g. its import of a deleted module no longer resolves), until none is added.
 *
 * The remaining gap: a file that previously had an *unresolved* member access that resolves into F
 * only after F's edit (e.g. F adds a property to an interface a distant file uses through inference,
 * with no import of F and no previous resolved reference into F). A full `extractAll` is always exact.
 */
import type ts from 'typescript';
import type { FileDecls } from './declarations.js';
import { symbolRows } from './declarations.js';
import { ProgramSurfaces, type FileSurface } from './surface.js';
import { changedNames, importsDefaultFrom, mentionsAny, reexportAliases } from './changedNames.js';
import { extractImports, importersOf } from './imports.js';
import { extractOccurrences } from './occurrences.js';
import { createTypesInOrder, Resolver } from './resolver.js';
import { CodeProject, fileRow, isCodeFile, normalizeRel } from './program.js';
import { compareCalls, compareFiles, compareImports, compareReferences, compareSymbols, emptyFacts, restrictFacts } from './rows.js';
import type { ChangedFacts, Facts, ImportRow } from './types.js';

/** What one file's facts depended on when extracted (see `restoreBaseline`). */
export interface BaselineFile {
  sha: string;
  imports: ImportRow[];
  /** Code-base files its resolved references and calls point into (itself excluded). */
  targets: string[];
  /** It declares globals (a script, `declare global`, `declare module 'x'`). */
  global: boolean;
  /** Hash of what other files can resolve into it (see ./surface.ts); absent: unknown. */
  surface?: string;
}

export interface ExtractStats {
  files: number;
  /** Files whose facts were extracted (the others were only hashed). */
  extracted: number;
  programMs: number;
  extractMs: number;
  totalMs: number;
}

/** Called before each file is extracted: `done` of `total` so far (synchronously: extraction does not yield). */
export type FileProgress = (done: number, total: number) => void;

export class CodeFactExtractor {
  readonly project: CodeProject;
  private readonly declCache = new WeakMap<ts.SourceFile, FileDecls>();
  /** Import rows per file from the last extraction step (all files, every step). */
  private importsByFile = new Map<string, ImportRow[]>();
  /** Code-base files each file's resolved references/calls point into. */
  private readonly targetsByFile = new Map<string, Set<string>>();
  private readonly globalFiles = new Set<string>();
  /** Each file's surface (./surface.ts) at its last extraction. */
  private readonly surfaces = new Map<string, FileSurface>();
  /** Surfaces computed in the current program (reused by extract). */
  private readonly pending: ProgramSurfaces;
  /** The program whose types were created in order (resolver.ts createTypesInOrder). */
  private orderedProgram: ts.Program | undefined;
  private baseline = false;
  /** Content hashes of a restored baseline, consumed by the next extractChanged. */
  private restored: Map<string, string> | undefined;
  /** Timing of the last call. */
  lastStats: ExtractStats | undefined;
  /** Files whose symbols/references/calls could not be extracted, with the error (they keep their file and import rows). */
  readonly failures = new Map<string, string>();

  /** `tsconfig`: absolute path, `null` for none, undefined for the root's tsconfig.json (program.ts). */
  constructor(root: string, tsconfig?: string | null) {
    this.project = new CodeProject(root, tsconfig);
    this.pending = new ProgramSurfaces(this.project);
  }

  get root(): string {
    return this.project.root;
  }

  /**
   * Starts from a recorded state instead of a full extraction: what each file's facts depended on
   * when they were last extracted (its content hash, import rows, the files its references resolve
   * into, whether it declares globals). The next `extractChanged` then treats only files whose hash
   * differs from the recorded one (or that appeared or disappeared) as changed — so a fresh process
   * (a nightly `relspec run`) re-extracts the edit's affected files, not the code base. The recorded
   * state must describe the facts the caller holds; the caller keeps it (it is not read back here).
   */
  restoreBaseline(files: ReadonlyMap<string, BaselineFile>): void {
    this.importsByFile = new Map([...files].map(([p, f]) => [p, f.imports]));
    this.targetsByFile.clear();
    this.globalFiles.clear();
    this.surfaces.clear();
    for (const [p, f] of files) {
      this.targetsByFile.set(p, new Set(f.targets));
      if (f.global) this.globalFiles.add(p);
      if (f.surface !== undefined) this.surfaces.set(p, { hash: f.surface });
    }
    this.restored = new Map([...files].map(([p, f]) => [p, f.sha]));
    this.baseline = true;
  }

  /**
   * Builds the program for `files` now (parse and bind every file: seconds for a large code base), so
   * the next `extractChanged` only pays for what changed. For long-lived processes (the daemon).
   */
  prime(files: readonly string[]): void {
    this.project.refresh(files);
    this.project.program();
  }

  /** The recorded dependencies of a file, after the last extraction step (for `restoreBaseline`). */
  baselineOf(rel: string): Omit<BaselineFile, 'sha'> | undefined {
    const f = this.project.file(rel);
    if (!f) return undefined;
    const surface = this.surfaces.get(rel)?.hash;
    return {
      imports: this.importsByFile.get(rel) ?? [],
      targets: [...(this.targetsByFile.get(rel) ?? [])].sort(),
      global: this.globalFiles.has(rel),
      ...(surface === undefined ? {} : { surface }),
    };
  }

  /** Facts for every file of the code base `files` (relative paths). */
  extractAll(files: readonly string[], onFile?: FileProgress): Facts {
    const t0 = performance.now();
    this.project.refresh(files);
    const { program, resolver, programMs } = this.prepare();
    const t1 = performance.now();
    this.importsByFile = this.allImports(program);
    this.targetsByFile.clear();
    this.globalFiles.clear();
    const facts = this.extract(this.project.paths(), program, resolver, onFile);
    this.baseline = true;
    const t2 = performance.now();
    this.lastStats = {
      files: this.project.paths().length,
      extracted: this.project.paths().length,
      programMs,
      extractMs: t2 - t1,
      totalMs: t2 - t0,
    };
    return facts;
  }

  /**
   * Facts for the changed files and the files whose facts depend on them (see the module comment);
   * `affectedPaths` lists every path whose rows the caller must replace, removed files included.
   */
  extractChanged(allFiles: readonly string[], changed: readonly string[], onFile?: FileProgress): ChangedFacts {
    const t0 = performance.now();
    const explicit = new Set(changed.map(normalizeRel));
    const wasGlobal = new Set(this.globalFiles);
    const hadBaseline = this.baseline;
    const refreshed = this.project.refresh(allFiles, explicit);
    const { program, resolver, programMs } = this.prepare();
    const t1 = performance.now();

    const previousImports = this.importsByFile;
    this.importsByFile = this.allImports(program);
    let full: Facts | undefined;
    if (!hadBaseline) {
      // No previous state: extract everything once to know who references whom (same as a clean build).
      full = this.extract(this.project.paths(), program, resolver, onFile);
      this.baseline = true;
    }
    const current = new Set(this.project.paths());
    const seeds = new Set<string>([...explicit, ...refreshed.contentChanged, ...refreshed.added, ...refreshed.removed]);
    const restored = this.restored;
    this.restored = undefined;
    if (restored) {
      // A fresh project reads every file as new: only a hash that differs from the record is a change.
      for (const p of [...seeds]) if (!explicit.has(p) && restored.get(p) === this.project.file(p)?.sha) seeds.delete(p);
      for (const p of restored.keys()) if (!current.has(p)) seeds.add(p);
    }
    const affected = new Set(seeds);
    // A seed whose surface is unchanged (a body edit, a comment, code moved down a line) cannot
    // change what other files resolve to: ids carry no positions. Only the others propagate.
    const propagating = new Set<string>();
    // The names of the declarations whose surface moved (null: unknown, nothing is narrowed), and the
    // files the change went through (./changedNames.ts).
    let names: Set<string> | null = hadBaseline ? new Set() : null;
    const sources = new Set<string>();
    const moved = (p: string): void => {
      const got = names && changedNames(this.surfaces.get(p)?.entries, this.pending.of(program, resolver, p)?.entries);
      if (!got) names = null;
      else for (const n of got) names!.add(n);
    };
    for (const s of seeds) {
      const before = this.surfaces.get(s)?.hash;
      const now = current.has(s) ? this.pending.of(program, resolver, s)?.hash : undefined;
      if (before === undefined || now === undefined || before !== now) propagating.add(s);
    }
    for (const s of propagating) moved(s);

    const reexport = new Set(['export-from']);
    const importerGraphs = [importersOf(previousImports), importersOf(this.importsByFile)];
    const reexportGraphs = [importersOf(previousImports, reexport), importersOf(this.importsByFile, reexport)];

    // 2–4 from files whose surface changed
    const spread = (from: ReadonlySet<string>): void => {
      const closure = new Set(from);
      const queue = [...from];
      while (queue.length > 0) {
        const f = queue.pop()!;
        for (const g of reexportGraphs) {
          for (const p of g.get(f) ?? []) {
            if (!closure.has(p)) {
              closure.add(p);
              queue.push(p);
            }
          }
        }
      }
      for (const f of closure) {
        affected.add(f);
        sources.add(f);
        for (const g of importerGraphs) for (const p of g.get(f) ?? []) affected.add(p);
      }
      // Re-exported under another name: until no barrel adds one (chains of aliases).
      for (let grew = names !== null; grew;) {
        grew = false;
        for (const f of closure)
          for (const rows of [previousImports, this.importsByFile]) if (reexportAliases(rows.get(f), closure, names!)) grew = true;
      }
      for (const [p, targets] of this.targetsByFile) {
        for (const s of from) {
          if (targets.has(s)) {
            affected.add(p);
            break;
          }
        }
      }
    };
    spread(propagating);
    // 5. import rows changed (the same array: rows reused from the previous step, imports.ts, equal by construction)
    const importsMoved = new Set<string>();
    for (const p of current) {
      const [before, after] = [previousImports.get(p), this.importsByFile.get(p)];
      if (hadBaseline && before !== after && JSON.stringify(before ?? []) !== JSON.stringify(after ?? [])) importsMoved.add(p);
    }
    for (const p of importsMoved) affected.add(p);
    // 7. an affected file whose own surface changed too propagates, until nothing new is added
    const checked = new Set(propagating);
    for (;;) {
      const next = new Set<string>();
      for (const p of affected) {
        if (checked.has(p) || !current.has(p)) continue;
        checked.add(p);
        const before = this.surfaces.get(p)?.hash;
        const now = this.pending.of(program, resolver, p)?.hash;
        if (before === undefined || now === undefined || before !== now) next.add(p);
      }
      if (next.size === 0) break;
      for (const p of next) {
        propagating.add(p);
        moved(p);
      }
      spread(next);
    }
    // 6. global declarations
    for (const s of seeds) {
      if (wasGlobal.has(s) || this.isGlobal(program, resolver, s)) {
        for (const p of current) affected.add(p);
        names = null;
        break;
      }
    }
    for (const r of seeds) {
      if (current.has(r)) continue;
      this.targetsByFile.delete(r);
      this.globalFiles.delete(r);
      this.failures.delete(r);
      this.surfaces.delete(r);
    }

    const narrow = names as Set<string> | null;
    for (const p of narrow ? affected : []) {
      const text = this.project.file(p)?.text;
      const keep = seeds.has(p) || propagating.has(p) || importsMoved.has(p) || text === undefined || mentionsAny(text, narrow!);
      if (!keep && ![previousImports, this.importsByFile].some((rows) => importsDefaultFrom(rows.get(p), sources))) affected.delete(p);
    }
    const paths = [...affected].filter((p) => current.has(p)).sort();
    const facts = full ? restrictFacts(full, new Set(paths)) : this.extract(paths, program, resolver, onFile);
    const t2 = performance.now();
    this.lastStats = { files: current.size, extracted: paths.length, programMs, extractMs: t2 - t1, totalMs: t2 - t0 };
    return { ...facts, affectedPaths: [...affected].sort() };
  }

  dispose(): void {
    this.project.dispose();
  }

  private prepare(): { program: ts.Program; resolver: Resolver; programMs: number } {
    const t = performance.now();
    const program = this.project.program();
    const checker = program.getTypeChecker();
    if (program !== this.orderedProgram) {
      createTypesInOrder(program, checker);
      this.orderedProgram = program;
    }
    return { program, resolver: new Resolver(this.project, program, checker, this.declCache), programMs: performance.now() - t };
  }

  private isGlobal(program: ts.Program, resolver: Resolver, rel: string): boolean {
    const f = this.project.file(rel);
    if (!f || !isCodeFile(rel)) return false;
    const sf = program.getSourceFile(f.abs);
    return sf ? (resolver.declsOf(sf)?.global ?? false) : false;
  }

  private allImports(program: ts.Program): Map<string, ImportRow[]> {
    const out = new Map<string, ImportRow[]>();
    for (const rel of this.project.paths()) {
      const f = this.project.file(rel)!;
      const sf = isCodeFile(rel) ? program.getSourceFile(f.abs) : undefined;
      out.set(rel, sf ? extractImports(sf, rel, this.project) : []);
    }
    return out;
  }

  private extract(paths: readonly string[], program: ts.Program, resolver: Resolver, onFile?: FileProgress): Facts {
    const facts = emptyFacts();
    let done = 0;
    for (const rel of paths) {
      onFile?.(done++, paths.length);
      const f = this.project.file(rel);
      if (!f) continue;
      const sf = isCodeFile(rel) ? program.getSourceFile(f.abs) : undefined;
      facts.files.push(fileRow(f, sf ? program.getSyntacticDiagnostics(sf).length : 0));
      facts.imports.push(...(this.importsByFile.get(rel) ?? []));
      if (!sf) continue;
      // One file's facts are all-or-nothing, and a file the compiler API chokes on (it is tolerant,
      // but not proven total) loses only its own symbols/references/calls, never other files'.
      try {
        const decls = resolver.declsOf(sf)!;
        const symbols = symbolRows(sf, decls);
        const occ = extractOccurrences(sf, resolver);
        facts.symbols.push(...symbols);
        facts.references.push(...occ.references);
        facts.calls.push(...occ.calls);
        this.targetsByFile.set(rel, occ.targets);
        const surface = this.pending.of(program, resolver, rel);
        if (surface === undefined) this.surfaces.delete(rel);
        else this.surfaces.set(rel, surface);
        if (decls.global) this.globalFiles.add(rel);
        else this.globalFiles.delete(rel);
        this.failures.delete(rel);
      } catch (e) {
        this.failures.set(rel, e instanceof Error ? e.message : String(e));
        this.targetsByFile.delete(rel);
      }
    }
    facts.files.sort(compareFiles);
    facts.symbols.sort(compareSymbols);
    facts.references.sort(compareReferences);
    facts.calls.sort(compareCalls);
    facts.imports.sort(compareImports);
    return facts;
  }
}
