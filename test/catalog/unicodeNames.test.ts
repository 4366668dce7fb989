/**
 * Task names in any script (issue 11 item 11): `tasks/straße.sql` is the task and output `straße`
 * (DuckDB `main.straße`, always quoted), readable unquoted from other tasks; a name relspec cannot
 * use (a space) is one line stating the real rule. Real CLI processes on a temp tree.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';

let p: TempProject | undefined;
afterEach(() => p?.cleanup());

const json = <T>(r: { code: number; stdout: string; stderr: string }): T => {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

describe('non-ASCII task names', () => {
  it('straße, 日本, ü/café and a Delta größe: run, show, why, status, and an incremental rebuild', () => {
    p = tempProject({
      'watch.config.ts': "export default { sources: { a: { format: 'csv', path: 'data/a.csv' } } };\n",
      'data/a.csv': 'id,v\n1,2\n3,4\n',
      'tasks/straße.sql': 'select id::INTEGER as id, (v * 2)::INTEGER as w from a\n',
      'tasks/日本.sql': 'select sum(w)::INTEGER as s from straße\n',
      'tasks/ü/café.sql': 'select (s + 1)::INTEGER as t from "日本"\n',
      // A Delta output under a non-ASCII name (its directory is named after it); `Straße` is `straße`.
      'tasks/größe.sql': '-- @materialize delta\nselect id, w from Straße\n',
    });
    const run = json<{ status: string; tasks: { task: string; output: string; status: string }[] }>(p.cli(['run', '--json']));
    expect(run.status).toBe('ok');
    expect(run.tasks.map((t) => [t.task, t.output, t.status]).sort()).toEqual([
      ['größe', 'größe', 'built'],
      ['straße', 'straße', 'built'],
      ['ü.café', 'ü.café', 'built'],
      ['日本', '日本', 'built'],
    ]);
    expect(json<{ rows: unknown[] }>(p.cli(['show', '日本', '--json'])).rows).toEqual([{ s: 12 }]);
    expect(json<{ rows: unknown[] }>(p.cli(['show', 'ü.café', '--json'])).rows).toEqual([{ t: 13 }]);
    expect(json<{ rows: unknown[] }>(p.cli(['show', 'größe', '--json'])).rows).toEqual([
      { id: 1, w: 4 },
      { id: 3, w: 8 },
    ]);
    expect(p.cli(['delta', 'history', 'state/outputs/größe']).code).toBe(0);
    const why = p.cli(['why', 'straße']);
    expect(why.code).toBe(0);
    expect(why.stdout).toContain('straße was built in run 1 because:');
    expect(why.stdout).toContain('task straße added (tasks/straße.sql)');

    // A source change reaches every task through the non-ASCII names; status is fresh after it.
    p.write('data/a.csv', 'id,v\n1,2\n3,5\n');
    const again = json<{ tasks: { task: string; status: string }[] }>(p.cli(['run', '--json']));
    expect(
      again.tasks
        .filter((t) => t.status === 'built')
        .map((t) => t.task)
        .sort(),
    ).toEqual(['größe', 'straße', 'ü.café', '日本']);
    expect(json<{ rows: unknown[] }>(p.cli(['show', 'ü.café', '--json'])).rows).toEqual([{ t: 15 }]);
    const st = json<{ tasks: { task: string; state: string }[] }>(p.cli(['status', '--json']));
    expect(st.tasks.map((t) => [t.task, t.state]).sort()).toEqual([
      ['größe', 'fresh'],
      ['straße', 'fresh'],
      ['ü.café', 'fresh'],
      ['日本', 'fresh'],
    ]);
    const whyJp = p.cli(['why', '日本']);
    expect(whyJp.stdout).toMatch(/日本 was built in run 2 because:\n {2}input straße\(w\) changed/);
    // Distinct Mermaid ids for names that share no ASCII letter.
    const mermaid = p.cli(['graph', '--format', 'mermaid']).stdout;
    expect(new Set(mermaid.match(/task_\S+?\[/g)).size).toBe(4);
  });

  it('a file name with a space is one line stating the rule; the other tasks build', () => {
    p = tempProject({
      'watch.config.ts': "export default { sources: { a: { format: 'csv', path: 'data/a.csv' } } };\n",
      'data/a.csv': 'id,v\n1,2\n',
      'tasks/my task.sql': 'select 1 as x\n',
      'tasks/ok.sql': 'select v from a\n',
    });
    const r = p.cli(['run']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/OK +ok /);
    expect(r.stderr.trim().split('\n')).toEqual([
      `error E_TASK ${p.dir}/tasks/my task.sql: bad output name 'my task' (from the file path) — a name is NAME or SCHEMA.NAME, each part letters (any script), digits, _, $ and -, starting with a letter or _: rename the file (e.g. my_task.sql), or set \`-- @output NAME\``,
    ]);
    // The fix the message gives works.
    p.write('tasks/my task.sql', '-- @output my_task\nselect 1 as x\n');
    expect(p.cli(['run']).code).toBe(0);
    expect(json<{ rows: unknown[] }>(p.cli(['show', 'my_task', '--json'])).rows).toEqual([{ x: 1 }]);
  });
});
