import { renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, scrub, tempProject, type TempProject } from '../helpers/project.js';
import { useTempTree } from '../helpers/tempTree.js';

/**
 * Files a task reads through table functions (issue 11 item 4): tracked inputs with the sources' change
 * rule, resolved against the config's directory, named in causes; computed paths make a task untracked.
 * Real CLI processes on real files.
 */
let p: TempProject;
afterEach(() => p?.cleanup());

const CONFIG = `export default { sources: { orders: { format: 'csv', path: 'data/orders.csv' } } }`;
const json = (r: { stdout: string }) => JSON.parse(r.stdout);
const built = (r: { stdout: string }) =>
  (json(r).tasks as { task: string; status: string; causes: { kind: string; path?: string }[] }[]).filter((t) => t.status === 'built');
const show = (task: string) => p.cli(['show', task, '--json']);
const rows = (task: string) => {
  const r = show(task);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).rows as Record<string, unknown>[];
};

function project(tasks: Record<string, string>): TempProject {
  return tempProject({
    'watch.config.ts': CONFIG,
    'data/orders.csv': 'id,amt\n1,10\n2,20\n',
    'data/side.csv': 'k,w\n1,100\n2,200\n',
    ...Object.fromEntries(Object.entries(tasks).map(([n, sql]) => [`tasks/${n}.sql`, sql])),
  });
}

