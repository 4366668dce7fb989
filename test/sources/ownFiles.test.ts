import { cpSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempProject } from '../helpers/project.js';

/**
 * A source glob never reads relspec's own files (the state directory, the outputs directory, the code
 * source's tables): `**` over parquet in a project holding them used to count 10 rows as 20, 70, 230 on
 * repeated runs. `validate` warns (W_SOURCE_OWN_FILES) in text and JSON. Real CLI processes.
 */

const CONFIG = `export default {
  sources: { ev: { format: 'parquet', path: '**/*.parquet' }, code: { format: 'code', path: 'src/**/*.ts' } },
  outputs: 'out',
};\n`;
const p = tempProject({
  'watch.config.ts': CONFIG,
  'tasks/cnt.sql': '-- @materialize table\nselect count(*) as n from ev\n',
  'tasks/copy.sql': '-- @materialize delta\nselect id, id * 2 as d from ev\n',
  'tasks/syms.sql': 'select count(*) as n from code.symbols\n',
  'src/a.ts': 'export function f(): number {\n  return 1;\n}\n',
  // The code source's tsconfig: without one it warns too (W_CODE_NO_TSCONFIG), and this file counts warnings.
  'tsconfig.json': '{}\n',
});
const clean = tempProject();
afterAll(() => {
  p.cleanup();
  clean.cleanup();
});

function count(dir: typeof p): number {
  const r = dir.cli(['show', 'cnt', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return Number((JSON.parse(r.stdout) as { rows: { n: string }[] }).rows[0]!.n);
}

describe('globs that match relspec’s own files', () => {
  it('counts stay 10 over three runs that rewrite a Delta output, equal to a clean build', async () => {
    await p.parquet('data/sub/e.parquet', 'SELECT range AS id FROM range(10)');
    for (let i = 0; i < 3; i++) {
      // Each run rewrites the Delta output (new data files, _change_data/ files, removed files).
      p.write('tasks/copy.sql', `-- @materialize delta\nselect id, id * ${i + 2} as d from ev\n`);
      const r = p.cli(['run']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(count(p)).toBe(10);
    }
    cpSync(p.dir, clean.dir, { recursive: true, filter: (src) => !['state', 'out'].some((d) => src.startsWith(path.join(p.dir, d))) });
    const r = clean.cli(['run']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(count(clean)).toBe(count(p));
  });

  it('validate warns in one line naming the source, the glob, what it matched and the fix; --json carries it', () => {
    const r = p.cli(['validate']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('warning W_SOURCE_OWN_FILES'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^warning W_SOURCE_OWN_FILES \*\*\/\*\.parquet: source ev would match \d+ files of relspec's own under out, state \(e\.g\. .+\.parquet\); they are left out — narrow sources\.ev\.path/,
    );
    const j = p.cli(['validate', '--json']);
    expect(j.code, j.stderr).toBe(0);
    const warnings = (
      JSON.parse(j.stdout) as { warnings: { code: string; source: string; glob: string; dirs: string[]; files: number; message: string }[] }
    ).warnings;
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'W_SOURCE_OWN_FILES', source: 'ev', glob: '**/*.parquet', dirs: ['out', 'state'] });
    expect(warnings[0]!.files).toBeGreaterThan(5);
  });

  it('run prints the same warning (text on stderr, and in --json warnings)', () => {
    const r = p.cli(['run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('warning W_SOURCE_OWN_FILES **/*.parquet: source ev would match'))).toHaveLength(
      1,
    );
    const j = p.cli(['run', '--json']);
    expect(j.code, j.stderr).toBe(0);
    expect((JSON.parse(j.stdout) as { warnings: { code: string }[] }).warnings.map((w) => w.code)).toEqual(['W_SOURCE_OWN_FILES']);
  });

  it('a glob that stays out of relspec’s directories gets no warning', () => {
    const r = clean.cli(['validate', '--json']);
    // The clean copy has built state and outputs too: narrow the glob and the warning goes.
    clean.write('watch.config.ts', CONFIG.replace("'**/*.parquet'", "'data/**/*.parquet'"));
    const narrowed = clean.cli(['validate', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { warnings: unknown[] }).warnings).toHaveLength(1);
    expect(narrowed.code, narrowed.stderr).toBe(0);
    expect((JSON.parse(narrowed.stdout) as { warnings: unknown[] }).warnings).toEqual([]);
  });
});
