import { unifiedDiff } from './diff.js';
import { didYouMean, suggest } from '../util/suggest.js';
import { RelspecError } from '../errors.js';
import type { Store, TaskRunRow } from '../state/store.js';
import type { Cause, Trace } from '../records/types.js';
import { buildCaveats } from './caveats.js';
import type { CutoffInput, ExplainedCause, Explanation, NotRunReason, StoredRootChange, WhyOptions, WhyResult } from './explanation.js';

export type * from './explanation.js';

/**
 * `why`: why a task was (or was not) built in a run, each cause followed back to root changes.
 * Pure data from the Store (shapes in explanation.ts); src/format/why.ts prints it.
 */

const DEFAULT_MAX_DEPTH = 32;
const DEFAULT_MAX_NODES = 500;
const ALL_STATUSES = ['built', 'skipped', 'failed', 'blocked'] as const;

/** Every task the state knows: current ones (tasks table) and ones only seen in task runs. */
function knownTasks(store: Store): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, r] of store.latestTaskRuns()) out.set(name, r.output);
  for (const [name, t] of store.tasks()) out.set(name, t.output);
  return out;
}

function producersIndex(tasks: Map<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [task, output] of tasks) out.set(output, [...(out.get(output) ?? []), task].sort());
  return out;
}

/** A task name or output name → the tasks to explain. Unknown names are an E_SELECT error naming close matches. */
export function resolveTarget(store: Store, name: string): string[] {
  const tasks = knownTasks(store);
  if (tasks.has(name)) return [name];
  const producers = producersIndex(tasks);
  const bare = name.startsWith('main.') ? name.slice(5) : name;
  const found = producers.get(name) ?? producers.get(bare);
  if (found) return found;
  const near = suggest(name, [...tasks.keys(), ...producers.keys()]);
  throw new RelspecError('E_SELECT', `no task or output named '${name}'`, {
    fix: didYouMean(near) ?? 'run `relspec status` to list every task',
  });
}

/** Runs the latest run, or checks run N exists. */
function runToExplain(store: Store, runId: number | undefined): number {
  const last = store.lastRunId();
  if (last === undefined) throw new RelspecError('E_STATE', 'no runs yet', { fix: 'run `relspec run` first' });
  if (runId === undefined) return last;
  if (!store.run(runId))
    throw new RelspecError('E_SELECT', `no run ${runId}`, { fix: `runs are numbered 1 to ${last}; see \`relspec history\`` });
  return runId;
}

/**
 * Why NAME was built in the latest run (or run N) — its causes, each input change followed back
 * to root changes — or, when it was not built there, why not.
 */
export function why(store: Store, name: string, opts: WhyOptions = {}): WhyResult {
  const tasks = resolveTarget(store, name);
  const runId = runToExplain(store, opts.runId);
  const x = new Explainer(store, opts);
  const withCaveats = (e: Explanation): Explanation => {
    const c = buildCaveats(store, e.task);
    return c ? { ...e, caveats: c } : e;
  };
  return { target: name, tasks, explanations: tasks.map((t) => withCaveats(x.explain(name, t, runId))) };
}

class Explainer {
  private readonly tasks: Map<string, string>;
  private readonly producers: Map<string, string[]>;
  private readonly traces: Map<string, Trace>;
  private readonly taskRows: ReturnType<Store['tasks']>;
  /** Pending changes are about now: shown for the latest run only. */
  private readonly pending: Map<string, string[]>;
  private readonly latestRun: number;
  private readonly seen = new Set<string>();
  private nodes = 0;
  private readonly maxDepth: number;
  private readonly maxNodes: number;

  constructor(
    private readonly store: Store,
    opts: WhyOptions,
  ) {
    this.tasks = knownTasks(store);
    this.producers = producersIndex(this.tasks);
    this.traces = store.traces();
    this.taskRows = store.tasks();
    this.pending = store.pending();
    this.latestRun = store.lastRunId() ?? 0;
    this.maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxNodes = opts.maxNodes ?? DEFAULT_MAX_NODES;
  }