describe('a file read with read_csv inside a task', () => {
  const JOINED = "select o.id, s.w from orders o join read_csv('data/side.csv') s on s.k = o.id order by o.id";

  it('rebuilds when the file changes, with a cause naming the file; unchanged, it is not rebuilt', () => {
    p = project({ joined: JOINED });
    expect(p.cli(['run']).code).toBe(0);
    expect(built(p.cli(['run', '--json']))).toEqual([]);
    p.write('data/side.csv', 'k,w\n1,111\n2,200\n');
    const r = p.cli(['run', '--json']);
    expect(built(r).map((t) => [t.task, t.causes])).toEqual([
      ['joined', [expect.objectContaining({ kind: 'file_changed', path: path.join(p.dir, 'data/side.csv') })]],
    ]);
    expect(rows('joined').map((x) => Number(x.w))).toEqual([111, 200]);
    const why = p.cli(['why', 'joined']);
    expect(scrub(why.stdout, p.dir)).toContain('file data/side.csv changed');
    expect(p.cli(['lineage', 'joined']).stdout).toContain("reads file read_csv('data/side.csv'): data/side.csv");
    expect(p.cli(['status']).stdout).toMatch(/joined .* fresh/);
  });

  it('reads the file next to the config whatever the current directory', () => {
    p = project({ joined: JOINED });
    // A decoy with the same relative path in the caller's directory must not be read.
    const elsewhere = useTempTree({ 'data/side.csv': 'k,w\n1,-1\n2,-2\n' }, { prefix: 'relspec-cwd-' }).root;
    const r = spawnSync(process.execPath, [CLI, '--config', path.join(p.dir, 'watch.config.ts'), 'run'], {
      cwd: elsewhere,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(rows('joined').map((x) => Number(x.w))).toEqual([100, 200]);
  });

  it('sees a rewrite that keeps size and mtime (cp -p, touch -r)', () => {
    p = project({ joined: JOINED });
    expect(p.cli(['run']).code).toBe(0);
    const side = path.join(p.dir, 'data/side.csv');
    const before = statSync(side, { bigint: true });
    // Same size, old mtime put back: only ctime (and the bytes) moved.
    const copy = p.write('tmp/side.csv', 'k,w\n1,999\n2,200\n');
    expect(spawnSync('touch', ['-r', side, copy]).status).toBe(0);
    expect(spawnSync('cp', ['-p', copy, side]).status).toBe(0);
    expect(statSync(side, { bigint: true }).mtimeNs).toBe(before.mtimeNs);
    expect(statSync(side, { bigint: true }).size).toBe(before.size);
    expect(built(p.cli(['run', '--json'])).map((t) => t.task)).toEqual(['joined']);
    expect(rows('joined').map((x) => Number(x.w))).toEqual([999, 200]);
    // touch -r alone (same bytes): the signature moved, the hash decides: nothing to rebuild.
    expect(spawnSync('touch', ['-r', copy, side]).status).toBe(0);
    expect(built(p.cli(['run', '--json']))).toEqual([]);
  });

  it('an atomic save (write a temp file, rename over) is a change; a removed file fails the task naming it', () => {
    p = project({ joined: JOINED });
    expect(p.cli(['run']).code).toBe(0);
    const tmp = p.write('data/.side.csv.tmp', 'k,w\n1,7\n2,8\n');
    renameSync(tmp, path.join(p.dir, 'data/side.csv'));
    expect(built(p.cli(['run', '--json'])).map((t) => t.task)).toEqual(['joined']);
    p.rm('data/side.csv');
    const r = p.cli(['run']);
    expect(r.code).toBe(1);
    expect(scrub(r.stdout, p.dir)).toContain(
      "E_TASK_FILE <dir>/tasks/joined.sql: task joined reads read_csv('data/side.csv') (<dir>/data/side.csv does not exist)",
    );
    expect(p.cli(['status']).stdout).toMatch(/joined .* stale: failed/);
    p.write('data/side.csv', 'k,w\n1,5\n2,6\n');
    expect(p.cli(['run']).code).toBe(0);
    expect(rows('joined').map((x) => Number(x.w))).toEqual([5, 6]);
  });
});

describe('globs and other readers inside a task', () => {
  it('read_parquet over a glob: a file added, one changed and one removed each rebuild it', async () => {
    p = project({ pq: "select sum(v)::INTEGER as s, count(*)::INTEGER as n from read_parquet('data/p/*.parquet')" });
    await p.parquet('data/p/a.parquet', 'select 1 as v');
    await p.parquet('data/p/b [1].parquet', 'select 2 as v');
    expect(p.cli(['run']).code).toBe(0);
    expect(rows('pq')).toEqual([{ s: 3, n: 2 }]);
    await p.parquet('data/p/c.parquet', 'select 4 as v');
    const r = p.cli(['run', '--json']);
    expect(built(r)[0]!.causes).toEqual([
      { kind: 'file_changed', path: path.join(p.dir, 'data/p/c.parquet'), from: null, to: expect.any(String) },
    ]);
    expect(rows('pq')).toEqual([{ s: 7, n: 3 }]);
    p.rm('data/p/a.parquet');
    expect(built(p.cli(['run', '--json'])).map((t) => t.task)).toEqual(['pq']);
    expect(rows('pq')).toEqual([{ s: 6, n: 2 }]);
  });

  it('glob(): a file added changes its listing (one input), and the listing is what DuckDB gets', () => {
    p = project({ listing: "select count(*)::INTEGER as n from glob('**/*.txt')" });
    p.write('in/a.txt', 'a');
    p.write('state/outputs/in/x.txt', 'relspec-owned, never listed');
    expect(p.cli(['run']).code).toBe(0);
    expect(rows('listing')).toEqual([{ n: 1 }]);
    p.write('in/a.txt', 'same name, new bytes');
    expect(built(p.cli(['run', '--json']))).toEqual([]);
    p.write('in/b [1].txt', 'b');
    const r = p.cli(['run', '--json']);
    expect(built(r)[0]!.causes).toEqual([expect.objectContaining({ kind: 'file_changed', path: `glob:${path.join(p.dir, '**/*.txt')}` })]);
    expect(rows('listing')).toEqual([{ n: 2 }]);
    expect(p.cli(['why', 'listing']).stdout).toMatch(/listing of glob \*\*\/\*\.txt changed/);
  });

  it('read_text: an edit rebuilds it, and a view reading a file passes the change to its readers', () => {
    p = project({
      txt: "-- @materialize view\nselect content from read_text('notes/a.txt')",
      upper: 'select upper(content) as c from txt',
    });
    p.write('notes/a.txt', 'hello');
    expect(p.cli(['run']).code).toBe(0);
    p.write('notes/a.txt', 'world');
    expect(built(p.cli(['run', '--json'])).map((t) => t.task)).toEqual(['txt', 'upper']);
    expect(rows('upper')).toEqual([{ c: 'WORLD' }]);
  });
});

describe('untracked tasks', () => {
  it('a computed path is warned in validate, run and status (text and --json), with --full-refresh as the fix', () => {
    p = project({ dyn: "select * from read_csv(coalesce(getvariable('side'), 'data/side.csv'))" });
    const call = "read_csv(coalesce(getvariable('side'), 'data/side.csv'))";
    const v = p.cli(['validate']);
    expect(v.code).toBe(0);
    expect(v.stderr).toContain(`warning W_UNTRACKED_READ tasks/dyn.sql: task dyn reads files through ${call}`);
    expect(v.stderr).toContain('--full-refresh');
    expect(json(p.cli(['validate', '--json'])).warnings).toContainEqual(
      expect.objectContaining({ code: 'W_UNTRACKED_READ', task: 'dyn', file: path.join(p.dir, 'tasks/dyn.sql') }),
    );
    const r = p.cli(['run']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning W_UNTRACKED_READ tasks/dyn.sql');
    expect(json(p.cli(['run', '--json'])).warnings).toContainEqual(
      expect.objectContaining({ code: 'W_UNTRACKED_READ', caveat: { kind: 'untracked_read', fn: 'read_csv', call } }),
    );
    const s = p.cli(['status']);
    expect(s.stdout).toMatch(/dyn .* untracked: reads read_csv\(coalesce/);
    expect(s.stdout).not.toMatch(/dyn .* fresh$/m);
    expect(s.stdout).toContain('1 untracked');
    expect(s.stderr).toContain(`warning W_UNTRACKED_READ tasks/dyn.sql: task dyn reads files through ${call}`);
    const sj = json(p.cli(['status', '--json'])).tasks.find((t: { task: string }) => t.task === 'dyn');
    expect(sj).toMatchObject({
      state: 'untracked',
      file: path.join(p.dir, 'tasks/dyn.sql'),
      caveats: [{ kind: 'untracked_read', fn: 'read_csv', call }],
    });
    expect(p.cli(['why', 'dyn']).stdout).toContain(`untracked: it reads files through ${call}`);
    expect(json(p.cli(['lineage', 'dyn', '--json'])).tasks[0]).toMatchObject({ files: [], untracked: [call] });
  });
});
