/**
 * The compiler side of the extractor: one `ts.LanguageService` per code base root, whose host serves
 * the code base from an in-memory cache keyed by content hash. Re-asking for the program after an
 * edit reuses every unchanged `SourceFile` (parse and bind results included), so an incremental
 * extraction only pays for the files it re-reads and the checker work its queries trigger.
 */
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from './typescript.cjs';
import type { FileRow, ImportRow, Language } from './types.js';
import type { ImportSpec } from './imports.js';
import { statFileSync } from '../util/fileStat.js';
import { readTsconfig } from './tsconfig.js';

const LANGUAGES: Record<string, Language> = {
  '.ts': 'typescript',
  '.tsx': 'typescript',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.js': 'javascript',
  '.jsx': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.json': 'json',
};

export function languageOf(relPath: string): Language {
  return LANGUAGES[path.extname(relPath).toLowerCase()] ?? 'other';
}

/** Files the compiler reads as code (everything else gets a `files` row only). */
export function isCodeFile(relPath: string): boolean {
  const lang = languageOf(relPath);
  return lang === 'typescript' || lang === 'javascript';
}

/** `./a\\b.ts` → `a/b.ts`. */
export function normalizeRel(p: string): string {
  let s = p.replace(/\\/g, '/');
  while (s.startsWith('./')) s = s.slice(2);
  return path.posix.normalize(s);
}

export function countLines(text: string): number {
  if (text.length === 0) return 0;
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n : n + 1;
}

export interface FileState {
  rel: string;
  abs: string;
  mtimeMs: number;
  size: number;
  /** Stat signature when read (fileStat.ts): `cp -p` keeps size and mtime, never ctime. */
  signature: string;
  sha: string;
  /** Decoded text, BOM stripped (what the compiler sees; columns are counted in it). */
  text: string;
  lines: number;
  snapshot: ts.IScriptSnapshot;
}

export function fileRow(f: FileState, syntaxErrors = 0): FileRow {
  return { path: f.rel, language: languageOf(f.rel), size: f.size, sha: f.sha, lines: f.lines, syntax_errors: syntaxErrors };
}

/**
 * Compiler options: those of `tsconfig` (an absolute path; `null`: none, TypeScript's defaults;
 * undefined: the root's tsconfig.json when there is one), with the settings extraction needs forced
 * on. A tsconfig that cannot be used throws: callers that report it (sources/code/tsconfig.ts) check first.
 */
