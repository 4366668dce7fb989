import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../../src/incremental/run.js';
import { loadProject } from '../../../src/project/load.js';
import { formatWarning } from '../../../src/project/warnings.js';
import { resolveConfig } from '../../../src/config/validate.js';
import { RelspecError, RelspecErrors } from '../../../src/errors.js';
import { tempProject } from '../../helpers/project.js';

/**
 * A code source's tsconfig as `relspec run` and `validate` see it (real files, DuckDB, SQLite, in
 * process): the root's tsconfig.json by default, `sources.NAME.tsconfig` when set, a warning when
 * there is none, E_CONFIG naming the file when it is unusable, and a warning when more than 10% of
 * the relative imports in the facts did not resolve.
 */

const config = (extra = '') =>
  `export default { sources: { app: { format: 'code', path: 'src/**/*.ts'${extra} } }, tasks: 'tasks', state: 'state' };\n`;
const CODE = {
  'tasks/n.sql': 'select count(*) as n from app.imports\n',
  'src/main.ts': "import { one } from '@lib/one';\nimport { two } from './two';\nexport const three = one + two;\n",
  'src/two.ts': 'export const two = 2;\n',
  'src/lib/one.ts': 'export const one = 1;\n',
};
const TSCONFIG = JSON.stringify({
  compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler', paths: { '@lib/*': ['./src/lib/*'] } },
});

const projects: ReturnType<typeof tempProject>[] = [];
afterAll(() => projects.forEach((p) => p.cleanup()));
function project(files: Record<string, string>) {
  const p = tempProject(files);
  projects.push(p);
  return p;
}
const go = (p: { dir: string }) => run({ configPath: 'watch.config.ts', cwd: p.dir });
const validate = (p: { dir: string }) => loadProject({ configPath: 'watch.config.ts', cwd: p.dir });
const lines = (ws: Parameters<typeof formatWarning>[0][]) => ws.map(formatWarning);
/** A run's errors (JSON form) as the CLI prints them. */
const errLines = (es: { code: string; message: string; file?: string; fix?: string }[]) =>
  es.map((e) => new RelspecError(e.code as RelspecError['code'], e.message, { file: e.file, fix: e.fix }).oneLine());
const manifestImports = (p: { dir: string }) =>
  (JSON.parse(readFileSync(path.join(p.dir, 'state/code/app/manifest.json'), 'utf8')) as ManifestShape).files['src/main.ts']!.imports.map(
    (i) => `${i.module} → ${i.resolved_path}`,
  ).sort();
interface ManifestShape {
  files: Record<string, { imports: { module: string; resolved_path: string | null }[] }>;
}

describe('the tsconfig of a code source', () => {
  it("default: the root's tsconfig.json (its paths alias resolves), no warning", async () => {
    const p = project({ 'watch.config.ts': config(), 'tsconfig.json': TSCONFIG, ...CODE });
    const o = await go(p);
    expect(o.errors).toEqual([]);
    expect(o.sourceWarnings).toEqual([]);
    expect(manifestImports(p)).toEqual(['./two → src/two.ts', '@lib/one → src/lib/one.ts']);
    expect((await validate(p)).warnings).toEqual([]);
  });

  it('none: run and validate warn, naming the source, what happened and the fix', async () => {
    const p = project({ 'watch.config.ts': config(), ...CODE, 'src/main.ts': "import { two } from './two';\nexport const three = two;\n" });
    const expected = [
      "W_CODE_NO_TSCONFIG tsconfig.json: code source app has no tsconfig, so TypeScript's defaults apply and imports may not resolve" +
        ' — add a tsconfig.json there, or set sources.app.tsconfig to the one the code is built with (relative to the config file)',
    ];
    const o = await go(p);
    expect(o.errors).toEqual([]);
    expect(lines(o.sourceWarnings)).toEqual(expected);
    expect(lines((await validate(p)).warnings)).toEqual(expected);
    p.write('src/main.ts', "import { two } from './two';\nimport { gone } from './gone';\nexport const three = two;\n");
    expect(lines((await go(p)).sourceWarnings)).toEqual([
      ...expected,
      'W_CODE_UNRESOLVED_IMPORTS sources.app: 1 of 2 relative imports (50%) of code source app (no tsconfig) did not resolve to one of its files' +
        " (e.g. src/main.ts → './gone') — check the tsconfig's module, moduleResolution and paths (or set sources.app.tsconfig), and that the glob covers the imported files",
    ]);
  });

  it('explicit: sources.NAME.tsconfig (relative to the config) is read, an extends chain included', async () => {
    const p = project({
      'watch.config.ts': config(", tsconfig: 'config/tsconfig.build.json'"),
      // The root's would leave the alias unresolved: it must not be the one read.
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler' } }),
      'config/tsconfig.build.json': JSON.stringify({ extends: './tsconfig.base.json' }),
      'config/tsconfig.base.json': JSON.stringify({
        compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler', paths: { '@lib/*': ['../src/lib/*'] } },
      }),
      ...CODE,
    });
    const o = await go(p);
    expect(o.errors).toEqual([]);
    expect(o.sourceWarnings).toEqual([]);
    expect(manifestImports(p)).toEqual(['./two → src/two.ts', '@lib/one → src/lib/one.ts']);
  });

  it('set but missing, empty or not valid: E_CONFIG on one line naming the file, the last facts kept', async () => {
    const p = project({ 'watch.config.ts': config(), 'tsconfig.json': TSCONFIG, ...CODE });
    expect((await go(p)).errors).toEqual([]);
    const cases: [string, RegExp][] = [
      ['', /^E_CONFIG (\S+)\/tsconfig\.json: code source app: its tsconfig is empty — /],
      [
        '{ "compilerOptions": { "module": }',
        /^E_CONFIG (\S+)\/tsconfig\.json: code source app: its tsconfig does not parse at line 1, column \d+: /,
      ],
      [
        JSON.stringify({ extends: './base.json' }),
        /^E_CONFIG (\S+)\/tsconfig\.json: code source app: its tsconfig is not valid: .*base\.json/,
      ],
    ];
    for (const [text, line] of cases) {
      p.write('tsconfig.json', text);
      const o = await go(p);
      const msgs = errLines(o.errors);
      expect(msgs).toHaveLength(1);
      expect(msgs[0]).toMatch(line);
      expect(msgs[0]).not.toContain('\n');
      expect(msgs[0]!.split(': ')[0]).toBe(`E_CONFIG ${p.dir}/tsconfig.json`);
      expect((await validate(p)).errors.map((e) => e.oneLine())).toEqual(msgs);
    }
    // The tables keep the facts of the last good tsconfig; a fixed one extracts again.
    expect(manifestImports(p)).toEqual(['./two → src/two.ts', '@lib/one → src/lib/one.ts']);
    p.write('tsconfig.json', TSCONFIG);
    expect((await go(p)).errors).toEqual([]);
    p.write('watch.config.ts', config(", tsconfig: 'nope.json'"));
    expect(errLines((await go(p)).errors)).toEqual([
      `E_CONFIG ${p.dir}/nope.json: code source app: tsconfig not found — check sources.app.tsconfig (a path relative to the config file)`,
    ]);
  });

  it('more than 10% of relative imports unresolved: a warning with the count and the fix, gone once they resolve', async () => {
    const imports = Array.from({ length: 9 }, (_, i) => `import { v${i} } from './m${i}';`).join('\n');
    const files: Record<string, string> = { 'watch.config.ts': config(), 'tsconfig.json': TSCONFIG, 'tasks/n.sql': CODE['tasks/n.sql'] };
    files['src/main.ts'] = `${imports}\nimport { gone } from './gone';\nimport { away } from '../away';\nexport const s = 1;\n`;
    for (let i = 0; i < 9; i++) files[`src/m${i}.ts`] = `export const v${i} = ${i};\n`;
    const p = project(files);
    const expected = [
      'W_CODE_UNRESOLVED_IMPORTS tsconfig.json: 2 of 11 relative imports (18%) of code source app did not resolve to one of its files' +
        " (e.g. src/main.ts → '../away', src/main.ts → './gone')" +
        " — check the tsconfig's module, moduleResolution and paths (or set sources.app.tsconfig), and that the glob covers the imported files",
    ];
    const o = await go(p);
    expect(o.errors).toEqual([]);
    expect(lines(o.sourceWarnings)).toEqual(expected);
    expect(lines((await validate(p)).warnings)).toEqual(expected);
    // 1 of 10 (10%) is not more than 10%.
    p.write('src/main.ts', `${imports}\nimport { gone } from './gone';\nexport const s = 1;\n`);
    expect((await go(p)).sourceWarnings).toEqual([]);
  });

  it('the option applies to code sources only', () => {
    let err: unknown;
    try {
      resolveConfig({ sources: { d: { format: 'csv', path: 'd.csv', tsconfig: 'tsconfig.json' } } }, '/p', '/p/watch.config.ts');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RelspecErrors);
    expect((err as RelspecErrors).errors.map((e) => e.oneLine())).toEqual([
      "E_CONFIG /p/watch.config.ts: 'sources.d.tsconfig' applies to code sources only (this one is csv) — remove it, or set sources.d.format to 'code'",
    ]);
    const ok = resolveConfig({ sources: { c: { format: 'code', path: 'src/**/*.ts', tsconfig: 'cfg/ts.json' } } }, '/p');
    expect(ok.sources.c!.tsconfig).toBe('/p/cfg/ts.json');
  });
});
