import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { catalogTasks } from '../../src/catalog/index.js';
import { Scratch } from '../../src/lineage/duck.js';
import { inferLineage, type LineageResult } from '../../src/lineage/infer.js';
import { CODE_TABLES, codeDataset, tableSchema } from '../../src/sources/code/tables.js';
import { formatKeyProof } from '../../src/format/keys.js';
import { parseHeader, type TaskSpec } from '../../src/catalog/index.js';
import type { LineageCache } from '../../src/lineage/cache.js';
import type { ParseResult } from '../../src/lineage/parse.js';
import type { ColumnLineage } from '../../src/lineage/types.js';

const TASKS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/cpg/tasks');

let scratch: Scratch;
let result: LineageResult;
beforeAll(async () => {
  scratch = await Scratch.open();
  const { tasks, errors } = await catalogTasks(TASKS);
  expect(errors).toEqual([]);
  // The code source's tables as the real source declares them (sources/code/tables.ts).
  const sources = CODE_TABLES.map((t) => [codeDataset('code', t), tableSchema(t)] as const);
  result = await inferLineage({ scratch, tasks, sourceNames: sources.map(([n]) => n), sourceSchemas: new Map(sources) });
  expect(result.errors).toEqual([]);
});
afterAll(() => scratch.close());

const proof = (task: string) => result.lineage.get(task)!.keys;

describe('the CPG example: per-file tasks are key-scoped on path', () => {
  it.each([
    ['norm.symbols', { 'code.symbols': ['path'] }],
    ['norm.occurrences', { 'code.references': ['path'], 'norm.symbols': ['path'] }],
    ['cpg_nodes', { 'code.files': ['path'], 'norm.symbols': ['path'] }],
    ['edges.calls', { 'code.calls': ['path'] }],
    ['edges.contains', { 'norm.symbols': ['path'] }],
    ['edges.defines', { 'norm.symbols': ['path'] }],
    ['edges.imports', { 'code.imports': ['path'] }],
    ['edges.references', { 'norm.occurrences': ['path'] }],
  ])('%s', (task, inputs) => {
    const p = proof(task);
    expect(p.keys.find((k) => k.columns.join() === 'path')).toEqual({ columns: ['path'], inputs });
    expect(p.reason).toBeUndefined();
  });

  it('the whole-graph analyses are not, and say why', () => {
    const text = Object.fromEntries(
      [...result.lineage.keys()]
        .filter((t) => t.startsWith('analysis.'))
        .sort()
        .map((t) => [t, formatKeyProof(proof(t))]),
    );
    expect(text).toEqual({
      // fan_in joins the nodes on edges' dst, fan_out on their src: two columns of one input.
      'analysis.fan_in_out': 'not key-scoped: id is not carried unchanged from cpg_edges',
      'analysis.import_cycles': 'not key-scoped: members is not carried unchanged from every input',
      'analysis.summary': 'not key-scoped: # is not carried unchanged from every input',
      'analysis.top_referenced': 'not key-scoped: LIMIT reads other keys',
      'analysis.type_only_import_cycles': 'not key-scoped: subquery not correlated on the key reads other keys',
      // Grouped by callee name: every row of one callee name comes from the calls with that name.
      'analysis.unresolved_calls': 'key-scoped on callee_name',
      // `s.id not in (select id from used)`: one NULL id in `used` would empty the result for every key.
      'analysis.unused_exports': 'not key-scoped: subquery not correlated on the key reads other keys',
    });
  });
});

/** The cache lineage keeps between processes, in memory (the SQLite one stores the same JSON). */
class MemoryCache implements LineageCache {
  parses = new Map<string, ParseResult>();
  columns = new Map<string, ColumnLineage>();
  getParse = (k: string) => this.parses.get(k);
  putParse = (k: string, r: ParseResult) => void this.parses.set(k, r);
  getColumns = (k: string) => this.columns.get(k);
  putColumns = (k: string, r: ColumnLineage) => void this.columns.set(k, JSON.parse(JSON.stringify(r)) as ColumnLineage);
}

const spec = (name: string, text: string): TaskSpec => {
  const h = parseHeader(text, name, `/p/tasks/${name}.sql`);
  return {
    name,
    file: `/p/tasks/${name}.sql`,
    relPath: `${name}.sql`,
    options: h.options,
    sql: h.sql,
    sqlLine: h.sqlLine,
    contentHash: name,
  };
};

describe('the key proof in the lineage phase', () => {
  it('is cached with column lineage; a @key edit re-proves without changing the plan fingerprint', async () => {
    const sources = new Map([
      [
        'src',
        [
          { name: 'path', type: 'VARCHAR' },
          { name: 'n', type: 'INTEGER' },
        ],
      ],
    ]);
    const cache = new MemoryCache();
    const sql = 'select path, sum(n) as total from src group by path';
    const infer = async (text: string) => {
      const s = await Scratch.open();
      try {
        return await inferLineage({ scratch: s, tasks: [spec('t', text)], sourceNames: ['src'], sourceSchemas: sources, cache });
      } finally {
        s.close();
      }
    };
    const cold = await infer(sql);
    const proven = { keys: [{ columns: ['path'], inputs: { src: ['path'] } }] };
    expect(cold.lineage.get('t')!.keys).toEqual(proven);
    const warm = await infer(sql);
    expect(warm.stats.columnCacheHits).toBe(1);
    expect(warm.lineage.get('t')!.keys).toEqual(proven);

    const declared = await infer(`-- @key total\n${sql}`);
    expect(declared.stats.columnCacheHits).toBe(0);
    expect(declared.parsed.get('t')!.fingerprint).toBe(cold.parsed.get('t')!.fingerprint);
    expect(declared.lineage.get('t')!.keys).toEqual({
      ...proven,
      declared: { columns: ['total'], proven: false, reason: { kind: 'not_passed_through', column: 'total' } },
    });
  });
});
