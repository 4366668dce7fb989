import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { duckLiteralPath } from '../../src/sources/files.js';
import { CLI, withDuck } from '../helpers/project.js';
import { useTempTree } from '../helpers/tempTree.js';

/**
 * Files are read as literal paths (docs/ARCHITECTURE.md "Change detection for files"): DuckDB re-globs every path
 * holding `*`, `?` or `[`, even in an explicit list, so `a[1].csv` used to read `a1.csv`. Real files,
 * real DuckDB, real CLI processes; a whole project in a directory named `proj [1] é`. Needs `npx tsc`.
 */

const CORPUS_TABLE = '/work/shared/delta-corpus/dat-v0.0.3/basic_partitioned/delta';
/** A scratch directory, deleted when the test finishes. */
const scratch = (): string => useTempTree({}, { prefix: 'relspec-literal-' }).root;
function write(dir: string, rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  writeFileSync(path.join(dir, rel), text);
}
function cli(cwd: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
function show(cwd: string, name: string): Record<string, string>[] {
  const r = cli(cwd, ['show', name, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { rows: Record<string, string>[] }).rows;
}

/** Names that DuckDB would glob, or that break naive quoting, each holding a distinct power of two. */
const NAMES = [
  'a[1].csv',
  'a1.csv',
  'x*.csv',
  'xy.csv',
  'q?.csv',
  'qz.csv',
  '{a,b}.csv',
  'a.csv',
  'sp ace.csv',
  'straße.csv',
  '日本.csv',
  "it's.csv",
  'a]b.csv',
  'a[!1].csv',
];

describe('duckLiteralPath', () => {
  it('each name reads exactly its own file, in a directory whose name holds brackets too', async () => {
    const dir = path.join(scratch(), 't[1] é');
    NAMES.forEach((n, i) => write(dir, n, `k\n${i}\n`));
    write(dir, '.h[1].csv', 'k\n99\n');
    await withDuck(async (c) => {
      for (const [i, n] of [...NAMES.entries(), [99, '.h[1].csv'] as const]) {
        const rows = (
          await c.runAndReadAll(`SELECT k, filename FROM read_csv([${duckLiteralPath(path.join(dir, n))}], filename = true)`)
        ).getRows();
        expect(
          rows.map((r) => [Number(r[0]), r[1]]),
          n,
        ).toEqual([[i, path.join(dir, n)]]);
      }
    });
  });
});

describe('file sources over names with glob characters', () => {
  it('data/*.csv over a[1].csv and a1.csv (and friends) reads each file once, incrementally too', () => {
    const dir = scratch();
    write(dir, 'watch.config.ts', `export default { sources: { src: { format: 'csv', path: 'data/*.csv' } } };\n`);
    write(dir, 'tasks/total.sql', '-- @materialize table\nselect sum(k)::bigint as s, count(*) as n from src\n');
    NAMES.forEach((n, i) => write(dir, `data/${n}`, `k\n${2 ** i}\n`));
    let r = cli(dir, ['run']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const all = NAMES.reduce((s, _n, i) => s + 2 ** i, 0);
    expect(show(dir, 'total')).toEqual([{ s: String(all), n: String(NAMES.length) }]);
    // Only a[1].csv changes: the sum moves by exactly its delta (a1.csv is not read in its place).
    write(dir, 'data/a[1].csv', 'k\n1000\n');
    r = cli(dir, ['run']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(show(dir, 'total')).toEqual([{ s: String(all - 1 + 1000), n: String(NAMES.length) }]);
  });

  // DuckDB 1.5's window_self_join rewrite re-globbed the expanded names (src/engine/duckOptions.ts):
  // a window over p[1].parquet read p1.parquet in its place. Each file holds a distinct power of
  // two, so the window's total says exactly which files were read.
  it('a window PARTITION BY over p[1].parquet and p1.parquet (and friends) reads each file once', async () => {
    const dir = scratch();
    const names = NAMES.map((n) => n.replace(/\.csv$/, '.parquet'));
    write(dir, 'watch.config.ts', `export default { sources: { src: { format: 'parquet', path: 'data/*.parquet' } } };\n`);
    write(dir, 'tasks/win.sql', '-- @materialize table\nselect distinct g, (sum(k) over (partition by g))::bigint as s from src\n');
    mkdirSync(path.join(dir, 'data'));
    await withDuck(async (c) => {
      for (const [i, n] of names.entries()) {
        await c.run(
          `COPY (SELECT ${2 ** i}::BIGINT AS k, 'x' AS g) TO '${path.join(dir, 'data', n).replace(/'/g, "''")}' (FORMAT parquet)`,
        );
      }
    });
    const all = String(names.reduce((s, _n, i) => s + 2 ** i, 0));
    const r = cli(dir, ['run']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(show(dir, 'win')).toEqual([{ g: 'x', s: all }]);
    const q = cli(dir, ['query', 'select (sum(k) over (partition by g))::bigint as s from src limit 1', '--json']);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toContain(all);
  });

  it('a whole project in `proj [1] é`: config, state, a Delta source in `t[1] x`, a Delta output — equal to the same project elsewhere', () => {
    const build = (root: string, lake: string) => {
      write(
        root,
        'watch.config.ts',
        `export default { sources: { src: { format: 'csv', path: 'data/*.csv' }, lake: { format: 'delta', path: ${JSON.stringify(lake)} } } };\n`,
      );
      write(root, 'tasks/total.sql', '-- @materialize delta\nselect sum(k)::bigint as s, count(*) as n from src\n');
      write(
        root,
        'tasks/letters.sql',
        '-- @materialize delta\nselect letter, count(*) as n, sum(number)::bigint as s from lake group by letter\n',
      );
      write(root, 'tasks/both.sql', 'select t.s, l.letter, l.n from total t, letters l\n');
      write(root, 'data/a[1].csv', 'k\n1\n');
      write(root, 'data/a1.csv', 'k\n2\n');
      write(root, 'data/b c.csv', 'k\n4\n');
      cpSync(CORPUS_TABLE, path.join(root, lake), { recursive: true });
      const r = cli(root, ['run']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      return { total: show(root, 'total'), letters: show(root, 'letters'), both: show(root, 'both') };
    };
    const odd = path.join(scratch(), 'proj [1] é');
    const plain = path.join(scratch(), 'plain');
    const a = build(odd, 't[1] x');
    const b = build(plain, 'lake');
    expect(a.total).toEqual([{ s: '7', n: '3' }]);
    expect(a).toEqual(b);
    expect(a.letters.length).toBeGreaterThan(0);
    // Incremental in the odd project: a change to the bracketed file is seen and read as itself.
    write(odd, 'data/a[1].csv', 'k\n8\n');
    const r = cli(odd, ['run']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(show(odd, 'total')).toEqual([{ s: '14', n: '3' }]);
    const st = cli(odd, ['status', '--json']);
    expect(st.code, st.stderr).toBe(0);
    expect((JSON.parse(st.stdout) as { tasks: { state: string }[] }).tasks.every((t) => t.state === 'fresh')).toBe(true);
  });

  it('a code source in `cp [1] é` reads its own files, not those of a sibling `cp 1 é`; a path naming `a[1].csv` reads that file', () => {
    const base = scratch();
    const dir = path.join(base, 'cp [1] é');
    write(
      dir,
      'watch.config.ts',
      `export default { sources: { code: { format: 'code', path: 'src/**/*.ts' }, one: { format: 'csv', path: 'data/a[1].csv' } } };\n`,
    );
    write(
      dir,
      'tasks/n.sql',
      "-- @materialize table\nselect count(*) as n, string_agg(name, ',' order by name) as names from code.symbols where kind = 'function'\n",
    );
    write(dir, 'tasks/first.sql', '-- @materialize table\nselect sum(k)::bigint as s from one\n');
    write(dir, 'src/a.ts', 'export function mine(): number {\n  return 1;\n}\n');
    write(dir, 'data/a[1].csv', 'k\n1\n');
    write(dir, 'data/a1.csv', 'k\n2\n');
    // The directory the unescaped pattern `cp [1] é` would match as a character class.
    write(path.join(base, 'cp 1 é'), 'src/b.ts', 'export function decoy(): number {\n  return 2;\n}\n');
    const r = cli(dir, ['run']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(show(dir, 'n')).toEqual([{ n: '1', names: 'mine' }]);
    expect(show(dir, 'first')).toEqual([{ s: '1' }]);
  });
});
