import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/incremental/run.js';
import { CodeExtractors } from '../../../src/sources/code/index.js';
import { tempProject } from '../../helpers/project.js';

/** The warm extractors a long-lived process (the daemon) keeps across runs. */
const extractors = new CodeExtractors();

/**
 * A code source re-extracts a file rewritten with its size and mtime kept (`touch -r`, `cp -p`): the
 * manifest and the warm extractor's file cache compare the whole stat signature, then the sha
 * (src/sources/code/files.ts, src/code/program.ts). In process, real files and tools.
 */

const p = tempProject({
  'watch.config.ts': `export default { sources: { code: { format: 'code', path: 'src/**/*.ts' } }, tasks: 'tasks', state: 'state' };\n`,
  'tasks/names.sql':
    "-- @materialize table\nselect string_agg(name, ',' order by name) as names from code.symbols where kind = 'function'\n",
  'src/math.ts': 'export function add(a: number, b: number): number {\n  return a + b;\n}\n',
  'src/main.ts': "import { add } from './math.js';\nexport const three = add(1, 2);\n",
});
afterAll(() => {
  extractors.dispose();
  p.cleanup();
});

const go = () => run({ configPath: 'watch.config.ts', cwd: p.dir, codeExtractors: extractors });
const MATH = path.join(p.dir, 'src/math.ts');
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: p.dir, stdio: 'pipe' });

/** Same size, other bytes, the old mtime put back. */
function rewriteKeepingMtime(text: string, how: 'touch -r' | 'cp -p'): void {
  const before = statSync(MATH);
  expect(Buffer.byteLength(text)).toBe(before.size);
  writeFileSync(path.join(p.dir, 'next.ts.txt'), text);
  sh('touch', ['-r', MATH, 'next.ts.txt']);
  if (how === 'cp -p') sh('cp', ['-p', 'next.ts.txt', MATH]);
  else {
    writeFileSync(MATH, text);
    sh('touch', ['-r', 'next.ts.txt', MATH]);
  }
  expect(statSync(MATH).mtimeMs).toBe(before.mtimeMs);
}

describe('code source and mtime-preserving rewrites', () => {
  it('the warm extractor (same process) re-extracts a touch -r rewrite', async () => {
    expect((await go()).status).toBe('ok');
    rewriteKeepingMtime('export function sub(a: number, b: number): number {\n  return a + b;\n}\n', 'touch -r');
    const o = await go();
    expect(o.code[0]).toMatchObject({ mode: 'incremental', modified: ['src/math.ts'] });
    expect(o.tasks.find((t) => t.task === 'names')?.status).toBe('built');
  });

  it('a fresh process (manifest only) re-extracts a cp -p rewrite', async () => {
    extractors.dispose();
    rewriteKeepingMtime('export function mul(a: number, b: number): number {\n  return a + b;\n}\n', 'cp -p');
    const o = await go();
    expect(o.code[0]).toMatchObject({ modified: ['src/math.ts'] });
    expect(o.tasks.find((t) => t.task === 'names')?.status).toBe('built');
    const show = p.cli(['show', 'names', '--json']);
    expect(show.code, show.stderr).toBe(0);
    expect((JSON.parse(show.stdout) as { rows: { names: string }[] }).rows[0]!.names).toBe('mul');
  });

  it('a touch with the same bytes extracts nothing', async () => {
    sh('touch', [MATH]);
    const o = await go();
    expect(o.code[0]).toMatchObject({ mode: 'noop', extracted: 0 });
    expect(o.status).toBe('noop');
  });
});
