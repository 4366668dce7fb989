import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';

/**
 * The config's fingerprint is the resolved config, not the file's text (issue 16 part 5): a comment,
 * a reformat or reordered keys are not a `config_edited` root change; a changed value is.
 */
let p: TempProject;

const runJson = () => {
  const r = p.cli(['run', '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as { changes: { kind: string; from?: string; to?: string }[] };
};
const kinds = (o: { changes: { kind: string }[] }) => o.changes.map((c) => c.kind);

beforeAll(async () => {
  p = tempProject({
    'watch.config.ts': `export default { sources: { orders: { format: 'parquet', path: 'data/*.parquet' } }, watch: { debounceMs: 100 } };\n`,
    'tasks/a.sql': 'select count(*) as n from orders\n',
  });
  await p.parquet('data/orders.parquet', 'select range as id from range(5)');
  expect(kinds(runJson())).toContain('task_added');
});
afterAll(() => p?.cleanup());

it('a comment, a reformat and reordered keys are not a config edit', () => {
  p.write(
    'watch.config.ts',
    `// the orders feed\nexport default {\n  watch: { debounceMs: 100 },\n  sources: {\n    orders: { path: 'data/*.parquet', format: 'parquet' }, // nightly\n  },\n};\n`,
  );
  expect(kinds(runJson())).toEqual([]);
});

it('settings that change no output (watch, openlineage, state.keepRuns) are not a config edit', () => {
  p.write(
    'watch.config.ts',
    `export default { sources: { orders: { format: 'parquet', path: 'data/*.parquet' } }, watch: { debounceMs: 250 }, openlineage: { file: 'ol.jsonl' }, state: { dir: 'state', keepRuns: 5 } };\n`,
  );
  expect(kinds(runJson())).toEqual([]);
});

it('a changed value is, with the old and new fingerprints', () => {
  p.write(
    'watch.config.ts',
    `export default { sources: { orders: { format: 'parquet', path: 'data/*.parquet' } }, engine: { threads: 1 } };\n`,
  );
  const out = runJson();
  expect(kinds(out)).toEqual(['config_edited']);
  const [c] = out.changes;
  expect(c!.from).toMatch(/^[0-9a-f]{16}$/);
  expect(c!.to).not.toBe(c!.from);
});
