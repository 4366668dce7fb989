import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { tempProject } from '../helpers/project.js';

/**
 * File sources see rewrites that keep size and mtime (docs/ARCHITECTURE.md "Change detection for files"): the stat
 * signature holds ctime and the inode, which `touch -r`, `cp -p` and `tar x` cannot put back, and the
 * content hash decides. Real CLI processes, real tools (`touch`, `cp`, `tar`). Needs `npx tsc` first.
 */

const p = tempProject({
  'watch.config.ts': `export default { sources: { src: { format: 'csv', path: 'data/*.csv' } }, tasks: 'tasks', state: 'state' };\n`,
  'tasks/total.sql': '-- @materialize table\nselect sum(v)::bigint as s, count(*) as n from src\n',
  'data/a.csv': 'k,v\n1,10\n2,20\n',
  'data/b.csv': 'k,v\n3,30\n',
});
afterAll(() => p.cleanup());

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: p.dir, stdio: 'pipe' });
const A = path.join(p.dir, 'data/a.csv');

function run(...extra: string[]): { code: number; out: string } {
  const r = p.cli(['run', ...extra]);
  return { code: r.code, out: r.stdout + r.stderr };
}
function sum(): number {
  const r = p.cli(['show', 'total', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return Number((JSON.parse(r.stdout) as { rows: { s: string }[] }).rows[0]!.s);
}
function lastBuilt(): number | null {
  const r = p.cli(['status', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const s = JSON.parse(r.stdout) as { tasks: { task: string; state: string; lastBuiltRun: number | null }[] };
  const t = s.tasks.find((x) => x.task === 'total')!;
  expect(t.state).toBe('fresh');
  return t.lastBuiltRun;
}
const builtTotal = (out: string) => /OK\s+total .*built/.test(out);

/** New bytes of the same size with the old mtime (and atime) put back, as `touch -r` does. */
function rewriteTouchR(text: string): void {
  sh('cp', ['-p', A, path.join(p.dir, 'ref')]);
  const before = statSync(A);
  writeFileSync(A, text);
  sh('touch', ['-r', 'ref', A]);
  const after = statSync(A);
  expect(after.size).toBe(before.size);
  expect(after.mtimeMs).toBe(before.mtimeMs);
}

describe('mtime-preserving rewrites of a CSV source', () => {
  it('builds once, then a touch -r rewrite rebuilds and show returns the new sum', () => {
    expect(run().code).toBe(0);
    expect(sum()).toBe(60);
    const first = lastBuilt();
    rewriteTouchR('k,v\n1,10\n2,90\n');
    const r = run();
    expect(r.code, r.out).toBe(0);
    expect(builtTotal(r.out), r.out).toBe(true);
    expect(sum()).toBe(130);
    expect(lastBuilt()).toBeGreaterThan(first!);
  });

  it('cp -p of a same-size file with an old mtime over the source is a change', () => {
    writeFileSync(path.join(p.dir, 'new.csv'), 'k,v\n1,10\n2,50\n');
    sh('touch', ['-r', A, 'new.csv']);
    const before = statSync(A);
    sh('cp', ['-p', 'new.csv', A]);
    expect(statSync(A).mtimeMs).toBe(before.mtimeMs);
    expect(statSync(A).ino).toBe(before.ino); // cp -p writes in place: only ctime tells
    const r = run();
    expect(builtTotal(r.out), r.out).toBe(true);
    expect(sum()).toBe(90);
    expect(lastBuilt()).not.toBeNull();
  });

  it('tar x of an archive holding a same-size file with the old mtime is a change', () => {
    const stage = path.join(p.dir, 'stage');
    sh('mkdir', ['-p', stage]);
    // tar keeps whole seconds: give the source a whole-second mtime first (same bytes: no change).
    sh('touch', ['-d', '@1700000000', A]);
    expect(builtTotal(run().out)).toBe(false);
    writeFileSync(path.join(stage, 'a.csv'), 'k,v\n1,10\n2,70\n');
    sh('touch', ['-r', A, path.join(stage, 'a.csv')]);
    sh('tar', ['cf', 'x.tar', '-C', stage, 'a.csv']);
    const mtime = statSync(A).mtimeMs;
    sh('tar', ['xf', 'x.tar', '-C', path.join(p.dir, 'data')]);
    expect(statSync(A).mtimeMs).toBe(mtime);
    const r = run();
    expect(builtTotal(r.out), r.out).toBe(true);
    expect(sum()).toBe(110);
  });

  it('a pure touch (same bytes, new mtime) builds nothing', () => {
    const built = lastBuilt();
    sh('touch', [A]);
    const r = run();
    expect(r.code, r.out).toBe(0);
    expect(builtTotal(r.out), r.out).toBe(false);
    expect(r.out).toMatch(/noop/);
    expect(lastBuilt()).toBe(built);
    expect(sum()).toBe(110);
  });

  it('names the modified file in the root change', () => {
    rewriteTouchR('k,v\n1,10\n2,80\n');
    const r = run();
    expect(builtTotal(r.out), r.out).toBe(true);
    const db = new Database(path.join(p.dir, 'state/relspec.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('SELECT details FROM changes ORDER BY rowid DESC LIMIT 1').all() as { details: string }[];
      const change = JSON.parse(rows[0]!.details) as { kind: string; files: { modified: string[] } };
      expect(change.kind).toBe('source_changed');
      expect(change.files.modified).toEqual([A]);
    } finally {
      db.close();
    }
  });

  it('state written by an older relspec ([path, size, mtime] tuples) loads; the rewrite is still seen', () => {
    const db = new Database(path.join(p.dir, 'state/relspec.sqlite'));
    try {
      const row = db.prepare("SELECT files FROM evidence WHERE name = 'src'").get() as { files: string };
      const legacy = (JSON.parse(row.files) as unknown[][]).map((t) => t.slice(0, 3));
      db.prepare("UPDATE evidence SET files = ? WHERE name = 'src'").run(JSON.stringify(legacy));
    } finally {
      db.close();
    }
    rewriteTouchR('k,v\n1,10\n2,40\n');
    const r = run();
    expect(r.code, r.out).toBe(0);
    expect(builtTotal(r.out), r.out).toBe(true);
    expect(sum()).toBe(80);
    // A clean build agrees.
    expect(readFileSync(A, 'utf8')).toBe('k,v\n1,10\n2,40\n');
    const clean = run('--full-refresh');
    expect(clean.code, clean.out).toBe(0);
    expect(sum()).toBe(80);
  });
});
