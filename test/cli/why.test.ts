import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRoot } from '../../src/format/why.js';
import { scrub, tempProject, type TempProject } from '../helpers/project.js';

/**
 * `relspec why | status | history` against a real project and real runs, each CLI call a separate
 * process reading the state database read-only. (Run `npm run build` first: the CLI runs from dist/.)
 *
 *   orders.parquet → a (customer_id, total) → b
 */
let p: TempProject;

const writeOrders = (amount = 'range * 1.5', note = "'n' || range") =>
  p.parquet(
    'data/orders.parquet',
    `select range as id, range % 3 as customer_id, (${amount})::DOUBLE as amount, ${note} as note from range(10)`,
  );

const cli = (...args: string[]) => {
  const r = p.cli(args);
  return { ...r, stdout: scrub(r.stdout, p.dir), stderr: scrub(r.stderr, p.dir) };
};
const json = (...args: string[]) => {
  const r = cli(...args, '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};
/** Change tokens (`10 rows #a1b2c3d4`) and fingerprints vary with DuckDB's hash: scrub them, keeping the row count. */
const scrubIds = (s: string) => s.replace(/ #[0-9a-f]{8}\b/g, ' #<tok>').replace(/\b[0-9a-f]{12}\b/g, '<fp>');
const runCli = (...args: string[]) => cli('run', ...args);

beforeAll(async () => {
  p = tempProject({
    'watch.config.ts': `export default { sources: { orders: { format: 'parquet', path: 'data/*.parquet' } } }`,
    'tasks/a.sql': 'select customer_id, sum(amount) as total\nfrom orders\ngroup by all\n',
    'tasks/b.sql': 'select customer_id, total * 2 as t2 from a\n',
  });
  await writeOrders();
});
afterAll(() => p.cleanup());

describe('relspec why / status / history', () => {
  it('before any run: a one-line E_STATE error, exit 2', () => {
    for (const cmd of [['why', 'a'], ['status'], ['history']]) {
      const r = cli(...cmd);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('relspec: E_STATE <dir>/state/relspec.sqlite: no runs yet — run `relspec run` first\n');
    }
  });

  it('run 1 builds both; why explains them as new', () => {
    expect(runCli().code).toBe(0);
    expect(scrubIds(cli('why', 'b').stdout)).toMatchInlineSnapshot(`
      "b was built in run 1 because:
        new task
          ← task b added (tasks/b.sql)
      "
    `);
  });

  it('why b follows the input change to a, then to the source change with its file', async () => {
    await writeOrders('range * 2.5');
    expect(runCli().code).toBe(0);
    const j = json('why', 'b');
    expect(j).toMatchObject({ target: 'b', task: 'b', runId: 2, status: 'built' });
    expect(j.causes).toHaveLength(1);
    const c = j.causes[0];
    expect(c).toMatchObject({ kind: 'input_changed', input: 'a', columns: ['customer_id', 'total'] });
    expect(c.from).toMatch(/^3:/);
    expect(c.to).toMatch(/^3:/);
    expect(c.from).not.toBe(c.to);
    expect(c.upstream).toMatchObject({ task: 'a', runId: 2, status: 'built' });
    const up = c.upstream.causes[0];
    expect(up).toMatchObject({ kind: 'input_changed', input: 'orders', columns: ['amount', 'customer_id'] });
    expect(up.root).toMatchObject({ kind: 'source_changed', source: 'orders', fromVersion: 1, toVersion: 2, runId: 2 });
    expect(up.root.id).toMatch(/^source:orders@2:/);
    expect(up.root.files.modified).toEqual(['<dir>/data/orders.parquet']);

    expect(scrubIds(cli('why', 'b').stdout)).toMatchInlineSnapshot(`
      "b was built in run 2 because:
        input a(customer_id, total) changed 3 rows #<tok> → 3 rows #<tok>
          ← a was built in run 2 because:
            input orders(amount, customer_id) changed 10 rows #<tok> → 10 rows #<tok>
              ← source orders changed: version 1 → 2 (modified data/orders.parquet)
            refreshed in full: no change rows for input orders
        refreshed in full: no change rows for input a
      "
    `);
  });

  it('why not: a change in a column nobody reads is cut off at the source', async () => {
    await writeOrders('range * 2.5', "'changed' || range");
    expect(runCli().code).toBe(0);
    const a = json('why', 'a');
    expect(a).toMatchObject({ task: 'a', runId: 3, status: 'skipped', lastBuiltRun: 2 });
    expect(a.cutoff).toMatchObject([
      { input: 'orders', columns: ['amount', 'customer_id'], root: { kind: 'source_changed', toVersion: 3 } },
    ]);
    expect(scrubIds(cli('why', 'b').stdout)).toMatchInlineSnapshot(`
      "b was not rebuilt in run 3: up to date since run 2 (its last build)
      (\`relspec why b --run 2\` explains that build)
      "
    `);
  });

  it('why not: up to date since its last build when nothing reached it', () => {
    expect(runCli().code).toBe(0);
    const r = cli('why', 'b');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatchInlineSnapshot(`
      "b was not rebuilt in run 4: up to date since run 2 (its last build)
      (\`relspec why b --run 2\` explains that build)
      "
    `);
    expect(json('why', 'b')).toMatchObject({ runId: 4, status: 'unaffected', lastBuiltRun: 2, causes: [] });
    // --run N explains an earlier run.
    expect(json('why', 'b', '--run', '2')).toMatchObject({ runId: 2, status: 'built', causes: [{ kind: 'input_changed', input: 'a' }] });
  });

  it('why a after an SQL edit: plan_changed with the task edit, and the diff when both texts are recorded', () => {
    p.write('tasks/a.sql', 'select customer_id, sum(amount) as total\nfrom orders\nwhere amount >= 0\ngroup by all\n');
    expect(runCli().code).toBe(0);
    const j = json('why', 'a');
    expect(j).toMatchObject({ task: 'a', runId: 5, status: 'built' });
    const c = j.causes.find((x: { kind: string }) => x.kind === 'plan_changed');
    expect(c.root).toMatchObject({ kind: 'task_edited', task: 'a', file: '<dir>/tasks/a.sql', runId: 5 });
    expect(c.root.fromFingerprint).toBe(c.from);
    expect(c.root.toFingerprint).toBe(c.to);
    const text = scrubIds(cli('why', 'a').stdout);
    if (c.root.fromSql !== undefined) {
      // observe records the SQL on both sides of the edit.
      expect(c.diff).toContain('+where amount >= 0');
      expect(text).toContain('      +where amount >= 0\n');
    } else {
      // The SQL before the edit is gone once the task is rebuilt (traces and tasks hold the new text).
      expect(c.diff).toBeUndefined();
      expect(text).toContain('(no diff: the previous SQL was not recorded)');
    }
    expect(text.split('\n').slice(0, 3)).toEqual([
      'a was built in run 5 because:',
      '  plan changed <fp> → <fp>',
      '    ← task a edited (tasks/a.sql)',
    ]);
  });

  it('a failing edit shows the diff against the SQL of the last build', () => {
    p.write('tasks/a.sql', "select customer_id, sum(amount) as total\nfrom orders\nwhere error('boom') is null\ngroup by all\n");
    try {
      expect(runCli().code).toBe(1);
      const j = json('why', 'a');
      expect(j).toMatchObject({ task: 'a', runId: 6, status: 'failed', lastBuiltRun: 5 });
      expect(j.error).toContain('boom');
      expect(j.causes[0].diff).toContain("+where error('boom') is null");
      expect(json('why', 'b')).toMatchObject({
        status: 'blocked',
        reason: { kind: 'upstream', task: 'a', status: 'failed' },
        blockedBy: [{ task: 'a', status: 'failed' }],
      });
      const text = scrubIds(cli('why', 'a').stdout).replace(/run 6: .*boom( — fix the query.*?retries)?/, 'run 6: <error>');
      expect(text).toMatchInlineSnapshot(`
        "a failed in run 6: <error> — it was being rebuilt because:
          plan changed <fp> → <fp>
            ← task a edited (tasks/a.sql)
              --- a@<fp>
              +++ a@<fp>
              @@ -1,4 +1,4 @@
               select customer_id, sum(amount) as total
               from orders
              -where amount >= 0
              +where error('boom') is null
               group by all
          pending (observed, not yet verified): task:a@<fp>
        (\`relspec why a --run 5\` explains that build)
        "
      `);
    } finally {
      p.write('tasks/a.sql', 'select customer_id, sum(amount) as total\nfrom orders\nwhere amount >= 0\ngroup by all\n');
    }
  });

  it('status: stale for a failing task, fresh otherwise', () => {
    // Run 7: a is back to its last built SQL; c fails at run time.
    p.write('tasks/c.sql', "select customer_id, error('no good') as x from b\n");
    expect(runCli().code).toBe(1);
    const s = json('status');
    expect(s.runId).toBe(7);
    expect(s.tasks.map((t: Record<string, unknown>) => [t.task, t.output, t.lastStatus, t.state])).toEqual([
      ['a', 'a', 'built', 'fresh'],
      ['b', 'b', 'skipped', 'fresh'],
      ['c', 'c', 'failed', 'stale'],
    ]);
    expect(s.tasks[0]).toMatchObject({ lastBuiltRun: 7, lastRun: 7, pendingChanges: [] });
    expect(s.tasks[1]).toMatchObject({ lastBuiltRun: 2, lastRun: 7, pendingChanges: [] });
    expect(s.tasks[2].pendingChanges).toContainEqual(expect.stringMatching(/^task:c@/));
    expect(s.tasks[2]).toMatchObject({ lastBuiltRun: null, lastRun: 7, reason: { kind: 'failed', runId: 7 } });
    const text = cli('status');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatchInlineSnapshot(`
      "TASK  OUTPUT  LAST BUILT  LAST STATUS      STATE
      a     a       run 7       built (run 7)    fresh
      b     b       run 2       skipped (run 7)  fresh
      c     c       -           failed (run 7)   stale: failed in run 7
      3 tasks: 2 fresh, 1 stale (as of run 7)
      "
    `);
  });

  it('history --limit 2 lists the last two runs, newest first', () => {
    const j = json('history', '--limit', '2');
    expect(j.runs.map((r: { runId: number }) => r.runId)).toEqual([7, 6]);
    expect(j.runs[0]).toMatchObject({ trigger: 'cli', status: 'failed', summary: { failed: 1 } });
    expect(j.runs[0].changes).toContainEqual(expect.stringMatching(/^task:c@/));
    expect(j.runs[0].graphSignature).toMatch(/^[0-9a-f]+$/);
    expect(j.runs[0].durationMs).toBeGreaterThanOrEqual(0);
    const text = cli('history', '--limit', '2')
      .stdout.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')
      .replace(/\d+\.\d\ds/g, '<dur>');
    expect(scrubIds(text)).toMatchInlineSnapshot(`
      "run 7  failed  cli  <time>  <dur>  built=1 skipped=1 failed=1 blocked=0  sig <fp>
        changes: task:a@<fp>#r7, task:c@<fp>
      run 6  failed  cli  <time>  <dur>  built=0 skipped=0 failed=1 blocked=1  sig <fp>
        changes: task:a@<fp>
      "
    `);
    expect(cli('history', '--limit', '0').code).toBe(2);
  });

  it('why on an unknown name exits 2 naming close matches', () => {
    const r = cli('why', 'bb');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("relspec: E_SELECT no task or output named 'bb' — did you mean 'b', 'a', 'c'?\n");
    expect(cli('why', 'b', '--run', '99').code).toBe(2);
  });

  it('why and status work while another process holds the database open for writing', () => {
    const w = new Database(path.join(p.dir, 'state/relspec.sqlite'));
    try {
      w.pragma('busy_timeout = 1000');
      // A write transaction in progress: WAL readers still see the last committed state.
      w.prepare('BEGIN IMMEDIATE').run();
      w.prepare("INSERT INTO meta (key, value) VALUES ('test_writer', 'x') ON CONFLICT(key) DO UPDATE SET value = excluded.value").run();
      expect(json('why', 'b')).toMatchObject({ task: 'b', runId: 7 });
      expect(json('status').tasks).toHaveLength(3);
      expect(json('history', '--limit', '1').runs[0].runId).toBe(7);
      w.prepare('ROLLBACK').run();
    } finally {
      w.close();
    }
  });
});

describe('describeRoot', () => {
  it('describes file and Delta source changes relative to the project', () => {
    const files = { added: ['/p/data/b.parquet'], removed: [], modified: ['/p/data/a.parquet'] };
    expect(
      describeRoot(
        { id: 's', kind: 'source_changed', source: 'orders', path: '/p/data/*.parquet', fromVersion: 2, toVersion: 3, files, runId: 4 },
        '/p',
      ),
    ).toBe('source orders changed: version 2 → 3 (added data/b.parquet; modified data/a.parquet)');
    const counts = { insert: 2, delete: 1, update_preimage: 3, update_postimage: 3 };
    expect(
      describeRoot(
        {
          id: 'delta:events@7',
          kind: 'delta_commits',
          source: 'events',
          path: '/p/delta/events',
          fromVersion: 5,
          toVersion: 7,
          commits: [
            { version: 6, timestamp: 0, operation: 'MERGE', counts },
            { version: 7, timestamp: 0, operation: 'MERGE', counts },
          ],
          consumers: [],
          fallback: 'removed files vacuumed',
          runId: 9,
        },
        '/p',
      ),
    ).toBe(
      'source events changed: Delta version 5 → 7 (2 commits: MERGE; 4 inserted, 2 deleted, 6 updated; full scan instead of change rows: removed files vacuumed)',
    );
  });
});