  explain(target: string, task: string, runId: number, path: readonly string[] = []): Explanation {
    const key = `${task}@${runId}`;
    const row = this.store.taskRun(runId, task);
    const base = { target, task, output: row?.output ?? this.tasks.get(task) ?? null, runId };
    const guard = path.includes(key)
      ? 'cycle'
      : this.seen.has(key)
        ? 'repeated'
        : path.length >= this.maxDepth || this.nodes >= this.maxNodes
          ? 'depth'
          : undefined;
    if (guard) return { ...base, status: row?.status ?? 'unknown', causes: [], elided: guard };
    this.seen.add(key);
    this.nodes++;
    const here = [...path, key];

    if (row?.status === 'built') {
      return {
        ...base,
        status: 'built',
        causes: this.store.causes(runId, task).map((c) => this.cause(task, c, here)),
        ...(row.refresh ? { refresh: row.refresh } : {}),
      };
    }
    const lastBuilt = this.store.lastTaskRun(task, ['built'], runId)?.runId ?? null;
    const pendingChanges = runId === this.latestRun ? this.pending.get(task) : undefined;
    const extra = pendingChanges?.length ? { pendingChanges } : {};
    if (!row) {
      const last = this.store.lastTaskRun(task, ALL_STATUSES, runId);
      if (!last)
        return {
          ...base,
          status: 'unknown',
          causes: [],
          lastBuiltRun: null,
          reason: { kind: 'no_record', task, runId },
          ...extra,
        };
      const reason: NotRunReason = pendingChanges?.length
        ? { kind: 'pending', count: pendingChanges.length, lastBuiltRun: lastBuilt }
        : last.status === 'failed' || last.status === 'blocked'
          ? { kind: 'not_attempted_after', status: last.status, runId, lastRun: last.runId }
          : lastBuilt !== null
            ? { kind: 'up_to_date_since', runId: lastBuilt }
            : { kind: 'not_attempted', runId };
      return { ...base, output: base.output ?? last.output, status: 'unaffected', causes: [], lastBuiltRun: lastBuilt, reason, ...extra };
    }
    const status = row.status;
    if (status === 'failed') {
      return {
        ...base,
        status,
        causes: this.store.causes(runId, task).map((c) => this.cause(task, c, here)),
        lastBuiltRun: lastBuilt,
        ...(row.error ? { error: row.error } : {}),
        ...(row.reason ? { reason: row.reason } : {}),
        ...extra,
      };
    }
    if (status === 'blocked') {
      const blockedBy = this.blockers(task, row, runId).map((t) => this.explain(t, t, runId, here));
      return {
        ...base,
        status,
        causes: [],
        lastBuiltRun: lastBuilt,
        reason: row.reason ?? { kind: 'legacy', text: 'blocked' },
        ...(blockedBy.length ? { blockedBy } : {}),
        ...extra,
      };
    }
    return {
      ...base,
      status,
      causes: [],
      lastBuiltRun: lastBuilt,
      reason: row.reason ?? { kind: 'up_to_date' },
      cutoff: this.cutoff(task, runId, lastBuilt, here),
      ...extra,
    };
  }

