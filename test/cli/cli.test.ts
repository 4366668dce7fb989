import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrub, tempProject, type TempProject } from '../helpers/project.js';

let p: TempProject;
beforeAll(async () => {
  p = tempProject({
    'watch.config.ts': `export default { sources: { orders: { format: 'parquet', path: 'data/*.parquet' } } }`,
    'tasks/totals.sql': '-- @tags core\nselect customer_id, sum(amount) as total from orders group by all',
    'tasks/report/top.sql': '-- @output top\n-- @priority 10\nselect customer_id from totals order by total desc limit 3',
  });
  await p.parquet('data/orders.parquet', 'select range as id, range % 3 as customer_id, range * 1.5 as amount from range(10)');
});
afterAll(() => p.cleanup());

const run = (...args: string[]) => {
  const r = p.cli(args);
  return { ...r, stdout: scrub(r.stdout, p.dir), stderr: scrub(r.stderr, p.dir) };
};

describe('relspec CLI', () => {
  it('validate: exit 0 with a summary', () => {
    const r = run('validate');
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/signature \w+/, 'signature <sig>')).toMatchInlineSnapshot(`
      "ok: 1 source, 2 tasks, 2 outputs, 2 generations (critical path 2: totals → report.top)
      signature <sig>
      "
    `);
  });

  it('lineage --json lists inputs with sorted required columns', () => {
    const r = run('lineage', 'report.top', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.tasks[0]).toMatchObject({ task: 'report.top', output: 'top', inputs: { totals: ['customer_id', 'total'] }, notes: [] });
    expect(j.tasks[0].fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('graph --format json has nodes, edges with columns, generations', () => {
    const j = JSON.parse(run('graph', '--format', 'json').stdout);
    expect(j.generations).toEqual([['totals'], ['report.top']]);
    expect(j.edges).toContainEqual({ from: 'source:orders', to: 'task:totals', kind: 'requires', columns: ['amount', 'customer_id'] });
    expect(j.nodes.map((n: { id: string }) => n.id)).toEqual([
      'output:top',
      'output:totals',
      'source:orders',
      'task:report.top',
      'task:totals',
    ]);
  });

  it('graph --json is --format json; with another --format it is a usage error', () => {
    expect(JSON.parse(run('graph', '--json').stdout)).toEqual(JSON.parse(run('graph', '--format', 'json').stdout));
    const clash = run('graph', '--json', '--format', 'dot');
    expect(clash.code).toBe(2);
    expect(JSON.parse(clash.stdout)).toMatchObject({ error: { code: 'E_USAGE', message: '--json and --format dot disagree' } });
  });

  it('graph --select narrows to a selection', () => {
    const j = JSON.parse(run('graph', '--format', 'json', '--select', 'tag:core').stdout);
    expect(j.generations).toEqual([['totals']]);
  });

  it('lineage text output', () => {
    expect(run('lineage', 'totals').stdout).toMatchInlineSnapshot(`
      "totals → totals (table, totals.sql)
        fingerprint 35a19094731b5ba1
        reads orders: amount, customer_id
        columns customer_id BIGINT, total DECIMAL(38,1)
        key-scoped on customer_id
      "
    `);
  });

  it('a graph error exits 2 with one line per error', () => {
    p.write('tasks/bad.sql', 'select * from totalz');
    p.write('tasks/two.sql', 'select 1; select 2');
    try {
      const r = run('validate');
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('error'))).toMatchInlineSnapshot(`
        [
          "error E_UNKNOWN_TABLE <dir>/tasks/bad.sql: task bad reads unknown table 'totalz' — did you mean 'totals'? Or declare it as a source",
          "error E_TASK_SQL <dir>/tasks/two.sql: the task body has 2 statements — a task body is exactly one query (SELECT, WITH, FROM-first, VALUES, set operations); put DDL elsewhere",
        ]
      `);
    } finally {
      p.rm('tasks/bad.sql');
      p.rm('tasks/two.sql');
    }
  });

  it('a bad config exits 2 naming the file and the fix', () => {
    const r = run('validate', '--config', 'missing.config.ts');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'relspec: E_CONFIG_LOAD <dir>/missing.config.ts: config file not found — create missing.config.ts or pass --config PATH\n',
    );
  });

  it('usage errors exit 2', () => {
    expect(run('graph', '--format', 'png').code).toBe(2);
    expect(run('nonsense').code).toBe(2);
  });
});
