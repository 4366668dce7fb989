import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** The real code base of ../shared (vitest's packages/*\/src, 464 files); tests skip where it is absent. */
export const CORPUS = path.resolve(import.meta.dirname, '../../../shared/code-corpus/vitest');
export const corpusPresent = existsSync(path.join(CORPUS, 'packages'));

/** `packages/*\/src/**\/*.ts` outside `.d.ts` (what the corpus README counts), sorted. */
export function corpusFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(path.relative(root, p).split(path.sep).join('/'));
    }
  };
  for (const pkg of readdirSync(path.join(root, 'packages'))) {
    const src = path.join(root, 'packages', pkg, 'src');
    if (existsSync(src)) walk(src);
  }
  return out.sort();
}

/** A slice of the corpus for npm test: six packages (~90 files) that import each other. */
const SLICE = ['utils', 'spy', 'pretty-format', 'expect', 'snapshot', 'mocker'].map((p) => `packages/${p}/src/`);
export const corpusSlice = (root: string): string[] => corpusFiles(root).filter((f) => SLICE.some((p) => f.startsWith(p)));
