import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';

/** Mermaid ids must be unique: `marts.notes` and `marts_notes` were merged into one node (issue 16 part 5). */
let p: TempProject;

beforeAll(async () => {
  p = tempProject({
    'watch.config.ts': `export default { sources: { raw: { format: 'parquet', path: 'data/*.parquet' } } };\n`,
    'tasks/marts/notes.sql': 'select id from raw\n',
    'tasks/marts_notes.sql': 'select id from marts.notes\n',
  });
  await p.parquet('data/raw.parquet', 'select range as id from range(3)');
});
afterAll(() => p?.cleanup());

it('keeps marts.notes and marts_notes apart', () => {
  const r = p.cli(['graph', '--format', 'mermaid']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const nodes = r.stdout.split('\n').filter((l) => /^ {2}\S+\[/.test(l));
  const ids = nodes.map((l) => l.trim().split(/[[(/]/)[0]);
  expect(new Set(ids).size).toBe(ids.length);
  expect(nodes.map((l) => /"(.*)"/.exec(l)![1]).sort()).toEqual(['marts.notes', 'marts.notes', 'marts_notes', 'marts_notes', 'raw']);
  // marts.notes feeds marts_notes: the edge joins the two distinct output and task nodes.
  const edges = r.stdout.split('\n').filter((l) => l.includes('-->'));
  expect(edges.every((l) => new Set(l.trim().split(/\s+-->(?:\|[^|]*\|)?\s+/)).size === 2)).toBe(true);
  expect(edges).toHaveLength(4);
});