export function loadCompilerOptions(root: string, tsconfig?: string | null): ts.CompilerOptions {
  let file = tsconfig;
  if (file === undefined) {
    const at = path.join(root, 'tsconfig.json');
    file = isFile(at) ? at : null;
  }
  let options: ts.CompilerOptions = {};
  if (file !== null) {
    const read = readTsconfig(file);
    if (!read.ok) throw new Error(`${read.file} ${read.reason}`);
    options = read.options;
  }
  if (options.module === undefined && options.moduleResolution === undefined) {
    options.module = ts.ModuleKind.NodeNext;
    options.moduleResolution = ts.ModuleResolutionKind.NodeNext;
  }
  options.target ??= ts.ScriptTarget.ES2022;
  options.jsx ??= ts.JsxEmit.Preserve;
  options.allowJs = true;
  options.checkJs = false;
  options.noEmit = true;
  options.skipLibCheck = true;
  // Output layout settings only matter for emit; some of them produce errors for files outside rootDir.
  for (const k of [
    'outDir',
    'outFile',
    'rootDir',
    'declaration',
    'declarationMap',
    'declarationDir',
    'sourceMap',
    'composite',
    'incremental',
    'tsBuildInfoFile',
    'emitDeclarationOnly',
  ] as const) {
    delete options[k];
  }
  return options;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export interface RefreshResult {
  /** Files whose content hash differs from the cached one (or that are new). */
  contentChanged: Set<string>;
  added: Set<string>;
  removed: Set<string>;
}

/**
 * The code base as the compiler sees it, plus the per-file content cache. `refresh` makes the cache
 * match the disk for a set of files; `program()` returns the current program (reused when nothing
 * changed).
 */
export class CodeProject {
  readonly root: string;
  readonly options: ts.CompilerOptions;
  private readonly files = new Map<string, FileState>();
  /** Relative paths of the code base, sorted. */
  private order: string[] = [];
  private readonly byAbs = new Map<string, string>();
  private projectVersion = 0;
  private readonly external = new Map<string, ts.IScriptSnapshot | undefined>();
  private resolutionCache: ts.ModuleResolutionCache;
  private readonly service: ts.LanguageService;
  private readonly canonical: (f: string) => string;
  /** Each file's module specifiers before resolution (imports.ts), while its SourceFile lives. */
  readonly importSpecs = new WeakMap<ts.SourceFile, ImportSpec[]>();
  /**
   * Each file's resolved import rows and the resolution epoch they were resolved in (imports.ts):
   * while neither the SourceFile nor the set of files changed, resolution gives the same rows.
   */
  readonly importRows = new WeakMap<ts.SourceFile, { epoch: number; rows: ImportRow[] }>();
  /** Moves whenever resolutions may change (files added or removed: a new resolution cache). */
  resolutionEpoch = 0;

  /** `tsconfig`: see loadCompilerOptions (absolute path, `null` for none, undefined for the root's). */
  constructor(root: string, tsconfig?: string | null) {
    this.root = realpathSync(path.resolve(root));
    this.options = loadCompilerOptions(this.root, tsconfig);
    this.canonical = ts.sys.useCaseSensitiveFileNames ? (f) => f : (f) => f.toLowerCase();
    this.resolutionCache = ts.createModuleResolutionCache(this.root, this.canonical, this.options);
    const host: ts.LanguageServiceHost = {
      getProjectVersion: () => String(this.projectVersion),
      getScriptFileNames: () => this.order.filter(isCodeFile).map((r) => this.files.get(r)!.abs),
      getScriptVersion: (f) => {
        const rel = this.byAbs.get(f);
        return rel === undefined ? '0' : this.files.get(rel)!.sha;
      },
      getScriptSnapshot: (f) => {
        const rel = this.byAbs.get(f);
        if (rel !== undefined) return this.files.get(rel)!.snapshot;
        if (!this.external.has(f)) {
          const text = ts.sys.readFile(f);
          this.external.set(f, text === undefined ? undefined : ts.ScriptSnapshot.fromString(text));
        }
        return this.external.get(f);
      },
      getCurrentDirectory: () => this.root,
      getCompilationSettings: () => this.options,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: (f) => this.byAbs.has(f) || ts.sys.fileExists(f),
      readFile: (f, enc) => {
        const rel = this.byAbs.get(f);
        return rel !== undefined ? this.files.get(rel)!.text : ts.sys.readFile(f, enc);
      },
      directoryExists: (d) => ts.sys.directoryExists(d),
      getDirectories: (d) => ts.sys.getDirectories(d),
      realpath: (p) => (ts.sys.realpath ? ts.sys.realpath(p) : p),
      useCaseSensitiveFileNames: () => ts.sys.useCaseSensitiveFileNames,
      resolveModuleNameLiterals: (literals, containingFile, _redirect, options, containingSourceFile) =>
        literals.map((lit) => this.resolveWith(lit.text, containingFile, ts.getModeForUsageLocation(containingSourceFile, lit, options))),
    };
    this.service = ts.createLanguageService(host, ts.createDocumentRegistry(ts.sys.useCaseSensitiveFileNames, this.root));
  }

  private resolveWith(specifier: string, containingFile: string, mode: ts.ResolutionMode): ts.ResolvedModuleWithFailedLookupLocations {
    return ts.resolveModuleName(specifier, containingFile, this.options, ts.sys, this.resolutionCache, undefined, mode);
  }

  /**
   * Makes the cache match the disk for `files` (relative paths); files cached before and not listed
   * now are dropped. A file is re-read when it is listed in `force`, new, or its stat signature moved;
   * it counts as changed only when its hash differs.
   */
  refresh(files: readonly string[], force: ReadonlySet<string> = new Set()): RefreshResult {
    const wanted = new Set(files.map(normalizeRel));
    const contentChanged = new Set<string>();
    const added = new Set<string>();
    const removed = new Set<string>();
    for (const rel of [...this.files.keys()]) {
      if (!wanted.has(rel)) removed.add(rel);
    }
    for (const rel of wanted) {
      const abs = path.join(this.root, rel);
      const prev = this.files.get(rel);
      let st: ReturnType<typeof statFileSync>;
      try {
        st = statFileSync(abs);
        if (!st.isFile) throw new Error('not a file');
      } catch {
        if (prev) removed.add(rel);
        continue;
      }
      if (prev && !force.has(rel) && prev.signature === st.signature) continue;
      let bytes: Buffer;
      try {
        bytes = readFileSync(abs);
      } catch {
        if (prev) removed.add(rel);
        continue;
      }
      const sha = sha256(bytes);
      if (prev && prev.sha === sha) {
        prev.mtimeMs = st.mtimeMs;
        prev.signature = st.signature;
        continue;
      }
      let text = bytes.toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      const tsAbs = abs.split(path.sep).join('/');
      this.files.set(rel, {
        rel,
        abs: tsAbs,
        mtimeMs: st.mtimeMs,
        size: bytes.length,
        signature: st.signature,
        sha,
        text,
        lines: countLines(text),
        snapshot: ts.ScriptSnapshot.fromString(text),
      });
      this.byAbs.set(tsAbs, rel);
      contentChanged.add(rel);
      if (!prev) added.add(rel);
    }
    for (const rel of removed) {
      const f = this.files.get(rel);
      if (f) this.byAbs.delete(f.abs);
      this.files.delete(rel);
    }
    if (contentChanged.size > 0 || removed.size > 0) {
      this.projectVersion++;
      this.order = [...this.files.keys()].sort();
    }
    if (added.size > 0 || removed.size > 0) {
      // Negative resolutions may now succeed, positive ones fail.
      this.resolutionCache = ts.createModuleResolutionCache(this.root, this.canonical, this.options);
      this.resolutionEpoch++;
    }
    return { contentChanged, added, removed };
  }

  /** The code base, sorted relative paths. */
  paths(): readonly string[] {
    return this.order;
  }

  file(rel: string): FileState | undefined {
    return this.files.get(rel);
  }

  /** The code base path of a compiler file name, or undefined when the file is not part of it. */
  relOf(fileName: string): string | undefined {
    return this.byAbs.get(fileName);
  }

  program(): ts.Program {
    const program = this.service.getProgram();
    if (!program) throw new Error('code facts: the TypeScript language service produced no program');
    return program;
  }

  /** Resolves a specifier the way the program does (same options, cache and mode rules). */
  resolve(specifier: string, sf: ts.SourceFile, usage: ts.StringLiteralLike | undefined, mode?: ts.ResolutionMode): string | undefined {
    const m = mode ?? (usage ? ts.getModeForUsageLocation(sf, usage, this.options) : undefined);
    return this.resolveWith(specifier, sf.fileName, m).resolvedModule?.resolvedFileName;
  }

  dispose(): void {
    this.service.dispose();
  }
}
