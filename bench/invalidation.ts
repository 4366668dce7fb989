import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { columnSetKey } from '../src/engine/tokens.js';
import { descendants, generations, sourceId, taskId, tasksOf, type GraphTask, type RelGraph } from '../src/graph/index.js';
import { TokenBook } from '../src/incremental/tokenbook.js';
import type { Trace } from '../src/records/types.js';
import { verify, type VerifyContext } from '../src/incremental/verify.js';
import { loadProject, type Project } from '../src/project/load.js';
import { openStateDb } from '../src/state/db.js';
import { Store, type EvidenceRow } from '../src/state/store.js';
import { generateProject } from './gen.js';
import type { Row } from './report.js';

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fakeToken = (ds: string, key: string): string => `100:${createHash('sha256').update(`${ds}\0${key}`).digest('hex').slice(0, 12)}`;

/** First call and median of `reps` further calls of a synchronous function. */
function timeSync<T>(fn: () => T, reps: number): { value: T; firstMs: number; medianMs: number } {
  gc();
  let t = performance.now();
  const value = fn();
  const firstMs = performance.now() - t;
  const xs: number[] = [];
  for (let i = 0; i < reps; i++) {
    t = performance.now();
    fn();
    xs.push(performance.now() - t);
  }
  return { value, firstMs, medianMs: median(xs) };
}

/**
 * A state database as a full build of the project would leave it: evidence of every dataset with a
 * token for every column set its consumers read, one trace per task whose inputs carry exactly those
 * tokens, and one `built` task run per task. Tokens are synthetic (no data was scanned).
 */
export function seedState(project: Project, store: Store, engineVersion: string): void {
  const g = project.graph;
  const runId = store.startRun('bench', undefined, engineVersion, project.configHash);
  const evidence = new Map<string, EvidenceRow>();
  g.forEachNode((id, a) => {
    if (a.kind === 'task') return;
    const tokens: Record<string, string> = {};
    g.forEachOutEdge(id, (_, e) => {
      if (e.columns) tokens[columnSetKey(e.columns)] = fakeToken(a.name, columnSetKey(e.columns));
    });
    const all = (a.schema ?? []).map((c) => c.name);
    tokens[columnSetKey(all)] = fakeToken(a.name, columnSetKey(all));
    evidence.set(a.name, {
      name: a.name,
      kind: a.kind === 'source' ? 'source' : 'output',
      version: 1,
      schema: a.schema ?? null,
      schemaFp: null,
      tokens,
      filesSig: null,
      contentHash: null,
      changeId: null,
      updatedRun: runId,
      files: null,
    });
  });
  store.tx(() => {
    for (const e of evidence.values()) store.putEvidence(e);
    for (const t of tasksOf(g)) {
      const inputs: Trace['inputs'] = {};
      for (const ds of t.reads) {
        const columns = [...(t.columns?.[ds] ?? [])].sort();
        inputs[ds] = { columns, token: evidence.get(ds)?.tokens[columnSetKey(columns)] ?? '?' };
      }
      store.putTrace({
        task: t.name,
        fingerprint: t.fingerprint!,
        engineVersion,
        inputs,
        output: t.output,
        outputTokens: {},
        runId,
        sql: project.taskByName.get(t.name)!.sql,
      });
      store.recordTaskRun(runId, { task: t.name, output: t.output, status: 'built', causes: [{ kind: 'new' }], durationMs: 1, rows: 100 });
    }
  });
  store.finishRun(runId, 'ok', null, { built: tasksOf(g).length });
}

/**
 * Invalidation on an N-task project without building it: change → candidate set (graph
 * descendants), and trace verification of the candidate set with the engine's own verify() over a
 * state database seeded as a full build would leave it.
 */
