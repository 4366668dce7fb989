import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../src/incremental/run.js';
import type { RunEvent } from '../../src/openlineage/index.js';
import type { Cause, RootChange } from '../../src/records/types.js';
import { tempProject, type TempProject } from '../helpers/project.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ROOT } from '../helpers/project.js';
import { SPEC_DIR, specPresent, specValidator } from './spec.js';

let p: TempProject;
afterEach(() => p?.cleanup());

const config = (extra = '') => `export default {
  sources: { orders: { format: 'parquet', path: 'data/orders.parquet' } },
  openlineage: { file: 'lineage/events.jsonl', namespace: 'shop'${extra} },
}`;

/** orders → totals → report; broken fails (a column that does not exist at run time); notes reads only note. */
async function setup(extra = '') {
  p = tempProject({
    'watch.config.ts': config(extra),
    'tasks/totals.sql': 'select customer_id, sum(amount) as total from orders group by all',
    'tasks/report.sql': 'select customer_id, total * 2 as doubled from totals',
    'tasks/notes.sql': 'select id, note from orders',
    'tasks/broken.sql': "select id, cast(note as integer) as n from orders where note <> 'x'",
  });
  await orders();
}

const orders = (amount = 'range * 1.5') =>
  p.parquet(
    'data/orders.parquet',
    `select range as id, range % 3 as customer_id, (${amount})::DOUBLE as amount, 'n' || range as note from range(6)`,
  );

