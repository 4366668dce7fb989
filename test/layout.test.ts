import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/project.js';

/**
 * The layering rules of docs/ARCHITECTURE.md, checked on the source: which folder may import which,
 * and the size limit. A rule broken here is a design change to discuss, not a test to relax.
 */

const SRC = path.join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Every relative import of a file, as a path relative to src/ (`delta/util.ts`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)) {
    const spec = m[1] ?? m[2]!;
    out.push(path.relative(SRC, path.resolve(path.dirname(file), spec)).replace(/\.js$/, '.ts'));
  }
  return out;
}

const files = sourceFiles(SRC);
const rel = (f: string) => path.relative(SRC, f);
const within = (folder: string) => files.filter((f) => rel(f).startsWith(`${folder}/`));

/** Imports from files under `folder` that leave it for anything but the allowed places. */
function leaving(folder: string, allowed: (target: string) => boolean): string[] {
  return within(folder).flatMap((f) =>
    importsOf(f)
      .filter((t) => !t.startsWith(`${folder}/`) && !allowed(t))
      .map((t) => `${rel(f)} → ${t}`),
  );
}

const leaf = (t: string) => t.startsWith('util/') || t === 'errors.ts';

/**
 * Module-level collections (`const X = new Map|Set|WeakMap|WeakSet`) that the module mutates
 * (`X.set/add/clear/delete`): process-wide state no caller owns. A cache belongs to an owner that
 * passes it down (docs/ARCHITECTURE.md); a constant lookup set is never mutated and passes.
 */
function mutatedModuleCollections(text: string): string[] {
  const names = [...text.matchAll(/^(?:export\s+)?(?:const|let)\s+([A-Za-z_$][\w$]*)\b[^=\n]*=\s*new\s+(?:Weak)?(?:Map|Set)\b/gm)].map(
    (m) => m[1]!,
  );
  return names.filter((n) => new RegExp(`(?<![\\w.$])${n.replace(/\$/g, '\\$')}\\.(?:set|add|clear|delete)\\(`).test(text));
}

/** `file: name` of module-level collections filled once at load and constant afterwards (none today). */
const CONSTANT_LOOKUPS: readonly string[] = [];

describe('layout', () => {
  it('finds the source tree', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(importsOf(path.join(SRC, 'delta/write/index.ts')).length).toBeGreaterThan(3);
  });

  it('no file in src/ is over 400 lines', () => {
    const long = files.map((f) => ({ f: rel(f), n: readFileSync(f, 'utf8').split('\n').length })).filter((x) => x.n > 400);
    expect(long).toEqual([]);
  });

  it('the Delta library and the code extractor stand alone: they import only src/util and errors.ts', () => {
    expect(leaving('delta', leaf)).toEqual([]);
    expect(leaving('code', leaf)).toEqual([]);
  });

  it('src/util is a leaf', () => {
    expect(leaving('util', (t) => t === 'errors.ts')).toEqual([]);
  });

  it('state does not import incremental, engine, daemon or cli (records flow down, not up)', () => {
    expect(leaving('state', (t) => !/^(incremental|daemon|cli|engine)\//.test(t))).toEqual([]);
  });

  it('nothing below the shells imports cli/ or daemon/', () => {
    const below = [
      'catalog',
      'config',
      'delta',
      'code',
      'sources',
      'lineage',
      'graph',
      'incremental',
      'engine',
      'state',
      'project',
      'util',
    ];
    for (const folder of below)
      expect(
        leaving(folder, (t) => !/^(cli|daemon)\//.test(t)),
        folder,
      ).toEqual([]);
  });

  it('no module-level mutable state: no module-level Map, Set or WeakMap is mutated', () => {
    // The scan itself: it flags a mutated one (also typed, exported or a let), not a constant or a shadowed local.
    const sample = [
      'const cache = new Map<string, number[]>();',
      'export let seen = new WeakMap<object, string>();',
      'const KNOWN = new Set([1, 2]);',
      'const other = new Set();',
      'function f(o: { other: Set<number> }) { cache.set("a", []); seen.delete(o); o.other.add(1); return KNOWN.has(1); }',
    ].join('\n');
    expect(mutatedModuleCollections(sample)).toEqual(['cache', 'seen']);
    const found = files.flatMap((f) => mutatedModuleCollections(readFileSync(f, 'utf8')).map((n) => `${rel(f)}: ${n}`));
    expect(found.filter((x) => !CONSTANT_LOOKUPS.includes(x))).toEqual([]);
  });

  it('only the watcher imports chokidar', () => {
    const users = files.filter((f) => /from 'chokidar'/.test(readFileSync(f, 'utf8'))).map(rel);
    expect(users).toEqual(['daemon/watcher.ts']);
  });
});
