import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CodeFactExtractor } from '../../src/code/index.js';
import { readTsconfig } from '../../src/code/tsconfig.js';
import { useTempTree, type TreeFiles } from '../helpers/tempTree.js';

/**
 * The tsconfig the extractor reads (src/code/tsconfig.ts, program.ts), on real trees with real
 * tsconfig files: the root's by default, an explicit one, `extends` chains and `paths` aliases.
 */

const CODE: TreeFiles = {
  'src/main.ts': "import { one } from '@lib/one';\nimport { two } from './two';\nexport const three = one + two;\n",
  'src/two.ts': 'export const two = 2;\n',
  'src/lib/one.ts': 'export const one = 1;\n',
};
const PATHS = { '@lib/*': ['./src/lib/*'] };
const bundler = (extra: object = {}) => JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler', ...extra } });

function importsOf(root: string, tsconfig?: string | null): string[] {
  const ex = new CodeFactExtractor(root, tsconfig);
  try {
    const files = Object.keys(CODE).sort();
    return ex
      .extractAll(files)
      .imports.map((i) => `${i.path} ${i.module} → ${i.resolved_path ?? 'unresolved'}`)
      .sort();
  } finally {
    ex.dispose();
  }
}

const RESOLVED = ['src/main.ts ./two → src/two.ts', 'src/main.ts @lib/one → src/lib/one.ts'];

describe('tsconfig of a code base', () => {
  it("default: the root's tsconfig.json, whose paths alias resolves", () => {
    const t = useTempTree({ ...CODE, 'tsconfig.json': bundler({ paths: PATHS }) }, { prefix: 'relspec-tsconfig-' });
    expect(importsOf(t.root)).toEqual(RESOLVED);
    // Without it (null: TypeScript's defaults) the alias does not resolve.
    expect(importsOf(t.root, null)).toEqual(['src/main.ts ./two → src/two.ts', 'src/main.ts @lib/one → unresolved']);
  });

  it('explicit: another file is read instead of the root tsconfig.json', () => {
    const t = useTempTree(
      { ...CODE, 'tsconfig.json': bundler(), 'config/tsconfig.build.json': bundler({ paths: { '@lib/*': ['../src/lib/*'] } }) },
      { prefix: 'relspec-tsconfig-' },
    );
    expect(importsOf(t.root)).toEqual(['src/main.ts ./two → src/two.ts', 'src/main.ts @lib/one → unresolved']);
    expect(importsOf(t.root, t.path('config/tsconfig.build.json'))).toEqual(RESOLVED);
  });

  it('extends: options come down a chain of files, paths relative to the file that sets them', () => {
    const t = useTempTree(
      {
        ...CODE,
        'tsconfig.json': JSON.stringify({ extends: './config/tsconfig.base.json', compilerOptions: { strict: true } }),
        'config/tsconfig.base.json': JSON.stringify({ extends: './tsconfig.paths.json', compilerOptions: { module: 'ESNext' } }),
        // Comments and trailing commas, as tsc accepts them.
        'config/tsconfig.paths.json': `{\n  // the alias\n  "compilerOptions": { "moduleResolution": "Bundler", "paths": { "@lib/*": ["../src/lib/*"] }, },\n}\n`,
      },
      { prefix: 'relspec-tsconfig-' },
    );
    expect(importsOf(t.root)).toEqual(RESOLVED);
  });
});

describe('readTsconfig: what makes a tsconfig unusable', () => {
  it('empty, not JSON, not an object, a missing extends: a reason naming the file at fault', () => {
    const t = useTempTree(
      {
        'empty.json': ' \n',
        'broken.json': '{ "compilerOptions": { "module": }\n',
        'array.json': '[]',
        'ext.json': JSON.stringify({ extends: './nope.json' }),
        'extBroken.json': JSON.stringify({ extends: './broken.json' }),
        'unknownOption.json': JSON.stringify({ compilerOptions: { someFutureOption: true, module: 'ESNext' } }),
      },
      { prefix: 'relspec-tsconfig-' },
    );
    const read = (f: string) => readTsconfig(t.path(f));
    expect(read('empty.json')).toEqual({ ok: false, file: t.path('empty.json'), reason: 'is empty' });
    expect(read('broken.json')).toMatchObject({
      ok: false,
      file: t.path('broken.json'),
      reason: expect.stringMatching(/^does not parse at line 1, column \d+: .*expected/),
    });
    expect(read('array.json')).toMatchObject({ ok: false, reason: expect.stringContaining('must be an object') });
    const ext = read('ext.json');
    expect(ext.ok).toBe(false);
    expect(!ext.ok && ext.reason).toContain('nope.json');
    const extBroken = read('extBroken.json');
    expect(extBroken).toMatchObject({ ok: false, file: t.path('broken.json') });
    for (const r of [ext, extBroken]) expect(!r.ok && r.reason).not.toContain('\n');
    // An option this TypeScript does not know is not a reason to fail: it cannot change resolution.
    expect(read('unknownOption.json')).toMatchObject({ ok: true });
    expect(path.isAbsolute(t.path('empty.json'))).toBe(true);
  });

  it('an unusable tsconfig makes the extractor throw instead of falling back to the defaults', () => {
    const t = useTempTree({ ...CODE, 'tsconfig.json': '' }, { prefix: 'relspec-tsconfig-' });
    expect(() => new CodeFactExtractor(t.root)).toThrow(/tsconfig\.json is empty/);
  });
});