const go = () => run({ configPath: 'watch.config.ts', cwd: p.dir });
const events = (): RunEvent[] => {
  const f = path.join(p.dir, 'lineage/events.jsonl');
  return existsSync(f)
    ? readFileSync(f, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as RunEvent)
    : [];
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** relspec's own facet against the schema it names (docs/openlineage/), which builds on the spec's RunFacet. */
function rebuildValidator(): (facet: unknown) => string[] {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(JSON.parse(readFileSync(path.join(SPEC_DIR, 'OpenLineage.json'), 'utf8')) as object);
  const own = JSON.parse(readFileSync(path.join(ROOT, 'docs/openlineage/RelspecRebuildRunFacet.json'), 'utf8')) as { $id: string };
  ajv.addSchema(own);
  const v = ajv.getSchema(own.$id)!;
  return (facet) => (v({ relspec_rebuild: facet }) ? [] : [ajv.errorsText(v.errors)]);
}

/** Every event against the spec's RunEvent and facet schemas (../shared); without it, only the other assertions run. */
const validate = specPresent ? specValidator() : undefined;
const validateRebuild = specPresent ? rebuildValidator() : undefined;
function expectValid(all: RunEvent[]) {
  expect(all.length).toBeGreaterThan(0);
  if (validate) expect(all.flatMap((e) => validate(e).map((m) => `${e.job.name} ${e.eventType}: ${m}`))).toEqual([]);
  const own = all.filter((e) => e.run.facets?.relspec_rebuild);
  expect(own.length).toBeGreaterThan(0);
  for (const e of own) expect(e.run.facets!.relspec_rebuild!._schemaURL).toMatch(/RelspecRebuildRunFacet\.json#/);
  if (validateRebuild) expect(own.flatMap((e) => validateRebuild(e.run.facets!.relspec_rebuild))).toEqual([]);
}

interface Rebuild {
  causes: Cause[];
  roots: RootChange[];
  refresh: { mode: string };
  skipped?: { kind: string };
}
const rebuild = (e: RunEvent) => e.run.facets!.relspec_rebuild as unknown as Rebuild;

describe('OpenLineage events', () => {
  it('START and COMPLETE/FAIL per task, valid against the spec, with datasets, facets and causes', async () => {
    await setup();
    const out = await go();
    expect(out.status).toBe('failed');
    const all = events();
    expectValid(all);
    const by = (task: string) => all.filter((e) => e.job.name === task).map((e) => e.eventType);
    expect(by('totals')).toEqual(['START', 'COMPLETE']);
    expect(by('report')).toEqual(['START', 'COMPLETE']);
    expect(by('broken')).toEqual(['START', 'FAIL']);

    const [start, done] = all.filter((e) => e.job.name === 'totals');
    expect(start!.run.runId).toMatch(UUID);
    expect(done!.run.runId).toBe(start!.run.runId);
    expect(new Set(all.map((e) => e.run.runId)).size).toBe(all.length / 2);
    expect(done!.job.namespace).toBe('shop');
    expect(done!.producer).toMatch(/^https:\/\/github\.com\/relspec\/relspec\/tree\/v\d/);
    expect(done!.job.facets!.sql!.query).toContain('sum(amount)');

    // Inputs: the source file; outputs: the warehouse table, named the same where a later task reads it.
    expect(done!.inputs.map((d) => [d.namespace, d.name])).toEqual([['file', path.join(p.dir, 'data/orders.parquet')]]);
    const report = all.find((e) => e.job.name === 'report' && e.eventType === 'COMPLETE')!;
    expect(report.inputs[0]!.name).toBe(done!.outputs[0]!.name);
    expect(report.inputs[0]!.namespace).toBe(done!.outputs[0]!.namespace);
    expect(done!.outputs[0]!.facets!.schema!.fields).toEqual([
      { name: 'customer_id', type: 'BIGINT' },
      { name: 'total', type: 'DOUBLE' },
    ]);
    expect(typeof done!.inputs[0]!.facets!.version!.datasetVersion).toBe('string');
    // Column lineage: each output column from the columns totals requires of orders.
    const cl = done!.outputs[0]!.facets!.columnLineage as unknown as { fields: Record<string, { inputFields: { field: string }[] }> };
    expect(Object.keys(cl.fields)).toEqual(['customer_id', 'total']);
    expect(cl.fields.total!.inputFields.map((f) => f.field).sort()).toEqual(['amount', 'customer_id']);

    // The parent: the relspec run, the same id in every event of this run.
    const parents = new Set(all.map((e) => (e.run.facets!.parent as unknown as { run: { runId: string } }).run.runId));
    expect(parents.size).toBe(1);
    expect([...parents][0]).toMatch(UUID);

    expect(rebuild(done!).causes).toMatchObject([{ kind: 'new' }]);
    expect(rebuild(done!).roots).toMatchObject([{ kind: 'task_added', task: 'totals' }]);
    expect(start!.eventTime <= done!.eventTime).toBe(true);
    // totals groups by customer_id: key-scoped, built whole the first time, its 3 keys counted.
    expect(rebuild(done!).refresh).toEqual({ mode: 'full', key: ['customer_id'], of: 3, reason: { kind: 'first_build' } });
    const fail = all.find((e) => e.eventType === 'FAIL')!;
    expect(fail.run.facets!.errorMessage!.message).toMatch(/Conversion|convert|cast/i);
    expect(fail.run.facets!.errorMessage!.programmingLanguage).toBe('SQL');
  });

  it('a source edit: COMPLETE carries input_changed with from → to tokens and the root change; skipped tasks emit nothing', async () => {
    await setup();
    await go();
    const before = events().length;
    await orders('range * 2.5'); // amount changes; note and id do not
    const out = await go();
    const all = events().slice(before);
    expectValid(all);
    const totals = all.find((e) => e.job.name === 'totals' && e.eventType === 'COMPLETE')!;
    const r = rebuild(totals);
    const cause = r.causes.find((c) => c.kind === 'input_changed') as Extract<Cause, { kind: 'input_changed' }>;
    expect(cause).toMatchObject({ kind: 'input_changed', input: 'orders', columns: ['amount', 'customer_id'] });
    expect(cause.from).toMatch(/\S/);
    expect(cause.to).toMatch(/\S/);
    expect(cause.from).not.toBe(cause.to);
    expect(r.roots.map((c) => c.id)).toEqual([cause.root]);
    expect(r.roots[0]).toMatchObject({ kind: 'source_changed', source: 'orders' });
    // notes reads id and note only: cut off, and by default no event.
    expect(out.tasks.find((t) => t.task === 'notes')?.status).toBe('skipped');
    expect(all.filter((e) => e.job.name === 'notes')).toEqual([]);
    // The upstream run of report's cause is totals'.
    const report = rebuild(all.find((e) => e.job.name === 'report' && e.eventType === 'COMPLETE')!);
    expect(report.causes[0]).toMatchObject({ kind: 'input_changed', input: 'totals' });
  });

  it('emitSkipped: a cut-off task is one OTHER event with the cut-off reason', async () => {
    await setup(', emitSkipped: true');
    await go();
    const before = events().length;
    await orders('range * 2.5');
    await go();
    const all = events().slice(before);
    expectValid(all);
    const notes = all.filter((e) => e.job.name === 'notes');
    expect(notes.map((e) => e.eventType)).toEqual(['OTHER']);
    expect(rebuild(notes[0]!).skipped).toMatchObject({ kind: 'cut_off', inputs: [{ input: 'orders', columns: ['id', 'note'] }] });
  });

  it.skipIf(!specPresent)('the schema checks do catch a bad event and a bad relspec_rebuild facet', async () => {
    await setup();
    await go();
    const done = events().find((e) => e.eventType === 'COMPLETE')!;
    const badSchema = {
      ...done,
      outputs: [{ ...done.outputs[0]!, facets: { schema: { ...done.outputs[0]!.facets!.schema!, fields: 'x' } } }],
    };
    expect(validate!(badSchema).join()).toMatch(/schema/);
    expect(validateRebuild!({ ...done.run.facets!.relspec_rebuild!, causes: [{ kind: 'nope' }] }).length).toBeGreaterThan(0);
  });

  it('a dry run (plan) emits nothing', async () => {
    await setup();
    await run({ configPath: 'watch.config.ts', cwd: p.dir, dryRun: true });
    expect(events()).toEqual([]);
  });
});
