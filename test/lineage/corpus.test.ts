import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskSpec } from '../../src/catalog/types.js';
import { Scratch } from '../../src/lineage/duck.js';
import { inferLineage, type LineageResult } from '../../src/lineage/infer.js';
import type { Column } from '../../src/lineage/types.js';
import { corpusSchemas, lineageCorpus } from '../fixtures/lineage-corpus.js';

const spec = (id: string, sql: string): TaskSpec => ({
  name: id.replace(/[^A-Za-z0-9_]/g, '_'),
  file: `/corpus/${id}.sql`,
  relPath: `${id}.sql`,
  options: {
    materialize: 'table',
    output: `out_${id.replace(/[^A-Za-z0-9_]/g, '_')}`,
    priority: 100,
    tags: [],
    description: undefined,
    volatile: false,
  },
  sql,
  sqlLine: 1,
  contentHash: id,
});

const sourceSchemas = new Map<string, Column[]>(
  Object.entries(corpusSchemas).map(([t, cols]) => [t, Object.entries(cols).map(([name, type]) => ({ name, type }))]),
);

const results: Record<'plan' | 'explain', LineageResult | undefined> = { plan: undefined, explain: undefined };
let scratch: Scratch;

beforeAll(async () => {
  for (const strategy of ['plan', 'explain'] as const) {
    scratch = await Scratch.open();
    results[strategy] = await inferLineage({
      scratch,
      tasks: lineageCorpus.map((c) => spec(c.id, c.sql)),
      sourceNames: [...sourceSchemas.keys()],
      sourceSchemas,
      strategy,
    });
    scratch.close();
  }
});

const tally = () => ({ tablesRight: 0, missing: 0, exact: 0, over: [] as string[] });
const summary = { plan: tally(), explain: tally() };
afterAll(() => {
  for (const s of ['plan', 'explain'] as const) {
    console.log(
      `lineage corpus [${s}]: ${lineageCorpus.length} queries; input tables right ${summary[s].tablesRight}/${lineageCorpus.length}; ` +
        `missing columns ${summary[s].missing}; exact ${summary[s].exact}/${lineageCorpus.length}; unexpected over-approximation: ${summary[s].over.join(', ') || 'none'}`,
    );
  }
});

describe.each(['plan', 'explain'] as const)('lineage corpus (%s strategy)', (strategy) => {
  it.each(lineageCorpus.map((c) => [c.id, c] as const))('%s', (_, c) => {
    const r = results[strategy]!;
    const name = spec(c.id, c.sql).name;
    expect(r.errors.filter((e) => e.file === `/corpus/${c.id}.sql`).map((e) => e.message)).toEqual([]);
    const got = r.lineage.get(name);
    expect(got, `no lineage for ${c.id}`).toBeDefined();
    // Input tables: exactly right.
    const tablesRight = JSON.stringify(Object.keys(got!.inputs).sort()) === JSON.stringify(Object.keys(c.inputs).sort());
    if (tablesRight) summary[strategy].tablesRight++;
    const missing = Object.entries(c.inputs).flatMap(([t, want]) => want.filter((col) => !(got!.inputs[t] ?? []).includes(col)));
    summary[strategy].missing += missing.length;
    expect(Object.keys(got!.inputs).sort()).toEqual(Object.keys(c.inputs).sort());
    let exact = true;
    for (const [table, want] of Object.entries(c.inputs)) {
      const have = got!.inputs[table]!;
      // Never under-approximate: every required column is there.
      expect(
        want.filter((col) => !have.includes(col)),
        `${c.id}: missing columns of ${table}`,
      ).toEqual([]);
      if (have.length !== want.length) {
        exact = false;
        if (
          !(c.overApproxOk ?? []).includes(table) &&
          !got!.notes.some((n) => n.startsWith(`${table}: all columns`)) &&
          !c.note?.includes('dynamic')
        ) {
          summary[strategy].over.push(`${c.id}(${table}+${have.filter((x) => !want.includes(x)).join('/')})`);
        }
      }
    }
    if (exact) summary[strategy].exact++;
  });
});
