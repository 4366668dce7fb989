import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { descendants, sourceId, taskId, tasksOf, type RelGraph } from '../src/graph/index.js';
import { run } from '../src/incremental/run.js';
import { loadProject, type Project } from '../src/project/load.js';
import { openStateDb } from '../src/state/db.js';
import { generateProject } from './gen.js';
import type { Row } from './report.js';

const sqlStr = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Rewrites a parquet source through DuckDB: `select` reads the old file as `src`. */
async function rewriteParquet(file: string, select: string): Promise<void> {
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  const tmp = `${file}.tmp`;
  try {
    await c.run(`CREATE TEMP VIEW src AS SELECT * FROM read_parquet(${sqlStr(file)})`);
    await c.run(`COPY (${select}) TO ${sqlStr(tmp)} (FORMAT parquet)`);
  } finally {
    c.closeSync();
    inst.closeSync();
  }
  renameSync(tmp, file);
}

type Changed = { source: string } | { task: string };

interface Scenario {
  name: string;
  changed: Changed;
  apply: () => Promise<void>;
}

/** What `dbt build --select state:modified+` would build: a changed source's descendants; an edited task and its descendants. */
function allDescendants(g: RelGraph, c: Changed): number {
  return 'source' in c ? descendants(g, [sourceId(c.source)]).size : 1 + descendants(g, [taskId(c.task)]).size;
}

interface CleanDiff {
  /** Outputs whose rows differ (multiset) between the incremental warehouse and a clean build. */
  differ: string[];
  /** Of those, the ones a query explains: order-dependent (re-running it on the clean build's own inputs in another row order does not reproduce the clean output), or consistent with its own incremental inputs (the difference comes from upstream). */
  explained: string[];
}

/**
 * Compares every output of the incremental state with a clean build of the same project (multiset
 * comparison with EXCEPT ALL both ways): invariant 1, without which a minimality figure means
 * nothing. Some generated queries are order-dependent (a window ROWS frame ordered by a non-unique
 * key), so a difference is checked further before it counts as unexplained.
 */
export async function diffWithClean(dir: string, project: Project): Promise<CleanDiff> {
  const cleanCfg = path.join(dir, 'clean.config.ts');
  writeFileSync(
    cleanCfg,
    readFileSync(path.join(dir, 'watch.config.ts'), 'utf8').replace('export default {', "export default {\n  state: 'state-clean',"),
  );
  rmSync(path.join(dir, 'state-clean'), { recursive: true, force: true });
  const clean = await run({ configPath: cleanCfg });
  if (clean.status === 'failed') throw new Error('clean build failed');
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  const differ: string[] = [];
  const explained: string[] = [];
  const q = (o: string) => `"${o.replace(/"/g, '""')}"`;
  const diffCount = async (a: string, b: string) =>
    Number(
      (
        await c.runAndReadAll(
          `SELECT count(*) FROM ((SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b}) UNION ALL (SELECT * FROM ${b} EXCEPT ALL SELECT * FROM ${a}))`,
        )
      ).getRows()[0]![0],
    );
  try {
    await c.run(`ATTACH ${sqlStr(path.join(dir, 'state', 'warehouse.duckdb'))} AS inc (READ_ONLY)`);
    await c.run(`ATTACH ${sqlStr(path.join(dir, 'state-clean', 'warehouse.duckdb'))} AS cln (READ_ONLY)`);
    await c.run('CREATE SCHEMA memory.shuf');
    for (const t of tasksOf(project.graph).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const o = q(t.output);
      if ((await diffCount(`inc.main.${o}`, `cln.main.${o}`)) === 0) continue;
      differ.push(t.output);
      const sql = project.taskByName.get(t.name)!.sql;
      // Consistent with its own inputs in the incremental warehouse?
      await c.run(`SET search_path = 'inc.main'`);
      await c.run(`CREATE OR REPLACE TEMP TABLE rerun AS (${sql}\n)`);
      const consistent = (await diffCount('temp.main.rerun', `inc.main.${o}`)) === 0;
      // Order-dependent? The clean inputs in another row order.
      for (const ds of t.reads)
        await c.run(`CREATE OR REPLACE VIEW memory.shuf.${q(ds)} AS SELECT * FROM cln.main.${q(ds)} AS x ORDER BY hash(x) DESC`);
      await c.run(`SET search_path = 'memory.shuf'`);
      await c.run(`CREATE OR REPLACE TEMP TABLE rerun AS (${sql}\n)`);
      const orderDependent = (await diffCount('temp.main.rerun', `cln.main.${o}`)) !== 0;
      await c.run(`SET search_path = 'memory.main'`);
      if (consistent || orderDependent) explained.push(t.output);
    }
  } finally {
    c.closeSync();
    inst.closeSync();
  }
  return { differ, explained };
}

