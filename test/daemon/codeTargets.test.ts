import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResolvedConfig } from '../../src/config/types.js';
import { globalIgnore, targetIgnored, watchTargets } from '../../src/daemon/targets.js';

/** A code source is watched like a file glob; its own Delta tables (under the state dir) never are. */
describe('watch targets of a code source', () => {
  const root = '/proj';
  const c: ResolvedConfig = {
    configFile: path.join(root, 'watch.config.ts'),
    root,
    sources: { code: { name: 'code', format: 'code', path: '/proj/**/*.ts', options: {} } },
    tasksDir: path.join(root, 'tasks'),
    stateDir: path.join(root, 'state'),
    keepRuns: 100,
    outputsDir: path.join(root, 'state/outputs'),
    engine: {},
    watch: { debounceMs: 100, ignore: [] },
  };
  const t = watchTargets(c).find((x) => x.source === 'code')!;
  const ignored = targetIgnored(t, globalIgnore(c));

  it('watches the glob base at any depth for matching files', () => {
    expect([t.kind, t.root, t.maxDepth]).toEqual(['source', '/proj', Infinity]);
    expect(t.match('/proj/src/a/b.ts')).toBe(true);
    expect(t.match('/proj/src/a/b.js')).toBe(false);
  });

  it("ignores relspec's state (the code tables live in state/code), node_modules and editor temp files", () => {
    expect(ignored('/proj/src/x.ts', { isFile: () => true, isDirectory: () => false } as never)).toBe(false);
    expect(ignored('/proj/state/code/code/symbols', { isFile: () => false, isDirectory: () => true } as never)).toBe(true);
    expect(ignored('/proj/state/code/code/manifest.json.123.tmp')).toBe(true);
    expect(ignored('/proj/node_modules/x/index.ts', { isFile: () => true, isDirectory: () => false } as never)).toBe(true);
    expect(ignored('/proj/src/.x.ts.swp', { isFile: () => true, isDirectory: () => false } as never)).toBe(true);
  });
});
