import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RelspecError } from '../../src/errors.js';
import type { Cause, RootChange, TaskResult, Trace } from '../../src/records/types.js';
import { suggest } from '../../src/util/suggest.js';
import { resolveTarget, why, type Explanation } from '../../src/incremental/why.js';
import { status } from '../../src/incremental/status.js';
import { history } from '../../src/incremental/history.js';
import { unifiedDiff } from '../../src/incremental/diff.js';
import { openStateDb, type Db } from '../../src/state/db.js';
import { Store } from '../../src/state/store.js';
import { useTempTree } from '../helpers/tempTree.js';

let dir: string;
let db: Db;
let store: Store;
beforeEach(() => {
  dir = useTempTree({}, { prefix: 'relspec-why-' }).root;
  db = openStateDb(dir);
  store = new Store(db);
});
afterEach(() => {
  db.close();
});

const SQL_A1 = 'select customer_id, sum(amount) as total\nfrom orders\ngroup by all\n';
const SQL_A2 = 'select customer_id, sum(amount) as total\nfrom orders\nwhere amount > 0\ngroup by all\n';
const SQL_B = 'select customer_id, total * 2 as t2 from a\n';

/** One run: record its changes, task runs (and traces for built tasks), then finish it. */
function recordRun(
  changes: RootChange[],
  results: (Partial<TaskResult> & { task: string; status: TaskResult['status'] })[],
  traces: Omit<Trace, 'runId'>[] = [],
): number {
  const runId = store.startRun('test', undefined, 'v1', 'cfg');
  store.recordChanges(runId, changes);
  for (const r of results) store.recordTaskRun(runId, { output: r.task, causes: [], durationMs: 1, ...r });
  for (const t of traces) store.putTrace({ ...t, runId });
  store.finishRun(runId, 'ok', 'sig', { built: results.filter((r) => r.status === 'built').length });
  return runId;
}

const trace = (task: string, fingerprint: string, sql: string, inputs: Trace['inputs']): Omit<Trace, 'runId'> => ({
  task,
  fingerprint,
  engineVersion: 'v1',
  inputs,
  output: task,
  outputTokens: {},
  sql,
});

const FILES = { added: [], removed: [], modified: ['/p/data/orders.parquet'] };

/** orders → a → b; run 1 builds both, run 2 rebuilds both for a source change, run 3 edits a (cut off at b). */
function scenario() {
  store.putTask({ name: 'a', file: '/p/tasks/a.sql', output: 'a', fingerprint: 'fpa2', sql: SQL_A2, changeId: 'task:a@fpa2' });
  store.putTask({ name: 'b', file: '/p/tasks/b.sql', output: 'b', fingerprint: 'fpb', sql: SQL_B, changeId: 'task:b@fpb' });
  recordRun(
    [
      { id: 'source:orders@1', kind: 'source_added', source: 'orders', path: '/p/data/*.parquet', toVersion: 1 },
      { id: 'task:a@fpa1', kind: 'task_added', task: 'a', file: '/p/tasks/a.sql' },
      { id: 'task:b@fpb', kind: 'task_added', task: 'b', file: '/p/tasks/b.sql' },
    ],
    [
      { task: 'a', status: 'built', causes: [{ kind: 'new', root: 'task:a@fpa1' }] },
      { task: 'b', status: 'built', causes: [{ kind: 'new', root: 'task:b@fpb' }] },
    ],
  );
  const colsA = ['amount', 'customer_id'];
  const colsB = ['customer_id', 'total'];
  recordRun(
    [
      {
        id: 'source:orders@2',
        kind: 'source_changed',
        source: 'orders',
        path: '/p/data/*.parquet',
        fromVersion: 1,
        toVersion: 2,
        files: FILES,
      },
    ],
    [
      {
        task: 'a',
        status: 'built',
        causes: [{ kind: 'input_changed', input: 'orders', columns: colsA, from: '10:aaaa', to: '10:bbbb', root: 'source:orders@2' }],
      },
      {
        task: 'b',
        status: 'built',
        causes: [{ kind: 'input_changed', input: 'a', columns: colsB, from: '3:cccc', to: '3:dddd', upstream: { task: 'a', runId: 2 } }],
      },
    ],
    [trace('b', 'fpb', SQL_B, { a: { columns: colsB, token: '3:dddd' } })],
  );
  const edit = {
    id: 'task:a@fpa2',
    kind: 'task_edited',
    task: 'a',
    file: '/p/tasks/a.sql',
    fromFingerprint: 'fpa1',
    toFingerprint: 'fpa2',
    fromSql: SQL_A1,
    toSql: SQL_A2,
  } as RootChange;
  recordRun(
    [edit],
    [
      { task: 'a', status: 'built', causes: [{ kind: 'plan_changed', from: 'fpa1', to: 'fpa2', root: 'task:a@fpa2' }] },
      { task: 'b', status: 'skipped', reason: { kind: 'cut_off', inputs: [{ input: 'a', columns: ['customer_id', 'total'] }] } },
    ],
    [trace('a', 'fpa2', SQL_A2, { orders: { columns: colsA, token: '10:bbbb' } })],
  );
}