  private cause(task: string, c: Cause, path: readonly string[]): ExplainedCause {
    const out: ExplainedCause = { ...(c as ExplainedCause) };
    delete out.root;
    delete out.upstream;
    const rootId = 'root' in c ? c.root : undefined;
    if (rootId) {
      const root = this.store.change(rootId);
      if (root) out.root = root;
      else out.rootId = rootId;
    }
    if (c.kind === 'input_changed' && c.upstream) out.upstream = this.explain(c.upstream.task, c.upstream.task, c.upstream.runId, path);
    if (c.kind === 'previous_failure') {
      const failed = this.store.taskRun(c.runId, task);
      if (failed?.error) out.error = failed.error;
    }
    if (c.kind === 'plan_changed') {
      const sql = this.sqlOfEdit(task, c.from, c.to, out.root);
      const labels = { from: `${task}@${c.from.slice(0, 12)}`, to: `${task}@${c.to.slice(0, 12)}` };
      // The body keeps one empty line per header line (error line numbers): equal once trimmed = a header edit.
      if (sql && sql.from.trimStart() === sql.to.trimStart()) out.headerOnly = true;
      else if (sql) out.diff = unifiedDiff(sql.from, sql.to, labels);
    }
    return out;
  }

  /**
   * Both texts of an edit. The task_edited change carries them when observe recorded them
   * (`fromSql`/`toSql`); otherwise the trace (SQL of the last build) and the tasks table (SQL as
   * last observed) serve when their fingerprints match.
   */
  private sqlOfEdit(
    task: string,
    fromFp: string,
    toFp: string,
    root: StoredRootChange | undefined,
  ): { from: string; to: string } | undefined {
    const recorded = root?.kind === 'task_edited' ? (root as typeof root & { fromSql?: unknown; toSql?: unknown }) : undefined;
    const trace = this.traces.get(task);
    const row = this.taskRows.get(task);
    const byFp = (fp: string): string | undefined =>
      trace?.fingerprint === fp ? trace.sql : row?.fingerprint === fp ? row.sql : undefined;
    const from = typeof recorded?.fromSql === 'string' ? recorded.fromSql : byFp(fromFp);
    const to = typeof recorded?.toSql === 'string' ? recorded.toSql : byFp(toFp);
    return from !== undefined && to !== undefined ? { from, to } : undefined;
  }

  /** Blocked: the upstream named in the reason, else producers of its inputs that failed or were blocked in that run. */
  private blockers(task: string, row: TaskRunRow, runId: number): string[] {
    if (row.reason?.kind === 'upstream') return [row.reason.task];
    const inputs = Object.keys(this.traces.get(task)?.inputs ?? {});
    return inputs
      .flatMap((ds) => this.producers.get(ds) ?? [])
      .filter((p) => {
        const s = this.store.taskRun(runId, p)?.status;
        return s === 'failed' || s === 'blocked';
      });
  }

  /**
   * Skipped: for each input, what reached it in this run — a source change since the task's last
   * build, or its producer's own run — and that the task's columns of it stayed the same.
   */
  private cutoff(task: string, runId: number, lastBuilt: number | null, path: readonly string[]): CutoffInput[] {
    const trace = this.traces.get(task);
    if (!trace) return [];
    const tokenKnown = trace.runId <= runId;
    const all: CutoffInput[] = [];
    const touched: CutoffInput[] = [];
    for (const ds of Object.keys(trace.inputs).sort()) {
      const inp = trace.inputs[ds]!;
      const entry: CutoffInput = { input: ds, columns: inp.columns, ...(tokenKnown ? { token: inp.token } : {}) };
      all.push(entry);
      const producers = this.producers.get(ds) ?? [];
      if (producers.length === 0) {
        const change = this.store
          .changesAbout(ds, runId)
          .find(
            (c) =>
              (c.kind === 'source_changed' || c.kind === 'source_added' || c.kind === 'delta_commits') &&
              (lastBuilt === null || c.runId > lastBuilt),
          );
        if (change) {
          entry.root = change;
          touched.push(entry);
        }
        continue;
      }
      const ran = producers.map((p) => ({ p, row: this.store.taskRun(runId, p) })).filter((x) => x.row);
      const pick = ran.find((x) => x.row!.status === 'built') ?? ran[0];
      if (pick) {
        entry.upstream = this.explain(pick.p, pick.p, runId, path);
        touched.push(entry);
      }
    }
    return touched.length > 0 ? touched : all;
  }
}
