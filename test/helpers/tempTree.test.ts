import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createTempTree, useTempTree, type TempTree } from './tempTree.js';

/** The temp-tree helper itself: the tree it writes, its edits, and when it is deleted. */
describe('createTempTree', () => {
  const shared = createTempTree({ 'a.txt': 'A', 'sub/dir/b.bin': new Uint8Array([0, 1, 2]) }, { prefix: 'relspec-tree-self-' });
  afterAll(() => shared.dispose());

  it('writes the tree from an object, nested directories included, under the prefix', () => {
    expect(path.dirname(shared.root)).toBe(path.resolve(tmpdir()));
    expect(path.basename(shared.root)).toMatch(/^relspec-tree-self-/);
    expect(shared.read('a.txt')).toBe('A');
    expect([...readFileSync(shared.path('sub/dir/b.bin'))]).toEqual([0, 1, 2]);
    expect(shared.path()).toBe(shared.root);
  });

  it('edits, renames into new directories, removes, and disposes idempotently', () => {
    const t = createTempTree({ 'x.csv': 'k\n1\n' });
    expect(t.edit('x.csv', (s) => s + '2\n')).toBe(t.path('x.csv'));
    expect(t.read('x.csv')).toBe('k\n1\n2\n');
    t.rename('x.csv', 'moved/y.csv');
    expect(existsSync(t.path('x.csv'))).toBe(false);
    expect(t.read('moved/y.csv')).toBe('k\n1\n2\n');
    t.remove('moved');
    t.remove('never-there');
    expect(existsSync(t.path('moved'))).toBe(false);
    expect(existsSync(t.mkdir('e/f'))).toBe(true);
    t.dispose();
    t.dispose();
    expect(existsSync(t.root)).toBe(false);
  });
});

describe('useTempTree', () => {
  let fromHook: TempTree;
  const seen: string[] = [];
  beforeEach(() => {
    fromHook = useTempTree({ 'h.txt': 'hook' });
  });

  it('keeps the tree while the test runs (registered in a beforeEach)', () => {
    const own = useTempTree({ 'o.txt': 'own' });
    seen.push(fromHook.root, own.root);
    expect(fromHook.read('h.txt')).toBe('hook');
    expect(own.read('o.txt')).toBe('own');
  });

  it('deleted both trees of the previous test once it finished', () => {
    expect(seen).toHaveLength(2);
    for (const d of seen) expect(existsSync(d), d).toBe(false);
    expect(existsSync(fromHook.root)).toBe(true);
  });
});
