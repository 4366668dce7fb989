import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileSourceTarget } from '../../src/daemon/targets.js';
import { createTempTree } from '../helpers/tempTree.js';

/**
 * The watch target of a file source in a project whose directory holds glob characters: the part of
 * the glob above the config's directory is a name (src/sources/globParts.ts), so the daemon watches
 * that directory and matches its files — not `proj 1 é`, and not nothing.
 */
const tree = createTempTree({}, { prefix: 'relspec-targets-' });
const base = tree.root;
afterAll(() => tree.dispose());

describe('file source targets in `proj [1] é`', () => {
  const root = path.join(base, 'proj [1] é');
  it('watches the literal directory and matches the glob below it', () => {
    const t = fileSourceTarget('src', path.join(root, 'data/*.csv'), root);
    expect(t.root).toBe(path.join(root, 'data'));
    expect(t.maxDepth).toBe(0);
    expect(t.match(path.join(root, 'data/a[1].csv'))).toBe(true);
    expect(t.match(path.join(root, 'data/日本.csv'))).toBe(true);
    expect(t.match(path.join(root, 'data/sub/x.csv'))).toBe(false);
    expect(t.match(path.join(base, 'proj 1 é/data/a.csv'))).toBe(false);
  });

  it('a path naming an existing file with brackets is that file', () => {
    tree.write('proj [1] é/data/a[1].csv', 'k\n1\n');
    const t = fileSourceTarget('one', path.join(root, 'data/a[1].csv'), root);
    expect(t.root).toBe(path.join(root, 'data'));
    expect(t.match(path.join(root, 'data/a[1].csv'))).toBe(true);
    expect(t.match(path.join(root, 'data/a1.csv'))).toBe(false);
  });

  it('`**` reaches any depth below the literal base', () => {
    const t = fileSourceTarget('deep', path.join(root, 'lake/**/*.parquet'), root);
    expect(t.root).toBe(path.join(root, 'lake'));
    expect(t.maxDepth).toBe(Infinity);
    expect(t.match(path.join(root, 'lake/x/y/p[0] é.parquet'))).toBe(true);
  });
});
