import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { FIXTURE } from '../code/fixture.js';
import { builtIn, isReady, spawnDaemon, type DaemonProc } from '../helpers/process.js';

/**
 * `relspec watch` over a code source: a save in the code glob re-extracts that file and rebuilds
 * what its facts feed; the code source's own Delta tables under state/ never trigger runs; a file
 * with a syntax error does not stop the daemon.
 */

let p: TempProject;
let d: DaemonProc | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
  p?.cleanup();
});

describe('relspec watch with a code source', () => {
  it('a save re-extracts the file and rebuilds only its consumers; own state writes trigger nothing', async () => {
    p = tempProject({
      'watch.config.ts': `export default { sources: { code: { format: 'code', path: 'src/**/*.ts' } }, watch: { debounceMs: 50 } };\n`,
      'tasks/callers.sql': 'select caller, callee from code.calls where resolved',
      'tasks/files.sql': 'select path, lines from code.files',
      'tasks/fan_in.sql': 'select callee, count(*) as n from callers group by all',
      ...FIXTURE,
    });
    d = spawnDaemon(p.dir);
    await d.waitFor(isReady, { timeoutMs: 60_000 });
    const first = d.entries.find((e) => e.tag === 'run' && e.event === 'finished')!;
    expect(first).toMatchObject({ trigger: 'reconcile', built: 3 });

    // A new call in math.ts: calls change (callers, then fan_in), files changes only in sha/size/lines.
    let m = d.mark();
    p.write('src/math.ts', FIXTURE['src/math.ts']!.replace('return 0;', 'return add(0, 0);'));
    const run = await d.nextRun(m, 30_000);
    const code = d.entries.slice(m).find((e) => e.tag === 'run' && e.event === 'code')!;
    expect(code).toMatchObject({ source: 'code', mode: 'incremental', modified: ['src/math.ts'], extracted: 1 });
    expect((code.commits as { table: string }[]).map((c) => c.table)).toEqual(['files', 'references', 'calls']);
    expect(builtIn(run)).toEqual(['callers', 'fan_in']);

    // Quiet afterwards: the run's own commits under state/code and state/outputs are not events.
    m = d.mark();
    await new Promise((r) => setTimeout(r, 1500));
    expect(d.entries.slice(m).filter((e) => e.tag === 'watch' && e.event === 'batch')).toEqual([]);

    // A syntax error: logged as facts of a broken file, the daemon keeps running.
    m = d.mark();
    p.write('src/broken.ts', 'export function broken( {\n');
    const run2 = await d.nextRun(m, 30_000);
    expect(run2).toMatchObject({ status: 'ok' });
    expect(builtIn(run2)).toEqual(['files']);
    expect(d.proc.exitCode).toBe(null);
  });

  it('a tsconfig edit alone re-extracts: a `paths` mapping added resolves the import it maps', async () => {
    const tsconfig = (paths: string) =>
      JSON.stringify({
        compilerOptions: {
          module: 'ESNext',
          moduleResolution: 'Bundler',
          strict: true,
          ...(paths ? { paths: JSON.parse(paths) as object } : {}),
        },
      });
    p = tempProject({
      'watch.config.ts': `export default { sources: { code: { format: 'code', path: 'src/**/*.ts' } }, watch: { debounceMs: 50 } };\n`,
      'tsconfig.json': tsconfig(''),
      'src/a.ts': "import { b } from '@lib/b';\nexport const a = b + 1;\n",
      'src/lib/b.ts': 'export const b = 1;\n',
      'tasks/resolved.sql': "select path, resolved_path from code.imports where module = '@lib/b'",
    });
    d = spawnDaemon(p.dir);
    await d.waitFor(isReady, { timeoutMs: 60_000 });
    const resolved = () => JSON.parse(p.cli(['query', 'select resolved_path from resolved', '--json']).stdout) as { rows: unknown[] };
    expect(resolved().rows).toEqual([[null]]);

    const m = d.mark();
    p.write('tsconfig.json', tsconfig('{"@lib/*": ["./src/lib/*"]}'));
    const run = await d.nextRun(m, 30_000);
    expect(builtIn(run)).toEqual(['resolved']);
    expect(resolved().rows).toEqual([['src/lib/b.ts']]);
  });
});
