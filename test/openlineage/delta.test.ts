import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { run } from '../../src/incremental/run.js';
import type { RunEvent } from '../../src/openlineage/index.js';
import type { RootChange } from '../../src/records/types.js';
import { commitInfo, metaData, protocol, remove, tableBuilder } from '../delta/builder.js';
import { tempProject } from '../helpers/project.js';
import { specPresent, specValidator } from './spec.js';

/** A Delta source (commits written by hand, parquet by DuckDB): its dataset is the table directory at the Delta version read. */
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

it('a Delta input: namespace file + table dir, datasetVersion is the Delta version, the delta_commits root', async () => {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  cleanups.push(() => {
    conn.closeSync();
    inst.closeSync();
  });
  const t = tableBuilder(conn);
  cleanups.push(t.cleanup);
  const rows = (k: number) => `select range::BIGINT as id, (range * ${k})::DOUBLE as price from range(4)`;
  t.log(0, [
    protocol(1, 2),
    metaData([
      ['id', 'long'],
      ['price', 'double'],
    ]),
    commitInfo('CREATE TABLE'),
    await t.file('p0.parquet', rows(1)),
  ]);
  const p = tempProject({
    'watch.config.ts': `export default { sources: { items: { format: 'delta', path: ${JSON.stringify(t.dir)} } }, openlineage: { file: 'ol.jsonl' } }`,
    'tasks/total.sql': 'select sum(price) as total from items',
  });
  cleanups.push(p.cleanup);
  const go = () => run({ configPath: 'watch.config.ts', cwd: p.dir });
  const events = () => {
    const f = path.join(p.dir, 'ol.jsonl');
    return existsSync(f)
      ? readFileSync(f, 'utf8')
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l) as RunEvent)
      : [];
  };
  expect((await go()).status).toBe('ok');
  t.log(1, [commitInfo('UPDATE'), remove('p0.parquet'), await t.file('p1.parquet', rows(2))]);
  expect((await go()).status).toBe('ok');

  const all = events();
  if (specPresent) {
    const validate = specValidator();
    expect(all.flatMap((e) => validate(e))).toEqual([]);
  }
  const [first, second] = all.filter((e) => e.eventType === 'COMPLETE');
  expect(first!.inputs[0]).toMatchObject({ namespace: 'file', name: t.dir, facets: { version: { datasetVersion: '0' } } });
  expect(second!.inputs[0]).toMatchObject({ namespace: 'file', name: t.dir, facets: { version: { datasetVersion: '1' } } });
  expect(second!.inputs[0]!.facets!.schema).toMatchObject({ fields: [{ name: 'id' }, { name: 'price' }] });
  expect(second!.job.namespace).toBe('relspec'); // the default
  const facet = second!.run.facets!.relspec_rebuild as unknown as { causes: { kind: string; root?: string }[]; roots: RootChange[] };
  expect(facet.causes).toMatchObject([{ kind: 'input_changed', input: 'items', columns: ['price'] }]);
  expect(facet.roots).toMatchObject([{ kind: 'delta_commits', source: 'items', fromVersion: 0, toVersion: 1 }]);
  expect(facet.roots[0]!.id).toBe(facet.causes[0]!.root);
});
