import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';

/**
 * Exit codes as the README states them (issue 16 part 5): a graph or config error exits 2 from
 * `run`, `plan` and `validate` alike; a task's own failure exits 1 from `run`.
 */
let p: TempProject;

beforeAll(async () => {
  p = tempProject({
    'watch.config.ts': `export default { sources: { raw: { format: 'parquet', path: 'data/*.parquet' } } };\n`,
    'tasks/ok.sql': 'select id from raw\n',
    'tasks/cy1.sql': 'select * from cy2\n',
    'tasks/cy2.sql': 'select * from cy1\n',
  });
  await p.parquet('data/raw.parquet', 'select range as id from range(3)');
});
afterAll(() => p?.cleanup());

it('a cycle exits 2 from run, plan and validate; the rest of the graph still builds', () => {
  expect(p.cli(['validate']).code).toBe(2);
  expect(p.cli(['plan']).code).toBe(2);
  const r = p.cli(['run', '--json']);
  expect(r.code).toBe(2);
  const out = JSON.parse(r.stdout) as { tasks: { task: string; status: string; errorCode?: string }[] };
  expect(out.tasks.map((t) => [t.task, t.status, t.errorCode ?? null]).sort()).toEqual([
    ['cy1', 'failed', 'E_GRAPH'],
    ['cy2', 'failed', 'E_GRAPH'],
    ['ok', 'built', null],
  ]);
  expect(p.cli(['run']).code).toBe(2);
});

it('a task whose SQL fails exits 1', () => {
  p.rm('tasks/cy1.sql');
  p.rm('tasks/cy2.sql');
  p.write('tasks/bad.sql', "select error('boom') as x from raw\n");
  const r = p.cli(['run', '--json']);
  expect(r.code).toBe(1);
  expect(p.cli(['validate']).code).toBe(0);
});
