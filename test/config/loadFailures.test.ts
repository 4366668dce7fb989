/**
 * Configs that never settle, that throw, that do not parse (issue 11 item 8): one line naming the
 * file (and where), exit 2 — and a daemon that keeps its old config, stays responsive and stops at
 * once on SIGTERM while a config load hangs. Real processes on real temp trees.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { spawnDaemon, isReady, builtIn, idleProcess, type DaemonProc } from '../helpers/process.js';

const GOOD = "export default { sources: { a: { format: 'csv', path: 'data/a.csv' } }, watch: { debounceMs: 50 } };\n";
const HANGS: Record<string, Record<string, string>> = {
  'a default export that never resolves': { 'watch.config.ts': 'export default new Promise(() => {});\n' },
  'a top-level await that never resolves': { 'watch.config.ts': `await new Promise(() => {});\n${GOOD}` },
  'an import that never settles': {
    'watch.config.ts': `import { x } from './slow';\nexport default { sources: { a: { format: 'csv', path: 'data/a.csv' } }, tasks: x };\n`,
    'slow.ts': "await new Promise(() => {});\nexport const x = 'tasks';\n",
  },
};

let p: TempProject | undefined;
let d: DaemonProc | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
  p?.cleanup();
  p = undefined;
});

const project = () => tempProject({ 'watch.config.ts': GOOD, 'data/a.csv': 'id,v\n1,2\n', 'tasks/t.sql': 'select sum(v) as s from a\n' });
const errLines = (stderr: string) => stderr.split('\n').filter((l) => l.trim() !== '');

describe('a config that never settles', () => {
  for (const [kind, files] of Object.entries(HANGS)) {
    it(`${kind}: run exits 2 with one E_CONFIG line after the timeout`, () => {
      p = project();
      for (const [rel, text] of Object.entries(files)) p.write(rel, text);
      const t0 = Date.now();
      const r = p.cli(['run'], { env: { RELSPEC_CONFIG_TIMEOUT_MS: '700' } });
      expect(r.code).toBe(2);
      expect(errLines(r.stderr)).toEqual([
        `relspec: E_CONFIG ${p.dir}/watch.config.ts: the config's default export did not resolve within 700 ms — make the config (and what it imports or awaits) settle: export an object, or a promise that resolves (RELSPEC_CONFIG_TIMEOUT_MS sets the limit)`,
      ]);
      expect(Date.now() - t0).toBeLessThan(8000);
    });
  }

  it('the default limit is 10 s and is named in the message', () => {
    p = project();
    p.write('watch.config.ts', 'export default new Promise(() => {});\n');
    const r = p.cli(['status'], { env: { RELSPEC_CONFIG_TIMEOUT_MS: '' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the config's default export did not resolve within 10 s");
  }, 30_000);

  it('a promised config that resolves is used', () => {
    p = project();
    p.write(
      'watch.config.ts',
      `export default new Promise((r) => setTimeout(() => r(${GOOD.replace('export default ', '').replace(';\n', '')}), 200));\n`,
    );
    const r = p.cli(['run']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/run 1 ok: built=1/);
  });
});

describe('a config that throws or does not parse', () => {
  it('a throw names the thrown message and the line, not a syntax error', () => {
    p = project();
    p.write(
      'watch.config.ts',
      `interface X { a: number }\nconst x: X = { a: 1 };\nfunction f(): never {\n  throw new TypeError('no config for you');\n}\nf();\n${GOOD}`,
    );
    const r = p.cli(['run']);
    expect(r.code).toBe(2);
    expect(errLines(r.stderr)).toEqual([
      `relspec: E_CONFIG_LOAD ${p.dir}/watch.config.ts: the config threw: TypeError: no config for you (at ${p.dir}/watch.config.ts:4) — fix the code that throws (or what it reads); the config must \`export default defineConfig({...})\` or a plain object`,
    ]);
    expect(r.stderr).not.toMatch(/syntax/);
  });

  it('a syntax error gives file:line:column', () => {
    p = project();
    p.write('watch.config.ts', "const a = 1;\nexport default {\n  sources: { a: { format: 'csv' path: 'data/a.csv' } },\n};\n");
    const r = p.cli(['validate']);
    expect(r.code).toBe(2);
    expect(errLines(r.stderr)).toEqual([
      `relspec: E_CONFIG_LOAD ${p.dir}/watch.config.ts:3:33: syntax error: Unexpected token, expected "," — fix the syntax at line 3, column 33`,
    ]);
  });
});

describe('relspec watch with a config that hangs', () => {
  it('keeps the old config, stays responsive, picks up the fix, and stops at once on SIGTERM', async () => {
    p = project();
    const prev = process.env.RELSPEC_CONFIG_TIMEOUT_MS;
    process.env.RELSPEC_CONFIG_TIMEOUT_MS = '5000';
    try {
      d = spawnDaemon(p.dir);
    } finally {
      if (prev === undefined) delete process.env.RELSPEC_CONFIG_TIMEOUT_MS;
      else process.env.RELSPEC_CONFIG_TIMEOUT_MS = prev;
    }
    await d.waitFor(isReady, { timeoutMs: 60_000 });
    // 1. The config edited to a promise that never resolves: logged after 5 s, the old config kept.
    let m = d.mark();
    p.write('watch.config.ts', HANGS['a default export that never resolves']!['watch.config.ts']!);
    const err = await d.waitFor((e) => e.tag === 'config' && e.event === 'error', { from: m, timeoutMs: 20_000 });
    expect(err.message).toBe(
      `E_CONFIG ${p.dir}/watch.config.ts: the config's default export did not resolve within 5 s — make the config (and what it imports or awaits) settle: export an object, or a promise that resolves (RELSPEC_CONFIG_TIMEOUT_MS sets the limit)`,
    );
    // 2. Still reacting: a task edit builds with the old config.
    m = d.mark();
    p.write('tasks/t.sql', 'select sum(v) + 1 as s from a\n');
    expect(
      builtIn(
        await d.waitFor((e) => e.tag === 'run' && e.event === 'finished' && builtIn(e).includes('t'), { from: m, timeoutMs: 20_000 }),
      ),
    ).toEqual(['t']);
    // 3. The fix is picked up.
    m = d.mark();
    p.write('watch.config.ts', `// fixed\n${GOOD}`);
    await d.waitFor((e) => e.tag === 'config' && e.event === 'reloaded', { from: m, timeoutMs: 20_000 });
    // 4. A hanging import, then SIGTERM while the load waits: the daemon stops at once, exit 0.
    m = d.mark();
    for (const [rel, text] of Object.entries(HANGS['an import that never settles']!)) p.write(rel, text);
    await d.waitFor((e) => e.tag === 'watch' && e.event === 'batch' && e.config === true, { from: m, timeoutMs: 20_000 });
    const t0 = Date.now();
    const exit = await d.stop();
    expect(Date.now() - t0).toBeLessThan(10_000); // at once: the load itself never settles
    expect(exit).toEqual({ code: 0, signal: null });
    expect(d.entries.slice(m).some((e) => e.tag === 'daemon' && e.event === 'stopped')).toBe(true);
  }, 90_000);

  it('stops at once on SIGTERM while the start-up config load hangs', async () => {
    p = project();
    p.write('watch.config.ts', HANGS['a top-level await that never resolves']!['watch.config.ts']!);
    d = spawnDaemon(p.dir);
    // Nothing is logged before the config settles: wait until the process is idle, i.e. started
    // (its signal handlers installed) and hanging in the load (a loaded machine takes seconds).
    await idleProcess(d.pid);
    expect(d.entries).toEqual([]);
    const t0 = Date.now();
    const exit = await d.stop();
    expect(Date.now() - t0).toBeLessThan(10_000); // at once: the load itself never settles
    expect(exit).toEqual({ code: 0, signal: null });
    expect(d.stderr()).toBe('');
  }, 30_000);
});
