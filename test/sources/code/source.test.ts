import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { run, type RunOutcome } from '../../../src/incremental/run.js';
import { CodeExtractors } from '../../../src/sources/code/index.js';
import { changeCounts, listLog } from '../../../src/delta/index.js';
import { ROOT, tempProject } from '../../helpers/project.js';
import { FIXTURE } from '../../code/fixture.js';

/** The warm extractors a long-lived process (the daemon) keeps across runs. */
const extractors = new CodeExtractors();

/**
 * The `code` source end to end, in process (real DuckDB, SQLite, files): extraction into Delta
 * tables under the state directory, replace-by-key commits of only what an edit changed, a manifest
 * that makes a fresh process incremental too, and CPG tasks (examples/cpg/tasks) rebuilt only where
 * the columns they read changed. CLI checks spawn the built CLI (`npm run build` first).
 */

const TASKS = path.join(ROOT, 'examples/cpg/tasks');
const p = tempProject({
  'watch.config.ts': `export default { sources: { code: { format: 'code', path: 'src/**/*.ts' } }, tasks: ${JSON.stringify(TASKS)}, state: 'state' };\n`,
  ...FIXTURE,
});
afterAll(() => {
  extractors.dispose();
  p.cleanup();
});

const TABLES = ['files', 'symbols', 'references', 'calls', 'imports'] as const;
const tableDir = (t: string) => path.join(p.dir, 'state/code/code', t);
const go = () => run({ configPath: 'watch.config.ts', cwd: p.dir, codeExtractors: extractors });
const built = (o: RunOutcome) =>
  o.tasks
    .filter((t) => t.status === 'built')
    .map((t) => t.task)
    .sort();
