import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scratch } from '../../src/lineage/duck.js';
import { parseMany } from '../../src/lineage/parse.js';
import { absentFileReads, resolveFileReads } from '../../src/lineage/taskFiles.js';
import { createTempTree, type TempTree } from '../helpers/tempTree.js';

let scratch: Scratch;
// One tree for the file: the tests add to it and read what earlier ones wrote.
let tree: TempTree;
let dir: string;
beforeAll(async () => {
  scratch = await Scratch.open();
  tree = createTempTree({}, { prefix: 'relspec-fr-' });
  dir = tree.root;
});
afterAll(() => {
  scratch.close();
  tree.dispose();
});

const facts = async (sql: string) => {
  const r = (await parseMany(scratch, [sql]))[0]!;
  if (!r.ok) throw new Error(r.message);
  return r.facts;
};

describe('file reads in the parse tree', () => {
  it('takes literal paths, lists of literals and globs as tracked reads', async () => {
    const f = await facts(
      "select * from read_csv('data/side.csv', header = true) a, read_parquet(['x.parquet', 'p/*.parquet']) b, read_text('n.txt') c, glob('g/*') d",
    );
    expect(f.fileCalls.map((c) => [c.fn, c.list, c.args.map((a) => a.value)])).toEqual([
      ['read_csv', false, ['data/side.csv']],
      ['read_parquet', true, ['x.parquet', 'p/*.parquet']],
      ['read_text', false, ['n.txt']],
      ['glob', false, ['g/*']],
    ]);
    expect(f.untracked).toEqual([]);
  });

  it.each([
    ["read_csv(getvariable('x'))", 'a variable'],
    ["read_csv('data/' || 'x.csv')", 'a concatenation'],
    ['read_parquet($1)', 'a prepared parameter'],
    ["read_json(['a.json', lower('B.json')])", 'a list with an expression'],
    ["query_table('t')", 'query_table'],
    ["read_csv('s3://bucket/x.csv')", 'a remote URL'],
  ])('makes %s (%s) untracked, naming the call', async (call) => {
    const f = await facts(`select * from ${call}`);
    expect(f.fileCalls).toEqual([]);
    expect(f.untracked).toHaveLength(1);
    expect(f.untracked[0]!.call).toBe(call);
  });

  it('finds volatile functions, keywords included, and not stable ones', async () => {
    const f = await facts(
      "select random(), now(), current_date, current_timestamp, uuid(), gen_random_uuid(), today(), abs(-1), upper('x') from t",
    );
    expect(f.volatile).toEqual(['current_date', 'current_timestamp', 'gen_random_uuid', 'now', 'random', 'today', 'uuid']);
    expect((await facts('select a, sum(b) from t group by a')).volatile).toEqual([]);
  });
});

describe('resolving file reads', () => {
  it('resolves against the config directory, expands globs sorted, and rewrites only the literals', async () => {
    mkdirSync(path.join(dir, 'p'), { recursive: true });
    for (const n of ['b.parquet', 'a.parquet', 'x[1].parquet']) writeFileSync(path.join(dir, 'p', n), '');
    mkdirSync(path.join(dir, 'state', 'p'), { recursive: true });
    const sql = "select 'p/*.parquet' as label, * from read_parquet('p/*.parquet') join read_csv('it''s é.csv') using (k)";
    const f = await facts(sql);
    const r = await resolveFileReads(sql, f.fileCalls, dir, [path.join(dir, 'state')]);
    expect(r.reads.map((x) => [x.glob, x.paths.map((p) => path.relative(dir, p))])).toEqual([
      [true, ['p/a.parquet', 'p/b.parquet', 'p/x[1].parquet']],
      [false, ["it's é.csv"]],
    ]);
    // The label literal is untouched; the read literals are absolute, the bracket escaped (duckLiteralPath).
    expect(r.execSql).toContain("select 'p/*.parquet' as label");
    expect(r.execSql).toContain(`read_parquet(['${dir}/p/a.parquet', '${dir}/p/b.parquet', '${dir}/p/x[[]1].parquet'])`);
    expect(r.execSql).toContain(`read_csv('${dir}/it''s é.csv')`);
  });

  it('never lists the state or output directories in a glob, and counts what it left out', async () => {
    mkdirSync(path.join(dir, 'state', 'outputs', 'o'), { recursive: true });
    writeFileSync(path.join(dir, 'state', 'outputs', 'o', 'part-0.parquet'), '');
    const sql = "select * from read_parquet('**/*.parquet')";
    const r = await resolveFileReads(sql, (await facts(sql)).fileCalls, dir, [path.join(dir, 'state')]);
    expect(r.reads[0]!.paths.map((p) => path.relative(dir, p))).toEqual(['p/a.parquet', 'p/b.parquet', 'p/x[1].parquet']);
    expect(r.reads[0]!.excluded).toBe(1);
    expect(absentFileReads(r.reads)).toEqual([]);
    const own = "select * from read_parquet('state/**/*.parquet')";
    const o = await resolveFileReads(own, (await facts(own)).fileCalls, dir, [path.join(dir, 'state')]);
    // Only relspec's own files: absent, so the task fails (E_TASK_FILE) instead of DuckDB reading them.
    expect(absentFileReads(o.reads).map((f) => [f.pattern, f.excluded])).toEqual([['state/**/*.parquet', 1]]);
  });

  it('leaves a glob that matches nothing as a pattern, so DuckDB names it', async () => {
    const sql = "select * from read_csv('none/*.csv')";
    const r = await resolveFileReads(sql, (await facts(sql)).fileCalls, dir, []);
    expect(r.reads[0]!.paths).toEqual([]);
    expect(r.execSql).toBe(`select * from read_csv('${dir}/none/*.csv')`);
  });
});