describe('why', () => {
  it('follows an input change through the upstream run down to the source change', () => {
    scenario();
    const r = why(store, 'b', { runId: 2 });
    expect(r.tasks).toEqual(['b']);
    expect(r.explanations[0]).toEqual({
      target: 'b',
      task: 'b',
      output: 'b',
      runId: 2,
      status: 'built',
      causes: [
        {
          kind: 'input_changed',
          input: 'a',
          columns: ['customer_id', 'total'],
          from: '3:cccc',
          to: '3:dddd',
          upstream: {
            target: 'a',
            task: 'a',
            output: 'a',
            runId: 2,
            status: 'built',
            causes: [
              {
                kind: 'input_changed',
                input: 'orders',
                columns: ['amount', 'customer_id'],
                from: '10:aaaa',
                to: '10:bbbb',
                root: {
                  id: 'source:orders@2',
                  kind: 'source_changed',
                  source: 'orders',
                  path: '/p/data/*.parquet',
                  fromVersion: 1,
                  toVersion: 2,
                  files: FILES,
                  runId: 2,
                },
              },
            ],
          },
        },
      ],
    });
  });

  it('a plan change carries the task edit and a unified diff of the SQL', () => {
    scenario();
    const [e] = why(store, 'a').explanations;
    expect(e!.runId).toBe(3);
    expect(e!.status).toBe('built');
    const c = e!.causes[0]!;
    expect(c.kind).toBe('plan_changed');
    expect(c.root).toMatchObject({ id: 'task:a@fpa2', kind: 'task_edited', file: '/p/tasks/a.sql' });
    expect(c.diff).toMatchInlineSnapshot(`
      "--- a@fpa1
      +++ a@fpa2
      @@ -1,3 +1,4 @@
       select customer_id, sum(amount) as total
       from orders
      +where amount > 0
       group by all"
    `);
  });

  it('without recorded SQL, the diff comes from the trace and tasks table when fingerprints match', () => {
    store.putTask({ name: 'a', file: '/p/tasks/a.sql', output: 'a', fingerprint: 'fpa2', sql: SQL_A2, changeId: 'task:a@fpa2' });
    recordRun([], [{ task: 'a', status: 'built', causes: [{ kind: 'new' }] }], [trace('a', 'fpa1', SQL_A1, {})]);
    // Edited, and the rebuild failed: the trace still holds the SQL of the last build.
    recordRun(
      [{ id: 'task:a@fpa2', kind: 'task_edited', task: 'a', file: '/p/tasks/a.sql', fromFingerprint: 'fpa1', toFingerprint: 'fpa2' }],
      [{ task: 'a', status: 'failed', error: 'boom', causes: [{ kind: 'plan_changed', from: 'fpa1', to: 'fpa2', root: 'task:a@fpa2' }] }],
    );
    const [e] = why(store, 'a').explanations;
    expect(e).toMatchObject({ status: 'failed', error: 'boom', lastBuiltRun: 1 });
    expect(e!.causes[0]!.diff).toContain('+where amount > 0');
  });

  it('why not: cut off at an input whose columns did not change', () => {
    scenario();
    const [e] = why(store, 'b').explanations;
    expect(e).toMatchObject({
      task: 'b',
      runId: 3,
      status: 'skipped',
      lastBuiltRun: 2,
      reason: { kind: 'cut_off', inputs: [{ input: 'a', columns: ['customer_id', 'total'] }] },
    });
    if (e?.status !== 'skipped' || e.elided) throw new Error(`expected skipped, got ${e?.status}`);
    expect(e.cutoff).toHaveLength(1);
    expect(e.cutoff[0]).toMatchObject({ input: 'a', columns: ['customer_id', 'total'], token: '3:dddd' });
    expect(e.cutoff[0]!.upstream).toMatchObject({ task: 'a', runId: 3, status: 'built', causes: [{ kind: 'plan_changed' }] });
  });

  it('why not: up to date since its last build when no change reached it', () => {
    scenario();
    recordRun([], []);
    const [e] = why(store, 'b').explanations;
    expect(e).toMatchObject({
      task: 'b',
      runId: 4,
      status: 'unaffected',
      lastBuiltRun: 2,
      reason: { kind: 'up_to_date_since', runId: 2 },
    });
  });

  it('why not: pending changes not yet verified (the latest run did not reach it)', () => {
    scenario();
    recordRun([], []);
    store.addPending([['b', 'source:orders@3']]);
    const [e] = why(store, 'b').explanations;
    expect(e).toMatchObject({
      status: 'unaffected',
      lastBuiltRun: 2,
      reason: { kind: 'pending', count: 1, lastBuiltRun: 2 },
      pendingChanges: ['source:orders@3'],
    });
    // An earlier run is history: pending changes are about now.
    expect(why(store, 'b', { runId: 3 }).explanations[0]!.pendingChanges).toBeUndefined();
  });

  it('a skipped source reader names the source change it absorbed', () => {
    store.putTask({ name: 'a', file: '/p/tasks/a.sql', output: 'a', fingerprint: 'fpa', sql: SQL_A1, changeId: null });
    recordRun(
      [],
      [{ task: 'a', status: 'built', causes: [{ kind: 'new' }] }],
      [trace('a', 'fpa', SQL_A1, { orders: { columns: ['amount'], token: '10:aaaa' } })],
    );
    recordRun(
      [
        {
          id: 'source:orders@2',
          kind: 'source_changed',
          source: 'orders',
          path: '/p/data/*.parquet',
          fromVersion: 1,
          toVersion: 2,
          files: FILES,
        },
      ],
      [{ task: 'a', status: 'skipped', reason: { kind: 'cut_off', inputs: [{ input: 'orders', columns: ['amount'] }] } }],
    );
    const [e] = why(store, 'a').explanations;
    if (e?.status !== 'skipped' || e.elided) throw new Error(`expected skipped, got ${e?.status}`);
    expect(e.cutoff).toEqual([
      {
        input: 'orders',
        columns: ['amount'],
        token: '10:aaaa',
        root: expect.objectContaining({ id: 'source:orders@2', fromVersion: 1, toVersion: 2 }),
      },
    ]);
  });

  it('blocked: explains the upstream failure', () => {
    scenario();
    recordRun(
      [],
      [
        { task: 'a', status: 'failed', error: 'E_TASK_SQL boom', causes: [{ kind: 'previous_failure', runId: 3 }] },
        { task: 'b', status: 'blocked', reason: { kind: 'upstream', task: 'a', status: 'failed' } },
      ],
    );
    const [e] = why(store, 'b').explanations;
    expect(e).toMatchObject({
      status: 'blocked',
      reason: { kind: 'upstream', task: 'a', status: 'failed' },
      blockedBy: [{ task: 'a', status: 'failed', error: 'E_TASK_SQL boom' }],
    });
  });

  it('stores reasons as JSON, and still reads the sentences older versions stored', () => {
    scenario();
    const runId = recordRun(
      [],
      [
        { task: 'a', status: 'failed', error: 'E_TASK_SQL boom' },
        { task: 'b', status: 'blocked', reason: { kind: 'upstream', task: 'a', status: 'failed' } },
      ],
    );
    const raw = store.db.prepare('SELECT reason FROM task_runs WHERE run_id = ? AND task = ?').get(runId, 'b') as { reason: string };
    expect(JSON.parse(raw.reason)).toEqual({ kind: 'upstream', task: 'a', status: 'failed' });
    // A row written before reasons were data: kept as its text; the blocker is found from the trace's inputs.
    store.db.prepare('UPDATE task_runs SET reason = ? WHERE run_id = ? AND task = ?').run('upstream task a failed', runId, 'b');
    const [e] = why(store, 'b').explanations;
    expect(e).toMatchObject({
      status: 'blocked',
      reason: { kind: 'legacy', text: 'upstream task a failed' },
      blockedBy: [{ task: 'a', status: 'failed' }],
    });
  });

  it('an output maps to each of its producers', () => {
    store.putTask({ name: 'p1', file: '/p/tasks/p1.sql', output: 'edges', fingerprint: 'f1', sql: 'select 1', changeId: null });
    store.putTask({ name: 'p2', file: '/p/tasks/p2.sql', output: 'edges', fingerprint: 'f2', sql: 'select 2', changeId: null });
    recordRun(
      [],
      [
        { task: 'p1', output: 'edges', status: 'built', causes: [{ kind: 'new' }] },
        { task: 'p2', output: 'edges', status: 'built', causes: [{ kind: 'forced' }] },
      ],
    );
    const r = why(store, 'edges');
    expect(r.tasks).toEqual(['p1', 'p2']);
    expect(r.explanations.map((e) => [e.target, e.task, e.causes[0]!.kind])).toEqual([
      ['edges', 'p1', 'new'],
      ['edges', 'p2', 'forced'],
    ]);
  });

  it('unknown names are E_SELECT naming close matches', () => {
    scenario();
    const err = (() => {
      try {
        resolveTarget(store, 'bb');
      } catch (e) {
        return e as RelspecError;
      }
    })();
    expect(err).toBeInstanceOf(RelspecError);
    expect(err!.code).toBe('E_SELECT');
    expect(err!.oneLine()).toBe("E_SELECT no task or output named 'bb' — did you mean 'b', 'a'?");
    expect(suggest('revenu', ['revenue_by_country', 'revenue', 'orders'])).toEqual(['revenue', 'revenue_by_country']);
  });

  it('an unknown run is E_SELECT', () => {
    scenario();
    expect(() => why(store, 'a', { runId: 99 })).toThrow(/no run 99/);
  });

  it('guards against cycles and deep chains', () => {
    // x@1 and y@1 name each other as upstream (corrupt state): the recursion stops.
    const up = (task: string): Cause => ({
      kind: 'input_changed',
      input: task,
      columns: [],
      from: null,
      to: '1:aa',
      upstream: { task, runId: 1 },
    });
    recordRun(
      [],
      [
        { task: 'x', status: 'built', causes: [up('y')] },
        { task: 'y', status: 'built', causes: [up('x')] },
      ],
    );
    const [e] = why(store, 'x').explanations;
    const inner = e!.causes[0]!.upstream!;
    expect(inner.task).toBe('y');
    expect(inner.causes[0]!.upstream).toMatchObject({ task: 'x', elided: 'cycle', causes: [] });

    // A chain t0 ← t1 ← … ← t59 stops at the depth limit.
    const n = 60;
    recordRun(
      [],
      Array.from({ length: n }, (_, i) => ({
        task: `t${i}`,
        status: 'built' as const,
        causes: i + 1 < n ? [{ ...up(`t${i + 1}`), upstream: { task: `t${i + 1}`, runId: 2 } }] : [{ kind: 'new' as const }],
      })),
    );
    let node: Explanation = why(store, 't0', { maxDepth: 10 }).explanations[0]!;
    let depth = 0;
    while (node.causes[0]?.upstream) {
      node = node.causes[0].upstream;
      depth++;
    }
    expect(depth).toBe(10);
    expect(node.elided).toBe('depth');
  });

  it('a diamond explains a shared upstream once', () => {
    const up = (input: string, task: string): Cause => ({
      kind: 'input_changed',
      input,
      columns: [],
      from: null,
      to: '1:aa',
      upstream: { task, runId: 1 },
    });
    recordRun(
      [],
      [
        { task: 'src', status: 'built', causes: [{ kind: 'new' }] },
        { task: 'l', status: 'built', causes: [up('src', 'src')] },
        { task: 'r', status: 'built', causes: [up('src', 'src')] },
        { task: 'top', status: 'built', causes: [up('l', 'l'), up('r', 'r')] },
      ],
    );
    const [e] = why(store, 'top').explanations;
    expect(e!.causes[0]!.upstream!.causes[0]!.upstream).toMatchObject({ task: 'src', status: 'built', causes: [{ kind: 'new' }] });
    expect(e!.causes[1]!.upstream!.causes[0]!.upstream).toMatchObject({ task: 'src', elided: 'repeated' });
  });
});