/**
 * Minimality: a fixed suite of changes on a generated project, each followed by one incremental
 * run. Counts the tasks relspec built against the tasks "all descendants of the change" would build.
 */
export async function benchMinimality(n: number, log: (s: string) => void): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), `relspec-bench-min-${n}-`));
  try {
    await generateProject({ dir, tasks: n, seed: 3, rows: 500 });
    const configPath = path.join(dir, 'watch.config.ts');
    const data = (s: string) => path.join(dir, 'data', `${s}.parquet`);
    // Graphs for the descendant counts get their own lineage cache, apart from relspec's state.
    const lineageDb = openStateDb(path.join(dir, 'bench-lineage'));
    const graphNow = async () => {
      const p = await loadProject({ configPath, db: lineageDb });
      if (p.errors.length > 0) throw new Error(`generated project has errors: ${p.errors[0]!.oneLine()}`);
      return p;
    };

    const cold = await run({ configPath });
    const coldBuilt = cold.tasks.filter((t) => t.status === 'built').length;
    if (cold.status !== 'ok' || coldBuilt !== n) throw new Error(`cold build: ${cold.status}, ${coldBuilt}/${n} built`);
    const noop = await run({ configPath });
    const noopBuilt = noop.tasks.filter((t) => t.status === 'built').length;
    log(`  ${n} tasks built cold; a second run with nothing changed built ${noopBuilt}`);

    // Mid-graph tasks: of the 100 tasks from the middle on, the ones with the most descendants;
    // the edited one has a `select k, v, g from` to turn into `v * 2`.
    const p0 = await graphNow();
    const byName = tasksOf(p0.graph).sort((a, b) => (a.name < b.name ? -1 : 1));
    const mid = Math.floor(byName.length / 2);
    const reach = (name: string) => descendants(p0.graph, [taskId(name)]).size;
    const window = byName.slice(mid, mid + 100).sort((a, b) => reach(b.name) - reach(a.name) || (a.name < b.name ? -1 : 1));
    const semTask = window.find((t) => readFileSync(t.file, 'utf8').includes('select k, v, g from')) ?? window[0]!;
    const fmtTask = window.find((t) => t.name !== semTask.name)!;
    const scenarios: Scenario[] = [
      {
        name: 'source: events.payload rewritten (a column no task reads)',
        changed: { source: 'events' },
        apply: () => rewriteParquet(data('events'), `SELECT * REPLACE (payload || '_v2' AS payload) FROM src`),
      },
      {
        name: 'source: events.ts shifted (read only by the events base tasks, never downstream)',
        changed: { source: 'events' },
        apply: () => rewriteParquet(data('events'), `SELECT * REPLACE (ts + INTERVAL 1 HOUR AS ts) FROM src`),
      },
      {
        name: 'source: orders.amount −5/+5 on two rows of one order_id (per-key sums equal)',
        changed: { source: 'orders' },
        // The first two rows of order_id 60 (amount 60 both) move 5 between them; both stay above every `amount > c` filter (c < 50).
        apply: () =>
          rewriteParquet(
            data('orders'),
            `SELECT * EXCLUDE (rn) REPLACE (CASE WHEN order_id = 60 AND rn = 1 THEN amount - 5 WHEN order_id = 60 AND rn = 2 THEN amount + 5 ELSE amount END AS amount)
             FROM (SELECT *, row_number() OVER (PARTITION BY order_id ORDER BY ts) AS rn FROM src) ORDER BY ts`,
          ),
      },
      {
        name: 'source: users.tier changed for one user (read by every users join)',
        changed: { source: 'users' },
        apply: () => rewriteParquet(data('users'), `SELECT * REPLACE (CASE WHEN user_id = 7 THEN tier + 1 ELSE tier END AS tier) FROM src`),
      },
      {
        name: 'source: one row inserted into events',
        changed: { source: 'events' },
        apply: () =>
          rewriteParquet(data('events'), `SELECT * FROM src UNION ALL SELECT 1000000, 5, 'kind_3', 80.0, TIMESTAMP '2025-01-01', 'new'`),
      },
      {
        name: `task: formatting-only edit of ${fmtTask.name} (mid-graph)`,
        changed: { task: fmtTask.name },
        apply: async () => {
          const text = readFileSync(fmtTask.file, 'utf8');
          const body = text
            .replace(/\bselect\b/g, '\n  SELECT')
            .replace(/\bfrom\b/g, '\n  FROM')
            .replace(/\bwhere\b/g, '\n  WHERE');
          writeFileSync(fmtTask.file, `${body}\n-- reformatted, same query\n`);
        },
      },
      {
        name: `task: semantic edit of ${semTask.name} (mid-graph, v → v * 2)`,
        changed: { task: semTask.name },
        apply: async () => {
          const text = readFileSync(semTask.file, 'utf8');
          if (!text.includes('select k, v, g from')) throw new Error(`no task to edit semantically near the middle of the graph`);
          writeFileSync(semTask.file, text.replace('select k, v, g from', 'select k, v * 2 as v, g from'));
        },
      },
    ];

    const rows: Row[] = [];
    let totalBuilt = 0;
    let totalDesc = 0;
    for (const s of scenarios) {
      await s.apply();
      const g = (await graphNow()).graph;
      const desc = allDescendants(g, s.changed);
      const r = await run({ configPath });
      const built = r.tasks.filter((t) => t.status === 'built').length;
      const failed = r.tasks.filter((t) => t.status === 'failed' || t.status === 'blocked').length;
      if (failed > 0 || r.errors.length > 0) throw new Error(`scenario '${s.name}': ${failed} failed/blocked, ${r.errors.length} errors`);
      const cutoff = r.tasks.filter((t) => t.status === 'skipped').length;
      totalBuilt += built;
      totalDesc += desc;
      log(`  ${s.name}: relspec built ${built}, verified and skipped ${cutoff}; all descendants ${desc}`);
      rows.push({ metric: `  ${s.name}`, value: built, unit: `built (all descendants: ${desc})` });
    }

    const diff = await diffWithClean(dir, await graphNow());
    lineageDb.close();
    const bad = diff.differ.filter((o) => !diff.explained.includes(o));
    log(
      `  after the scenarios: ${diff.differ.length} of ${n} outputs differ from a clean build${diff.differ.length ? ` (${diff.differ.slice(0, 5).join(', ')})` : ''}; ` +
        `${diff.explained.length} explained by an order-dependent query or a consistent rebuild over a differing upstream; ${bad.length} unexplained`,
    );

    const ratio = totalBuilt / totalDesc;
    return [
      {
        metric: `minimality: tasks built / all descendants of the change, ${scenarios.length} scenarios, ${n} tasks (${totalBuilt} / ${totalDesc})`,
        value: ratio,
        unit: '×',
        goal: '≤ 0.5',
        ok: ratio <= 0.5,
        anchor: 'dbt state:modified+',
      },
      ...rows,
      {
        metric: `  outputs differing from a clean build after the scenarios, unexplained (${diff.differ.length} differ; ${diff.explained.length} explained: order-dependent query, or consistent with its own inputs)`,
        value: bad.length,
        unit: `of ${n}`,
        goal: '0',
        ok: bad.length === 0,
        anchor: 'invariant 1: incremental equals clean',
      },
      { metric: `  tasks built by a run with nothing changed`, value: noopBuilt, unit: 'tasks', goal: '0', ok: noopBuilt === 0 },
    ];
  } finally {
    if (process.env.RELSPEC_BENCH_KEEP) log(`  kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
