import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ManifestCache, emptyManifest, manifestPath, readManifest, writeManifest } from '../../../src/sources/code/manifest.js';
import { useTempTree } from '../../helpers/tempTree.js';

/**
 * The manifest cache a watch step reads instead of parsing manifest.json (src/sources/code/manifest.ts):
 * it serves a manifest only while the file is still the write it recorded, and a taken manifest is
 * gone until written back. Real files.
 */
describe('ManifestCache', () => {
  const manifest = (sha: string) => {
    const m = emptyManifest('id');
    m.files['a.ts'] = { size: 1, mtimeMs: 1, sha, facts: {}, imports: [], targets: [], global: false };
    return m;
  };

  it('serves the last write without reading the file, and the disk once another writer replaced it', () => {
    const t = useTempTree({ prefix: 'relspec-manifest-cache-' });
    const dir = t.path('code');
    const cache = new ManifestCache();
    const m = manifest('one');
    writeManifest(dir, m, cache);
    // the same object: nothing parsed
    expect(readManifest(dir, 'id', { from: cache, take: false })).toBe(m);
    expect(readManifest(dir, 'other identity', { from: cache, take: false })).toBeUndefined();
    // another writer (same size, same inode: only mtime and ctime move): the file wins
    const other = manifest('two');
    writeFileSync(manifestPath(dir), JSON.stringify(other));
    const read = readManifest(dir, 'id', { from: cache, take: false });
    expect(read).not.toBe(m);
    expect(read?.files['a.ts']?.sha).toBe('two');
  });

  it('a taken manifest is not served again until written back (a failed step cannot leave a mutated copy)', () => {
    const t = useTempTree({ prefix: 'relspec-manifest-cache-' });
    const dir = t.path('code');
    const cache = new ManifestCache();
    const m = manifest('one');
    writeManifest(dir, m, cache);
    const taken = readManifest(dir, 'id', { from: cache, take: true })!;
    expect(taken).toBe(m);
    taken.files['a.ts']!.sha = 'mutated, never written';
    const again = readManifest(dir, 'id', { from: cache, take: true });
    expect(again).not.toBe(m);
    expect(again?.files['a.ts']?.sha).toBe('one');
    writeManifest(dir, again!, cache);
    expect(readManifest(dir, 'id', { from: cache, take: false })).toBe(again);
  });
});
