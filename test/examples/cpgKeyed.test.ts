import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/incremental/run.js';
import type { Refresh } from '../../src/records/types.js';
import { ROOT, tempProject, type TempProject } from '../helpers/project.js';
import { copyWithoutState, dumpWarehouse, stateRows } from '../helpers/warehouse.js';

/**
 * Key-scoped refresh on the CPG example (examples/cpg/tasks) over a small generated code base: a
 * one-file edit that moves spans, a file added and a file deleted each refresh the per-file tasks by
 * key (through the code source's change rows, then the upstream key-scoped outputs' change rows),
 * the whole-graph analyses in full with the proof's refusal, and after every step every output and
 * every output token equals a clean build of a copy of the tree. The edit runs are the real CLI
 * (`relspec run --json`, from dist/: build first).
 */

const MODULES = 10;
/** One module: imports, an exported function, a class with a property, a getter method and calls across files. */
const moduleText = (i: number) =>
  [
    "import { twice, LIMIT } from './util.js';",
    '',
    `export function f${i}(x: number): number {`,
    '  return twice(x) + LIMIT;',
    '}',
    '',
    `export class C${i} {`,
    `  v = f${i}(${i});`,
    '  get(): number {',
    '    return this.v;',
    '  }',
    '}',
    '',
  ].join('\n');
const files: Record<string, string> = {
  'src/util.ts': ['export function twice(n: number): number {', '  return n * 2;', '}', '', 'export const LIMIT = 10;', ''].join('\n'),
};
for (let i = 0; i < MODULES; i++) files[`src/m${i}.ts`] = moduleText(i);

/** The tasks the proof marks key-scoped (test/lineage/keysCpg.test.ts), and those it refuses. */
const KEYED = ['norm.symbols', 'norm.occurrences', 'cpg_nodes', 'edges.calls', 'edges.contains', 'edges.defines', 'edges.references'];
const REFUSED = ['analysis.fan_in_out', 'analysis.unused_exports'];

let p: TempProject;
/** The key each key-scoped task's cold build chose (keyedBuild.ts: the proven key with the most distinct values). */
let chosen: Record<string, string[] | undefined>;

const config = `export default { sources: { code: { format: 'code', path: 'src/**/*.ts' } }, tasks: ${JSON.stringify(path.join(ROOT, 'examples/cpg/tasks'))} };\n`;