export async function benchInvalidation(n: number, log: (s: string) => void, projectDir?: string): Promise<Row[]> {
  // A project left by benchLineage (its lineage cached) loads warm; otherwise generate one.
  const dir = projectDir ?? mkdtempSync(path.join(tmpdir(), `relspec-bench-inval-${n}-`));
  try {
    if (!projectDir) await generateProject({ dir, tasks: n, seed: 7, rows: 100 });
    const configPath = path.join(dir, 'watch.config.ts');
    const stateDir = path.join(dir, 'state');
    const db = openStateDb(stateDir);
    let t = performance.now();
    const project = await loadProject({ configPath, db });
    if (project.errors.length > 0) throw new Error(`generated project has errors: ${project.errors[0]!.oneLine()}`);
    log(`  ${n} tasks: project loaded (lineage + graph, ${projectDir ? 'cached' : 'cold'}) in ${(performance.now() - t).toFixed(0)} ms`);
    const g: RelGraph = project.graph;
    const tasks = tasksOf(g).sort((a, b) => (a.name < b.name ? -1 : 1));
    // A mid-graph task: of the 100 tasks from the middle on, the one with the most descendants.
    const window = tasks.slice(Math.floor(tasks.length / 2), Math.floor(tasks.length / 2) + 100);
    const reach = new Map(window.map((tk) => [tk.name, descendants(g, [taskId(tk.name)]).size]));
    const midTask = window.reduce((best, tk) => (reach.get(tk.name)! > reach.get(best.name)! ? tk : best), window[0]!);

    const engineVersion = 'v-bench';
    const store = new Store(db);
    t = performance.now();
    seedState(project, store, engineVersion);
    log(`  seeded ${tasks.length} traces, evidence and task runs in ${(performance.now() - t).toFixed(0)} ms`);

    // What run() reads from the state database on every pass before it can verify anything.
    const load = timeSync(
      () => ({ evidence: store.evidence(), traces: store.traces(), pending: store.pending(), latest: store.latestTaskRuns() }),
      5,
    );
    const { evidence, traces, latest } = load.value;

    const producersOf = new Map<string, string[]>();
    for (const tk of tasks) producersOf.set(tk.output, [...(producersOf.get(tk.output) ?? []), tk.name].sort());
    const ctx: VerifyContext = {
      store,
      book: new TokenBook(project, undefined, evidence),
      traces,
      engineVersion,
      fullRefresh: false,
      outputExists: () => true,
      producers: (ds) => producersOf.get(ds) ?? [],
      builtThisRun: new Map(),
      pending: new Map(),
      latest,
    };

    const rows: Row[] = [];
    const k = n >= 1000 ? `${n / 1000}k` : String(n);
    // The candidates of a change, as observe() marks them pending: a source's descendants; an
    // edited task and its descendants.
    const cases: [string, () => Set<string>][] = [
      ['one source (events)', () => descendants(g, [sourceId('events')])],
      [`one mid-graph task edited (${midTask.name})`, () => new Set([midTask.name, ...descendants(g, [taskId(midTask.name)])])],
    ];
    for (const [label, candidatesOf] of cases) {
      const cand = timeSync(candidatesOf, 20);
      const candidates = cand.value;
      // run() widens the candidates to everything reachable from them, then schedules that set.
      const sched = timeSync(() => generations(g, new Set([...candidates, ...descendants(g, [...candidates].map(taskId))])), 3);
      const order: GraphTask[] = sched.value.flat().filter((tk) => candidates.has(tk.name));
      const verifyAll = async () => {
        let stale = 0;
        for (const tk of order) if ((await verify(tk, ctx)).causes.length > 0) stale++;
        return stale;
      };
      gc();
      const vs: number[] = [];
      let stale = 0;
      for (let i = 0; i < 5; i++) {
        t = performance.now();
        stale = await verifyAll();
        vs.push(performance.now() - t);
      }
      const verifyMs = median(vs);
      log(
        `  ${label}: ${candidates.size} candidates; descendants() first ${cand.firstMs.toFixed(2)} ms, median ${cand.medianMs.toFixed(2)} ms; ` +
          `reachable + generations ${sched.medianMs.toFixed(1)} ms; verify() of all candidates ${verifyMs.toFixed(1)} ms (${((verifyMs * 1000) / Math.max(1, order.length)).toFixed(0)} µs/task, ${stale} stale)`,
      );
      rows.push(
        {
          metric: `change → candidate set, ${label}, ${k} tasks (${candidates.size} candidates)`,
          value: cand.medianMs,
          unit: 'ms',
          goal: '≤ 5 ms',
          ok: cand.medianMs <= 5,
          anchor: `graph descendants(), median of 20; first call ${cand.firstMs.toFixed(1)} ms`,
        },
        { metric: `  schedule of the candidates (reachable set + generations, as run() does)`, value: sched.medianMs, unit: 'ms' },
        {
          metric: `  trace verification of the ${order.length} candidates (engine verify(): token lookup + compare + last-run query)`,
          value: verifyMs,
          unit: 'ms',
          anchor: 'synthetic traces and tokens, all up to date; median of 5',
        },
      );
    }
    rows.push({
      metric: `  state read before verification (evidence, traces, pending, latest task runs), ${k} tasks`,
      value: load.medianMs,
      unit: 'ms',
      anchor: 'SQLite, as run() does each pass',
    });
    db.close();
    return rows;
  } finally {
    if (!projectDir) rmSync(dir, { recursive: true, force: true });
  }
}