describe('status', () => {
  it('fresh, or stale when pending, failed, blocked or never built', () => {
    scenario();
    store.putTask({ name: 'c', file: '/p/tasks/c.sql', output: 'c', fingerprint: 'fc', sql: 'select 1', changeId: null });
    store.putTask({ name: 'd', file: '/p/tasks/d.sql', output: 'd', fingerprint: 'fd', sql: 'select 1', changeId: null });
    recordRun([], [{ task: 'c', status: 'failed', error: 'boom' }]);
    store.addPending([['b', 'source:orders@3']]);
    const s = status(store);
    expect(s.runId).toBe(4);
    expect(s.tasks).toEqual([
      { task: 'a', output: 'a', lastBuiltRun: 3, lastStatus: 'built', lastRun: 3, state: 'fresh', pendingChanges: [] },
      {
        task: 'b',
        output: 'b',
        lastBuiltRun: 2,
        lastStatus: 'skipped',
        lastRun: 3,
        state: 'stale',
        reason: { kind: 'pending', changes: ['source:orders@3'] },
        pendingChanges: ['source:orders@3'],
      },
      {
        task: 'c',
        output: 'c',
        lastBuiltRun: null,
        lastStatus: 'failed',
        lastRun: 4,
        state: 'stale',
        reason: { kind: 'failed', runId: 4 },
        pendingChanges: [],
      },
      {
        task: 'd',
        output: 'd',
        lastBuiltRun: null,
        lastStatus: null,
        lastRun: null,
        state: 'stale',
        reason: { kind: 'never_built' },
        pendingChanges: [],
      },
    ]);
  });

  it('lists a broken task only seen in task runs, but not a removed one', () => {
    recordRun(
      [],
      [
        { task: 'broken', status: 'failed', error: 'E_TASK_SQL' },
        { task: 'gone', status: 'built', causes: [{ kind: 'new' }] },
      ],
    );
    // A broken task fails on every run while its file exists.
    recordRun(
      [{ id: 'task:gone@removed', kind: 'task_removed', task: 'gone', file: '/p/tasks/gone.sql' }],
      [{ task: 'broken', status: 'failed', error: 'E_TASK_SQL' }],
    );
    expect(status(store).tasks.map((t) => [t.task, t.state])).toEqual([['broken', 'stale']]);
  });

  it('forgets a broken task that a later full run no longer reports (its file was deleted)', () => {
    recordRun([], [{ task: 'broken', status: 'failed', error: 'E_TASK_SQL' }]);
    recordRun([], []);
    expect(status(store).tasks.map((t) => t.task)).toEqual([]);
  });
});