function runJson(): Map<string, { status: string; refresh?: Refresh }> {
  const r = p.cli(['run', '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout) as { tasks: { task: string; status: string; refresh?: Refresh }[] };
  return new Map(out.tasks.map((t) => [t.task, t]));
}

/** Every output relation's rows and every output's change tokens. */
async function snapshot(dir: string) {
  const rows = await dumpWarehouse(path.join(dir, 'state/warehouse.duckdb'));
  const tokens = stateRows<{ name: string; tokens: string }>(dir, `SELECT name, tokens FROM evidence WHERE kind = 'output' ORDER BY name`);
  return { rows, tokens: Object.fromEntries(tokens.map((t) => [t.name, JSON.parse(t.tokens) as unknown])) };
}

async function expectEqualToClean() {
  const copy = copyWithoutState(p.dir);
  const o = await run({ configPath: 'watch.config.ts', cwd: copy });
  expect(o.status).toBe('ok');
  const [mine, clean] = [await snapshot(p.dir), await snapshot(copy)];
  expect(Object.keys(mine.rows)).toContain('main.cpg_nodes');
  expect(mine).toEqual(clean);
}

/** Each key-scoped task that ran refreshed by its chosen key, few of `of` keys; the refused ones ran in full with the refusal. */
function expectKeyed(tasks: ReturnType<typeof runJson>, of: { path: number }) {
  const built = KEYED.filter((t) => tasks.get(t)?.status === 'built');
  // The edit moves every span of its file: every task downstream of code.symbols/references reruns.
  expect(built).toEqual(expect.arrayContaining(['norm.symbols', 'norm.occurrences', 'cpg_nodes', 'edges.contains', 'edges.references']));
  for (const t of built) {
    const r = tasks.get(t)!.refresh!;
    expect({ t, mode: r.mode, key: r.key }).toEqual({ t, mode: 'keys', key: chosen[t] });
    // One file's keys: a small fraction of the whole (the 30% threshold was not reached).
    expect(r.keys! / r.of!).toBeLessThanOrEqual(0.3);
    expect(r.keys).toBeGreaterThan(0);
    // One file's key, of the files with rows in that output (util.ts makes no calls: one fewer in edges.calls).
    expect({ t, keys: r.keys }).toEqual({ t, keys: 1 });
    expect(of.path - r.of!, t).toBeLessThanOrEqual(1);
    expect(of.path - r.of!, t).toBeGreaterThanOrEqual(0);
  }
  for (const t of REFUSED) expect(tasks.get(t)?.refresh).toMatchObject({ mode: 'full', reason: { kind: 'not_key_scoped' } });
}

beforeAll(() => {
  p = tempProject({ 'watch.config.ts': config, ...files });
  const cold = runJson();
  chosen = Object.fromEntries(KEYED.map((t) => [t, cold.get(t)?.refresh?.key]));
  for (const t of KEYED) expect(cold.get(t)?.refresh).toMatchObject({ mode: 'full', reason: { kind: 'first_build' } });
});
afterAll(() => p.cleanup());

describe('key-scoped refresh of the CPG', () => {
  it('the cold build chooses path for every per-file task: the key the code source changes by', () => {
    // Finer keys are proven too (a symbol id, a name), but a name recurs in every file: keyed on it, a
    // one-file edit would recompute every file's rows of that name (keyedBuild.ts alignedWithInputs).
    expect(chosen).toEqual(Object.fromEntries(KEYED.map((t) => [t, ['path']])));
  });

  it('a line inserted at the top of one file: the per-file tasks refresh by key, equal to a clean build', async () => {
    p.write('src/m3.ts', `// moved\n${moduleText(3)}`);
    const tasks = runJson();
    expectKeyed(tasks, { path: MODULES + 1 });
    // norm.occurrences is keyed on path: one file's references recomputed, not all of them.
    expect(tasks.get('norm.occurrences')?.refresh).toMatchObject({ mode: 'keys', key: ['path'], keys: 1 });
    await expectEqualToClean();
  });

  it('a file added: its keys are inserted, equal to a clean build', async () => {
    p.write(`src/m${MODULES}.ts`, moduleText(MODULES));
    const tasks = runJson();
    expectKeyed(tasks, { path: MODULES + 1 });
    expect(tasks.get('edges.imports')?.refresh).toMatchObject({ mode: 'keys', key: ['path'], keys: 1, of: MODULES });
    await expectEqualToClean();
  });

  it('a file deleted: its keys are removed, equal to a clean build', async () => {
    p.rm('src/m5.ts');
    const tasks = runJson();
    // One more key than before the add (the new file's), one of them now removed.
    expectKeyed(tasks, { path: MODULES + 2 });
    expect(tasks.get('edges.imports')?.refresh).toMatchObject({ mode: 'keys', key: ['path'], keys: 1, of: MODULES + 1 });
    // Only removed: no key of a deleted file has rows to recompute.
    for (const t of KEYED) if (tasks.get(t)?.status === 'built') expect({ t, rows: tasks.get(t)!.refresh!.rows }).toEqual({ t, rows: 0 });
    await expectEqualToClean();
    // The deleted file's key is gone from every per-file output.
    const left = await dumpWarehouse(path.join(p.dir, 'state/warehouse.duckdb'));
    expect(JSON.stringify(left['main.cpg_nodes'])).not.toContain('src/m5.ts');
    expect(JSON.stringify(left['main.cpg_edges'])).not.toContain('src/m5.ts');
  });
});
