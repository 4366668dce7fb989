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

  it('only the watcher imports chokidar', () => {
    const users = files.filter((f) => /from 'chokidar'/.test(readFileSync(f, 'utf8'))).map(rel);
    expect(users).toEqual(['daemon/watcher.ts']);
  });
});