describe('history', () => {
  it('lists runs newest first with their root change ids', () => {
    scenario();
    const h = history(store, 2);
    expect(h.map((r) => r.runId)).toEqual([3, 2]);
    expect(h[0]).toMatchObject({
      trigger: 'test',
      status: 'ok',
      graphSignature: 'sig',
      engineVersion: 'v1',
      summary: { built: 1 },
      changes: ['task:a@fpa2'],
    });
    expect(h[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(history(store).map((r) => r.changes)).toEqual([
      ['task:a@fpa2'],
      ['source:orders@2'],
      ['source:orders@1', 'task:a@fpa1', 'task:b@fpb'],
    ]);
  });
});

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n')).toBe('');
  });

  it('separates distant changes into hunks with 3 lines of context', () => {
    const a = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n');
    const b = a.replace('line 2\n', 'line two\n').replace('line 18', 'line eighteen') + '\nline 21';
    expect(unifiedDiff(a, b, { from: 'old', to: 'new' })).toMatchInlineSnapshot(`
      "--- old
      +++ new
      @@ -1,5 +1,5 @@
       line 1
      -line 2
      +line two
       line 3
       line 4
       line 5
      @@ -15,6 +15,7 @@
       line 15
       line 16
       line 17
      -line 18
      +line eighteen
       line 19
       line 20
      +line 21"
    `);
  });

  it('handles insertions into and deletions from empty texts', () => {
    expect(unifiedDiff('', 'x\ny\n')).toBe('--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y');
    expect(unifiedDiff('x\n', '')).toBe('--- a\n+++ b\n@@ -1 +0,0 @@\n-x');
  });
});