async function versions(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) out[t] = (await listLog(tableDir(t))).latestVersion;
  return out;
}
const commitLine = (t: string, v: number) =>
  readFileSync(path.join(tableDir(t), '_delta_log', `${String(v).padStart(20, '0')}.json`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { commitInfo?: { operation: string; operationParameters: Record<string, string> } })
    .find((a) => a.commitInfo)!.commitInfo!;

async function counts(t: string, v: number) {
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  try {
    return (await changeCounts(c, tableDir(t), v, v)).versions[0]!.counts;
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

const ALL_TASKS = [
  'analysis.fan_in_out',
  'analysis.import_cycles',
  'analysis.summary',
  'analysis.top_referenced',
  'analysis.type_only_import_cycles',
  'analysis.unresolved_calls',
  'analysis.unused_exports',
  'cpg_nodes',
  'edges.calls',
  'edges.contains',
  'edges.defines',
  'edges.imports',
  'edges.references',
  'norm.occurrences',
  'norm.symbols',
];

describe('code source', () => {
  it('the first run extracts every file into five Delta tables and builds every CPG task', async () => {
    const o = await go();
    expect(o.status).toBe('ok');
    expect(built(o)).toEqual(ALL_TASKS);
    expect(o.code).toHaveLength(1);
    expect(o.code[0]).toMatchObject({
      source: 'code',
      mode: 'full',
      files: 4,
      extracted: 4,
      rows: { files: 4, symbols: 16, references: 33, calls: 10, imports: 6 },
    });
    expect(await versions()).toEqual({ files: 1, symbols: 1, references: 1, calls: 1, imports: 1 });
    expect(
      o.changes
        .filter((c) => c.kind === 'source_added')
        .map((c) => (c as { source: string }).source)
        .sort(),
    ).toEqual([...TABLES, 'entry_points'].map((t) => `code.${t}`).sort());
  });

  it('nothing changed: no extraction, no commit, nothing built', async () => {
    const o = await go();
    expect(o.status).toBe('noop');
    expect(o.code[0]).toMatchObject({ mode: 'noop', extracted: 0, commits: [] });
    expect(await versions()).toEqual({ files: 1, symbols: 1, references: 1, calls: 1, imports: 1 });
  });

  it('a body edit that keeps every span commits only `files` (sha, size) — and no task reads those columns', async () => {
    p.write('src/math.ts', FIXTURE['src/math.ts']!.replace('return 0;', 'return 1 + 1;'));
    const o = await go();
    expect(o.code[0]).toMatchObject({ mode: 'incremental', modified: ['src/math.ts'], extracted: 1 });
    expect(o.code[0]!.commits.map((c) => c.table)).toEqual(['files']);
    expect(await versions()).toEqual({ files: 2, symbols: 1, references: 1, calls: 1, imports: 1 });
    expect(built(o)).toEqual([]);
    expect(o.status).toBe('noop');
  });

  it('moving code down a line: one replace-by-key commit per changed table naming the file; only tasks reading spans rebuild', async () => {
    p.write('src/shapes.ts', '// shapes\n' + FIXTURE['src/shapes.ts']);
    const o = await go();
    expect(o.code[0]).toMatchObject({ mode: 'incremental', modified: ['src/shapes.ts'], extracted: 1 });
    // Imports carry no spans: that table gets no commit.
    expect(await versions()).toEqual({ files: 3, symbols: 2, references: 2, calls: 2, imports: 1 });
    for (const [t, v] of [
      ['files', 3],
      ['symbols', 2],
      ['references', 2],
      ['calls', 2],
    ] as const) {
      const info = commitLine(t, v);
      expect(info.operation).toBe('CODE EXTRACT');
      expect(JSON.parse(info.operationParameters['relspec.files']!)).toEqual({
        added: [],
        removed: [],
        modified: ['src/shapes.ts'],
        dependent: [],
      });
    }
    // shapes.ts has 7 symbols (module, Circle, constructor, r, area, describe, c): all replaced.
    expect(await counts('symbols', 2)).toEqual({ insert: 7, delete: 7, update_preimage: 0, update_postimage: 0 });
    expect(built(o)).toEqual([
      'analysis.fan_in_out',
      'analysis.unresolved_calls',
      'analysis.unused_exports',
      'cpg_nodes',
      'edges.calls',
      'edges.contains',
      'edges.defines',
      'edges.references',
      'norm.occurrences',
      'norm.symbols',
    ]);
    // Edges moved, but not the columns these read: cut off (the import cycles read code.imports, not committed).
    const skipped = o.tasks.filter((t) => t.status === 'skipped');
    expect(skipped.map((t) => t.task).sort()).toEqual(['analysis.summary', 'analysis.top_referenced']);
    expect(skipped.every((t) => t.reason?.kind === 'cut_off')).toBe(true);
    const root = o.changes.find((c) => c.kind === 'delta_commits' && c.source === 'code.calls');
    expect(root).toMatchObject({
      fromVersion: 1,
      toVersion: 2,
      commits: [{ version: 2, operation: 'CODE EXTRACT', files: { modified: ['src/shapes.ts'] } }],
    });
  });

  it('`relspec why`, `lineage`, `graph`, `status` handle the dotted source datasets (real CLI)', () => {
    const why = p.cli(['why', 'edges.calls']);
    expect(why.code).toBe(0);
    expect(why.stdout).toContain('input code.calls(callee, callee_name, caller, path, resolved, start_line) changed');
    expect(why.stdout).toContain(
      '← source code.calls changed: Delta version 1 → 2 (1 commit: CODE EXTRACT; 4 inserted, 4 deleted, 0 updated) — files modified src/shapes.ts',
    );
    const whyEdges = p.cli(['why', 'cpg_edges']);
    expect(whyEdges.stdout).toContain('files modified src/shapes.ts');
    const lineage = p.cli(['lineage', 'edges.imports']);
    expect(lineage.stdout).toContain('reads code.imports: module, path, resolved_path');
    const graph = p.cli(['graph', '--format', 'json']);
    expect(graph.code).toBe(0);
    expect(graph.stdout).toContain('"source:code.references"');
    const validate = p.cli(['validate']);
    expect(validate.stdout).toMatch(/^ok: 1 source \(6 datasets\), 15 tasks, /);
    const status = p.cli(['status', '--json']);
    const tasks = (JSON.parse(status.stdout) as { tasks: { task: string; state: string }[] }).tasks;
    expect(tasks.map((t) => t.task).sort()).toEqual(ALL_TASKS);
    expect(tasks.every((t) => t.state === 'fresh')).toBe(true);
  });

  it('a fresh process (nightly one-shot run) is incremental from the manifest: a new export re-extracts the file and its importers', async () => {
    extractors.dispose(); // what a new process starts with
    p.write('src/math.ts', FIXTURE['src/math.ts']! + 'export const pi = 3;\n');
    const o = await go();
    expect(o.code[0]).toMatchObject({ mode: 'incremental', modified: ['src/math.ts'], extracted: 3 });
    // index.ts and shapes.ts were re-resolved, but their facts did not change: not committed.
    expect(o.code[0]!.commits.map((c) => c.table)).toEqual(['files', 'symbols']);
    expect(built(o)).toContain('analysis.unused_exports');
    const show = p.cli(['show', 'analysis.unused_exports', '--json']);
    expect((JSON.parse(show.stdout) as { rows: { id: string }[] }).rows.map((r) => r.id)).toEqual([
      'src/math.ts#function:unusedHelper',
      'src/math.ts#variable:pi',
    ]);
  });

  it('a file with a syntax error: the run goes on, its recovered facts are committed, other files keep theirs', async () => {
    p.write(
      'src/broken.ts',
      "import { add } from './math.js';\nexport function ok(): number {\n  return add(1, 2);\n}\nexport function broken( {\n  return ok(;\n}\n",
    );
    const o = await go();
    expect(o.status).toBe('ok');
    expect(o.errors).toEqual([]);
    expect(o.code[0]).toMatchObject({ mode: 'incremental', added: ['src/broken.ts'], failures: [] });
    expect(o.code[0]!.rows.files).toBe(5);
    const files = p.cli(['show', 'code.files', '--json']);
    const rows = (JSON.parse(files.stdout) as { rows: { path: string; syntax_errors: number }[] }).rows;
    expect(rows.map((r) => [r.path, r.syntax_errors > 0])).toEqual([
      ['src/broken.ts', true],
      ['src/index.ts', false],
      ['src/math.ts', false],
      ['src/registry.ts', false],
      ['src/shapes.ts', false],
    ]);
    const calls = p.cli(['show', 'code.calls', '--json', '--limit', '100']);
    const callRows = (JSON.parse(calls.stdout) as { rows: { path: string; callee: string | null }[] }).rows;
    expect(callRows.filter((r) => r.path === 'src/broken.ts').map((r) => r.callee)).toEqual(['src/math.ts#function:add']);
    expect(callRows.filter((r) => r.path !== 'src/broken.ts')).toHaveLength(10);
  });

  it('removing a file deletes its rows (a delete-only key) and re-resolves its importers', async () => {
    p.rm('src/broken.ts');
    const o = await go();
    expect(o.code[0]).toMatchObject({ mode: 'incremental', removed: ['src/broken.ts'], rows: { files: 4 } });
    const v = await versions();
    const info = commitLine('files', v.files);
    expect(JSON.parse(info.operationParameters['relspec.files']!)).toEqual({
      added: [],
      removed: ['src/broken.ts'],
      modified: [],
      dependent: [],
    });
    expect(await counts('files', v.files)).toEqual({ insert: 0, delete: 1, update_preimage: 0, update_postimage: 0 });
  });

  it('--full-refresh re-extracts every file with a fresh program and rebuilds every task; the facts are the same', async () => {
    const before = await versions();
    const o = await run({ configPath: 'watch.config.ts', cwd: p.dir, codeExtractors: extractors, fullRefresh: true });
    expect(o.code[0]).toMatchObject({ mode: 'full', extracted: 4, rows: { files: 4 } });
    expect(built(o)).toEqual(ALL_TASKS);
    const after = await versions();
    for (const t of TABLES) expect(after[t], t).toBe(before[t]! + 1);
    // Rewritten whole, equal content: the next run is incremental again and builds nothing.
    const again = await go();
    expect(again.code[0]!.mode).toBe('noop');
    expect(built(again)).toEqual([]);
  });
});
