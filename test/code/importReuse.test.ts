import { afterAll, describe, expect, it } from 'vitest';
import { CodeFactExtractor } from '../../src/code/index.js';
import { createTempTree } from '../helpers/tempTree.js';

/**
 * Import rows are resolved once per file text and kept while no file is added or removed
 * (src/code/imports.ts): a step must still see an import that now resolves to a new file, and one
 * that no longer resolves once its target is gone — each equal to a cold extraction of the tree.
 */
const tree = createTempTree(
  {
    'tsconfig.json':
      '{ "compilerOptions": { "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true }, "include": ["nothing/*.ts"] }',
    'src/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
    'src/c.ts': "import { a } from './a.js';\nexport const c = a();\n",
  },
  { prefix: 'relspec-code-imports-' },
);
const ex = new CodeFactExtractor(tree.root);
afterAll(() => {
  ex.dispose();
  tree.dispose();
});

const cold = (files: string[]) => {
  const fresh = new CodeFactExtractor(tree.root);
  try {
    return fresh.extractAll(files).imports;
  } finally {
    fresh.dispose();
  }
};

describe('import rows reused across steps', () => {
  it('follow files added and removed, and equal a cold extraction after each step', () => {
    const first = ex.extractAll(['src/a.ts', 'src/c.ts']);
    expect(first.imports.find((r) => r.path === 'src/a.ts')!.resolved_path).toBeNull();

    tree.write('src/c.ts', "import { a } from './a.js';\nexport const c = a(); // edited\n");
    const body = ex.extractChanged(['src/a.ts', 'src/c.ts'], ['src/c.ts']);
    expect(body.affectedPaths).toEqual(['src/c.ts']);
    expect(body.imports).toEqual(cold(['src/a.ts', 'src/c.ts']).filter((r) => r.path === 'src/c.ts'));

    tree.write('src/b.ts', 'export const b = 1;\n');
    const added = ex.extractChanged(['src/a.ts', 'src/b.ts', 'src/c.ts'], ['src/b.ts']);
    expect(added.affectedPaths).toContain('src/a.ts');
    expect(added.imports.find((r) => r.path === 'src/a.ts')!.resolved_path).toBe('src/b.ts');
    expect(added.imports).toEqual(cold(['src/a.ts', 'src/b.ts', 'src/c.ts']).filter((r) => added.affectedPaths.includes(r.path)));

    tree.remove('src/b.ts');
    const removed = ex.extractChanged(['src/a.ts', 'src/c.ts'], ['src/b.ts']);
    expect(removed.imports.find((r) => r.path === 'src/a.ts')!.resolved_path).toBeNull();
    expect(removed.imports).toEqual(cold(['src/a.ts', 'src/c.ts']).filter((r) => removed.affectedPaths.includes(r.path)));
  });
});
