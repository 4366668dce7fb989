/**
 * The CPG's references against @sourcegraph/scip-typescript, a precise indexer, joined on reference
 * site (path, line, column of the name). Used by test/code/corpus.test.ts and the bench (bench/scip.ts).
 *
 * - A SCIP reference site is *in the code base* when its symbol has a definition occurrence in the
 *   index (its own files; `local N` symbols are per document). Sites of definitions are not counted.
 * - Same declaration: one of our rows at the site names a symbol whose declaration span holds one of
 *   the SCIP symbol's definition ranges, and whose name is the text of that range (a module: the
 *   file's `module` symbol).
 * - Shorthand properties (`{ a }`) of a literal with no contextual property: SCIP gives the site two
 *   symbols (the literal's property and the value); both answers are defensible, so those sites are
 *   counted apart. (With a contextual property SCIP gives that property alone; the CPG has a row for
 *   it and one for the value, so the site counts as usual.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Facts, ReferenceRow, SymbolRow } from '../../src/code/index.js';

interface ScipOccurrence {
  range: number[];
  symbol: string;
  symbol_roles: number;
}
interface ScipModule {
  scip: {
    Index: {
      deserializeBinary(b: Uint8Array): { documents: { relative_path: string; occurrences: ScipOccurrence[] }[] };
    };
  };
}

const DEFINITION = 1; // scip.SymbolRole.Definition
const require = createRequire(import.meta.url);

const scipArgs = (out: string) => [
  require.resolve('@sourcegraph/scip-typescript/dist/src/main.js'),
  'index',
  '--output',
  out,
  '--no-progress-bar',
];

/** Runs scip-typescript over `root` (its tsconfig.json) into `out`; ~20 s on the vitest corpus. */
export function runScipTypescript(root: string, out: string): void {
  const r = spawnSync(process.execPath, scipArgs(out), { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scip-typescript failed (${r.status}): ${r.stderr}`);
}

/** runScipTypescript in the background: the caller extracts while it indexes, and awaits the index. */
export function startScipTypescript(root: string, out: string): Promise<void> {
  const p = spawn(process.execPath, scipArgs(out), { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  return new Promise((resolve, reject) => {
    p.on('error', reject);
    p.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`scip-typescript failed (${code ?? signal}): ${err}`))));
  });
}

export interface ScipComparison {
  /** SCIP's in-code-base reference sites (shorthand sites excluded). */
  scipSites: number;
  /** Of those, sites where we have a reference too. */
  shared: number;
  /** Shared sites where our reference points at the same declaration. */
  same: number;
  /** Shared sites where our reference is unresolved. */
  unresolved: number;
  shorthand: { sites: number; shared: number; same: number };
  /** Missed sites by what SCIP's symbol is: a module (an import's specifier), a member (`X#y`), other. */
  missedBy: { module: number; member: number; other: number };
  /** A few disagreements, for reading: `path:line:col name → ours | scip`. */
  samples: { missed: string[]; different: string[] };
}

interface Pos {
  path: string;
  line: number;
  col: number;
  text: string;
}

export function compareWithScip(root: string, scipFile: string, facts: Facts): ScipComparison {
  const { scip } = require('@sourcegraph/scip-typescript/dist/src/scip.js') as ScipModule;
  const index = scip.Index.deserializeBinary(readFileSync(scipFile));
  const lines = new Map<string, string[]>();
  const textAt = (p: string, r: number[]): string => {
    let ls = lines.get(p);
    if (!ls) lines.set(p, (ls = readFileSync(path.join(root, p), 'utf8').split('\n')));
    const [line, start, a, b] = r as [number, number, number, number?];
    return b === undefined ? (ls[line] ?? '').slice(start, a) : (ls[line] ?? '').slice(start); // multi-line: not a name
  };
  const key = (doc: string, sym: string) => (sym.startsWith('local ') ? `${doc} ${sym}` : sym);

  const defs = new Map<string, Pos[]>();
  for (const d of index.documents)
    for (const o of d.occurrences)
      if (o.symbol_roles & DEFINITION) {
        const k = key(d.relative_path, o.symbol);
        const list = defs.get(k) ?? [];
        list.push({ path: d.relative_path, line: o.range[0]! + 1, col: o.range[1]! + 1, text: textAt(d.relative_path, o.range) });
        defs.set(k, list);
      }
  const sites = new Map<string, Set<string>>();
  for (const d of index.documents)
    for (const o of d.occurrences) {
      if (o.symbol_roles & DEFINITION) continue;
      const k = key(d.relative_path, o.symbol);
      if (!defs.has(k)) continue;
      const site = `${d.relative_path}:${o.range[0]! + 1}:${o.range[1]! + 1}`;
      const set = sites.get(site) ?? new Set<string>();
      set.add(k);
      sites.set(site, set);
    }

  const ours = new Map<string, ReferenceRow[]>();
  for (const r of facts.references) {
    const site = `${r.path}:${r.start_line}:${r.start_col}`;
    const list = ours.get(site) ?? [];
    list.push(r);
    ours.set(site, list);
  }
  const symbols = new Map<string, SymbolRow>(facts.symbols.map((s) => [s.id, s]));
  const holds = (s: SymbolRow, p: Pos): boolean => {
    if (s.path !== p.path) return false;
    if (s.kind === 'module') return p.line === 1 && p.col === 1 && p.text === '';
    const after = p.line > s.start_line || (p.line === s.start_line && p.col >= s.start_col);
    const before = p.line < s.end_line || (p.line === s.end_line && p.col < s.end_col);
    return after && before && p.text === s.name;
  };
  const agrees = (rows: ReferenceRow[], scipSyms: Set<string>): boolean =>
    rows.some((r) => {
      const s = r.symbol === null ? undefined : symbols.get(r.symbol);
      return s !== undefined && [...scipSyms].some((k) => defs.get(k)!.some((p) => holds(s, p)));
    });

  const c: ScipComparison = {
    scipSites: 0,
    shared: 0,
    same: 0,
    unresolved: 0,
    shorthand: { sites: 0, shared: 0, same: 0 },
    missedBy: { module: 0, member: 0, other: 0 },
    samples: { missed: [], different: [] },
  };
  for (const [site, syms] of [...sites].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const rows = ours.get(site);
    if (syms.size > 1) {
      c.shorthand.sites++;
      if (rows) c.shorthand.shared++;
      if (rows && agrees(rows, syms)) c.shorthand.same++;
      continue;
    }
    c.scipSites++;
    const scipSym = [...syms][0]!;
    if (!rows) {
      c.missedBy[scipSym.endsWith('/') ? 'module' : /[#.]$/.test(scipSym) && scipSym.includes('#') ? 'member' : 'other']++;
      if (c.samples.missed.length < 20) c.samples.missed.push(`${site} ${defs.get(scipSym)![0]!.text} → | ${scipSym}`);
      continue;
    }
    c.shared++;
    if (rows.every((r) => r.symbol === null)) c.unresolved++;
    else if (agrees(rows, syms)) c.same++;
    else if (c.samples.different.length < 20)
      c.samples.different.push(`${site} ${rows[0]!.name} → ${rows.map((r) => r.symbol).join(',')} | ${scipSym}`);
  }
  return c;
}

/** The figures the issue names, in percent. */
export function scipFigures(c: ScipComparison): { samePct: number; unresolvedPct: number; recallPct: number } {
  return {
    samePct: (100 * c.same) / c.shared,
    unresolvedPct: (100 * c.unresolved) / c.shared,
    recallPct: (100 * c.shared) / c.scipSites,
  };
}
