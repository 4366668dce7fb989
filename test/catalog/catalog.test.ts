import { afterEach, describe, expect, it } from 'vitest';
import { catalogTasks, parseHeader, taskNameOf } from '../../src/catalog/index.js';
import { type RelspecError } from '../../src/errors.js';
import { tempProject, type TempProject } from '../helpers/project.js';

let p: TempProject | undefined;
afterEach(() => p?.cleanup());

describe('task catalog', () => {
  it('names tasks by path, dots for slashes', () => {
    expect(taskNameOf('edges/calls.sql')).toBe('edges.calls');
    expect(taskNameOf('files.sql')).toBe('files');
  });

  it('reads header options with defaults', async () => {
    p = tempProject({
      'tasks/a.sql': 'select 1 as x',
      'tasks/edges/calls.sql': [
        '-- @materialize view',
        '-- a plain comment between options',
        '-- @output cpg_edges',
        '-- @priority 5',
        '-- @tags edges, cpg',
        '-- @description Call edges',
        '-- @volatile',
        '',
        'select 1 as x',
      ].join('\n'),
    });
    const { tasks, errors } = await catalogTasks(`${p.dir}/tasks`);
    expect(errors).toEqual([]);
    expect(tasks.map((t) => [t.name, t.relPath, t.options])).toEqual([
      ['a', 'a.sql', { materialize: 'table', output: 'a', priority: 100, tags: [], description: undefined, volatile: false }],
      [
        'edges.calls',
        'edges/calls.sql',
        { materialize: 'view', output: 'cpg_edges', priority: 5, tags: ['cpg', 'edges'], description: 'Call edges', volatile: true },
      ],
    ]);
    expect(tasks[1]!.sqlLine).toBe(9);
  });

  it('defaults the output of a nested task to its dotted name (schema.table)', () => {
    expect(parseHeader('select 1', 'edges.calls', 'f.sql').options.output).toBe('edges.calls');
    expect(parseHeader('select 1', 'main.files', 'f.sql').options.output).toBe('files');
  });

  it.each([
    ['-- @materialize tabel\nselect 1', /bad @materialize 'tabel' on line 1 — use one of table, view, delta/],
    ['-- @priority high\nselect 1', /bad @priority 'high'/],
    ['-- @colour red\nselect 1', /unknown header option '@colour' on line 1/],
    ['-- @output a\n-- @output b\nselect 1', /header option '@output' given twice \(line 1 and 2\)/],
    ['-- @output my table\nselect 1', /bad output name 'my table'/],
  ])('rejects bad header %#', (text, msg) => {
    let line = '';
    try {
      parseHeader(text, 't', '/x/t.sql');
    } catch (e) {
      line = (e as RelspecError).oneLine();
    }
    expect(line).toMatch(msg);
    expect(line).toContain('/x/t.sql');
  });

  it('collects file errors and keeps loading the rest', async () => {
    p = tempProject({
      'tasks/empty.sql': '-- @tags x\n-- nothing here\n',
      'tasks/ok.sql': 'select 1 as x',
      'tasks/a/b.sql': 'select 1 as x',
      'tasks/a.b.sql': 'select 2 as x',
      'tasks/deep/er/c.sql': 'select 1 as x',
    });
    const { tasks, errors } = await catalogTasks(`${p.dir}/tasks`);
    // A file with a usable name stays in the catalog (failed by its error), so an edit that breaks a
    // task keeps its output; a duplicate or an unusable name does not.
    expect(tasks.map((t) => t.name)).toEqual(['a.b', 'empty', 'ok']);
    const lines = errors.map((e) => (e as RelspecError).oneLine().replace(p!.dir, '<dir>'));
    expect(lines).toMatchInlineSnapshot(`
      [
        "E_TASK <dir>/tasks/a/b.sql: duplicate task name 'a.b' (also a.b.sql) — rename one of the files; names come from paths, case and \`.SQL\` included",
        "E_TASK <dir>/tasks/deep/er/c.sql: bad output name 'deep.er.c' (from the file path) — nest task files at most one directory deep (the directory is the schema), or set \`-- @output NAME\`",
        "E_TASK_SQL <dir>/tasks/empty.sql: task file has no SQL — write one SELECT query, or delete the file",
      ]
    `);
  });

  it('a missing tasks directory is a clear error', async () => {
    await expect(catalogTasks('/nonexistent/tasks')).rejects.toThrow(/tasks directory not found/);
  });
});
