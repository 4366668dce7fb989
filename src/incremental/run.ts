import { existsSync } from 'node:fs';
import path from 'node:path';
import { sqlName } from '../catalog/names.js';
import { deltaOutputDir } from '../engine/deltaOutput.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { sliceName, Warehouse } from '../engine/warehouse.js';
import { RelspecError, errorMessage } from '../errors.js';
import {
  cyclicTasks,
  descendants,
  generations,
  graphSignature,
  outputId,
  selectTasks,
  taskId,
  tasksOf,
  type GraphTask,
} from '../graph/index.js';
import { loadProject } from '../project/load.js';
import { readerSql } from '../sources/index.js';
import { snapshotQuery } from '../delta/index.js';
import { openStateDb } from '../state/db.js';
import { isStateFault, stateFaultError } from '../state/faults.js';
import { Store } from '../state/store.js';
import { buildTask, reconcileUnions, targetOf } from './build.js';
import { observe } from './observe.js';
import { TokenBook } from './tokenbook.js';
import type { PlanStatus, RootChange, RunResult, TaskResult } from '../records/types.js';
import { verify, type VerifyContext } from './verify.js';
import { FileBook } from './fileInputs.js';
import { projectWarnings } from './caveats.js';
import type { PlanEntry, RunOptions, RunOutcome } from './runTypes.js';

export type { PlanEntry, RunOptions, RunOutcome } from './runTypes.js';

/**
 * One pass: observe changes → candidates → verify traces → execute stale tasks in topological
 * generations → record everything. `relspec run`, `relspec plan` and the daemon all call this.
 */
export async function run(opts: RunOptions = {}): Promise<RunOutcome> {
  const t0 = performance.now();
  const loaded = opts.loaded ?? (await loadConfig(opts.configPath, opts.cwd));
  const db = opts.session?.db ?? openStateDb(loaded.config.stateDir);
  let warehouse: Warehouse | undefined = opts.session?.warehouse;
  try {
    warehouse ??= await Warehouse.open(loaded.config.stateDir, loaded.config.engine);
    return await runWith(loaded, new Store(db), warehouse, opts, t0);
  } catch (e) {
    // A corrupt state, a full disk: one E_STATE line (src/state/faults.ts), never a stack.
    throw stateFaultError(e, loaded.config.stateDir) ?? e;
  } finally {
    if (!opts.session) {
      // After an IO failure closing may throw too: the first error is the one to report.
      for (const close of [() => warehouse?.close(), () => db.close()]) {
        try {
          close();
        } catch {
          /* already failed: the run's own error (or result) stands */
        }
      }
    }
  }
}

async function runWith(loaded: LoadedConfig, store: Store, warehouse: Warehouse, opts: RunOptions, t0: number): Promise<RunOutcome> {
  const dry = opts.dryRun ?? false;
  if (!dry) store.closeDanglingRuns();
  const project = await loadProject({
    config: loaded,
    db: store.db,
    syncCode: true,
    fullCode: (opts.fullRefresh ?? false) && !dry,
    codeExtractors: opts.codeExtractors,
  });
  const g = project.graph;
  const engineVersion = await warehouse.version();
  let relations = await warehouse.relations();
  const obs = await observe(project, store, engineVersion, warehouse.conn);
  const runId = dry ? 0 : store.startRun(opts.trigger ?? 'cli', opts.select, engineVersion, project.configHash);
  // Change ids name what changed (task@fingerprint, config@hash): going back to an earlier state
  // repeats one, so a repeat gets this run's number to stay a distinct record.
  const renamed = new Map<string, string>();
  for (const c of obs.changes) {
    if (!dry && store.change(c.id)) {
      renamed.set(c.id, `${c.id}#r${runId}`);
      c.id = `${c.id}#r${runId}`;
    }
  }
  obs.pending = obs.pending.map(([t, id]) => [t, renamed.get(id) ?? id]);
  for (const e of obs.sourceEvidence) if (e.changeId && renamed.has(e.changeId)) e.changeId = renamed.get(e.changeId)!;
  for (const t of obs.taskRows) if (t.changeId && renamed.has(t.changeId)) t.changeId = renamed.get(t.changeId)!;
  const changes: RootChange[] = [...obs.changes];
  const reconcile = opts.reconcile || opts.rescanReason !== undefined;
  if (opts.rescanReason && !dry) changes.push({ id: `rescan@${runId}`, kind: 'rescan', reason: opts.rescanReason });

  const producersOf = new Map<string, string[]>();
  for (const t of tasksOf(g)) producersOf.set(t.output, [...(producersOf.get(t.output) ?? []), t.name].sort());
  const producers = (ds: string) => producersOf.get(ds) ?? [];

  if (!dry) {
    // Removed tasks: their slice, and their output unless another task still produces it — dropped
    // BEFORE the removal is recorded, so a crash in between repeats the drops next run. A shared
    // output left with one producer is dropped with that producer's slice: the survivor now writes
    // the output itself and rebuilds (output missing). With two or more left, reconcileUnions below
    // re-forms the union.
    for (const t of obs.removedTasks) {
      await warehouse.drop(sliceName(t.name));
      const left = producers(t.output);
      if (left.length <= 1) await warehouse.drop(sqlName(t.output));
      if (left.length === 1) await warehouse.drop(sliceName(left[0]!));
    }
    if (obs.removedTasks.length > 0) relations = await warehouse.relations();
    store.tx(() => {
      store.recordChanges(runId, changes);
      if (changes.some((c) => c.kind === 'engine_changed')) store.clearTokens();
      store.addPending(obs.pending);
      for (const e of obs.sourceEvidence) store.putEvidence(e);
      for (const t of obs.taskRows) store.putTask(t);
      for (const t of obs.removedTasks) store.deleteTask(t.name);
      for (const t of obs.removedTasks) if (producers(t.output).length === 0) store.deleteEvidence(t.output);
    });
    // A Delta source is a view over its pinned snapshot: a commit landing during this run is the
    // next run's (docs/ARCHITECTURE.md invariant 7). Its deleted rows are inlined: the view outlives this connection.
    const readers: { name: string; reader: string }[] = [];
    for (const s of project.sources.values()) {
      const reader = s.delta
        ? `(${await snapshotQuery(warehouse.conn, s.delta, { inlineRowsLimit: Infinity })})`
        : readerSql(
            project.config.sources[s.name]!,
            s.files.map((f) => f.path),
          );
      readers.push({ name: s.name, reader });
    }
    await warehouse.registerSources(readers);
  }
  const evidence = store.evidence();
  if (dry) for (const e of obs.sourceEvidence) evidence.set(e.name, e);
  const traces = store.traces();
  const book = new TokenBook(project, warehouse, evidence, traces);
  const pending = store.pending();
  if (dry) for (const [t, c] of obs.pending) pending.set(t, [...(pending.get(t) ?? []), c]);
  const latest = store.latestTaskRuns();
  const consumers = (ds: string): string[] =>
    g.hasNode(outputId(ds)) ? g.outNeighbors(outputId(ds)).map((n) => g.getNodeAttribute(n, 'name')) : [];
  if (!dry) {
    const removedRoot = new Map(
      obs.removedTasks.map((t) => [t.output, changes.find((c) => c.kind === 'task_removed' && c.task === t.name)?.id]),
    );
    await reconcileUnions(
      { project, store, warehouse, book, runId, pending, consumers },
      producersOf.keys(),
      (o) => removedRoot.get(o) ?? `union:${o}@r${runId}`,
    );
  }

  // Tasks that cannot run: their file has an error, they sit in a cycle, or lineage could not tell.
  const taskErrors = new Map<string, RelspecError>();
  const byFile = new Map(project.tasks.map((t) => [t.file, t.name]));
  for (const e of project.errors) {
    const name = e.file ? byFile.get(e.file) : undefined;
    if (name && !taskErrors.has(name)) taskErrors.set(name, e);
  }
  for (const name of cyclicTasks(g)) {
    if (!taskErrors.has(name)) {
      const e = project.errors.find((x) => x.code === 'E_GRAPH' && x.message.includes(name));
      taskErrors.set(
        name,
        e ?? new RelspecError('E_GRAPH', `task ${name} is part of a cycle`, { file: project.taskByName.get(name)?.file }),
      );
    }
  }
  const errors = project.errors.filter((e) => !(e.file && byFile.has(e.file))).map((e) => e.toJSON());

  const selection = opts.select ? selectTasks(g, opts.select) : undefined;
  const inSel = (t: string) => !selection || selection.has(t);
  const outputExists = (t: GraphTask) =>
    relations.has(targetOf(t, producers).replace(/"/g, '').toLowerCase()) &&
    (t.materialize !== 'delta' || existsSync(path.join(deltaOutputDir(project.config.outputsDir, t.output), '_delta_log')));
  const candidates = new Set<string>();
  for (const t of tasksOf(g)) {
    if (!inSel(t.name)) continue;
    const last = latest.get(t.name);
    // Files read through table functions and volatile tasks have no root change to mark them: verify each run (a stat per file).
    if (
      reconcile ||
      opts.fullRefresh ||
      pending.has(t.name) ||
      !traces.has(t.name) ||
      last?.status === 'failed' ||
      !outputExists(t) ||
      taskErrors.has(t.name) ||
      t.files?.length ||
      t.volatile
    ) {
      candidates.add(t.name);
    }
  }
  for (const name of taskErrors.keys()) if (inSel(name) && !g.hasNode(taskId(name))) candidates.add(name);
  // Tasks whose inputs may change during this run (an upstream rebuilt for its own reasons).
  const reachable = new Set([
    ...candidates,
    ...[...descendants(g, [...candidates].filter((t) => g.hasNode(taskId(t))).map(taskId))].filter(inSel),
  ]);

  const files = new FileBook(store.db);
  const ctx: VerifyContext = {
    store,
    book,
    traces,
    engineVersion,
    fullRefresh: opts.fullRefresh ?? false,
    outputExists,
    producers,
    builtThisRun: new Map(),
    pending,
    latest,
    files,
  };
  const results: (TaskResult | PlanEntry)[] = [];
  const status = new Map<string, string>();
  // Candidates grow as builds mark their consumers: count every task this run may reach.
  const total = reachable.size;
  let interrupted = false;
  const emit = (r: TaskResult | PlanEntry) => {
    results.push(r);
    status.set(r.task, r.status);
    // A failed or blocked task's consumers are reported blocked for this run.
    if ((r.status === 'failed' || r.status === 'blocked') && g.hasNode(taskId(r.task))) {
      for (const d of downstreamOf(g.getNodeAttribute(taskId(r.task), 'task')!)) candidates.add(d);
    }
    if (!dry && r.status !== 'built') store.recordTaskRun(runId, r as TaskResult);
    opts.onTask?.(r, results.length, total);
  };

  // Tasks with errors outside the graph (unparsable SQL, unknown tables) fail first.
  for (const name of [...taskErrors.keys()].sort()) {
    if (g.hasNode(taskId(name)) || !candidates.has(name)) continue;
    const spec = project.taskByName.get(name)!;
    emit({
      task: name,
      output: spec.options.output,
      status: 'failed',
      causes: [],
      durationMs: 0,
      error: taskErrors.get(name)!.oneLine(),
      file: spec.file,
    });
  }

  const schedule = generations(g, reachable).flat();
  const cyclic = cyclicTasks(g);
  for (const name of [...cyclic].sort()) {
    if (!candidates.has(name)) continue;
    const t = g.getNodeAttribute(taskId(name), 'task')!;
    emit({
      task: name,
      output: t.output,
      status: 'failed',
      causes: [],
      durationMs: 0,
      error: taskErrors.get(name)?.oneLine(),
      file: t.file,
    });
  }
  for (const t of schedule) {
    if (!candidates.has(t.name) || status.has(t.name)) continue;
    if (opts.signal?.aborted) {
      interrupted = true;
      break;
    }
    const base = { task: t.name, output: t.output, causes: [], durationMs: 0, file: t.file };
    const upstream = t.reads.flatMap(producers);
    const badUp = upstream.find((u) => status.get(u) === 'failed' || status.get(u) === 'blocked');
    if (taskErrors.has(t.name)) {
      emit({ ...base, status: 'failed', error: taskErrors.get(t.name)!.oneLine() });
      continue;
    }
    if (badUp) {
      emit({ ...base, status: 'blocked', reason: `upstream task ${badUp} ${status.get(badUp)}` });
      continue;
    }
    const lineageBlocked = project.lineage.blocked.get(t.name);
    if (lineageBlocked) {
      emit({ ...base, status: 'blocked', reason: lineageBlocked });
      continue;
    }
    const verdict = await verify(t, ctx);
    if (dry) {
      const waits = upstream.some((u) => status.get(u) === 'would_build' || status.get(u) === 'would_build_unless_cutoff');
      const own = verdict.causes.filter((c) => !(c.kind === 'input_changed' && producers(c.input).some((p) => status.has(p))));
      const st: PlanStatus =
        own.length > 0 ? 'would_build' : waits ? 'would_build_unless_cutoff' : verdict.causes.length > 0 ? 'would_build' : 'skipped';
      const waitsOn = upstream.filter((u) => status.get(u) === 'would_build' || status.get(u) === 'would_build_unless_cutoff');
      emit({
        ...base,
        status: st,
        causes: verdict.causes,
        ...(st === 'would_build_unless_cutoff' ? { reason: `waits on ${[...new Set(waitsOn)].join(', ')}` } : {}),
      });
      if (st !== 'skipped') for (const d of downstreamOf(t)) candidates.add(d);
      continue;
    }
    if (verdict.causes.length === 0) {
      const reads = Object.keys(verdict.current);
      const upstreamMoved = pending.has(t.name) || upstream.some((u) => ctx.builtThisRun.has(u));
      const reason = upstreamMoved
        ? `cut off: ${reads.map((ds) => `${ds}(${verdict.current[ds]!.columns.join(', ') || 'row count'})`).join(', ') || 'its inputs'} unchanged`
        : 'up to date';
      store.clearPending(t.name);
      emit({ ...base, status: 'skipped', reason });
      continue;
    }
    try {
      const { result } = await buildTask(
        t,
        verdict.current,
        verdict.causes,
        { project, store, warehouse, book, runId, engineVersion, traces, producers, pending, consumers },
        verdict.files,
      );
      relations.set(targetOf(t, producers).replace(/"/g, '').toLowerCase(), t.materialize === 'table' ? 'table' : 'view');
      ctx.builtThisRun.set(t.name, runId);
      // Direct consumers are verified either way: the cheap token compare shows the cutoff.
      for (const d of downstreamOf(t)) candidates.add(d);
      emit(result);
    } catch (e) {
      // The state failing (disk full, corrupt warehouse) is not this task's fault: the run stops.
      if (isStateFault(e, project.config.stateDir)) throw e;
      const known = e instanceof RelspecError ? e : new RelspecError('E_TASK_RUN', errorMessage(e).split('\n')[0]!);
      const msg = new RelspecError(known.code, known.message, { file: known.file ?? t.file, fix: known.fix }).oneLine();
      emit({ ...base, status: 'failed', causes: verdict.causes, error: msg });
    }
  }
  // Tokens computed on demand (new column sets) are facts about current content: keep them.
  if (!dry && book.dirty.size > 0) store.tx(() => book.dirty.forEach((ds) => store.putEvidence(book.evidence.get(ds)!)));
  if (!dry) files.flush();

  function downstreamOf(t: GraphTask): string[] {
    const out: string[] = [];
    g.forEachOutNeighbor(outputId(t.output), (_, a) => {
      if (a.kind === 'task' && inSel(a.name)) out.push(a.name);
    });
    return out;
  }

  const count = (s: string) => results.filter((r) => r.status === s).length;
  const failed = count('failed') + errors.length > 0;
  const runStatus: RunResult['status'] = failed ? 'failed' : count('built') === 0 ? 'noop' : 'ok';
  const signature = graphSignature(g);
  const unaffected = tasksOf(g).filter((t) => inSel(t.name) && !status.has(t.name)).length;
  const summary = { built: count('built'), skipped: count('skipped') + unaffected, failed: count('failed'), blocked: count('blocked') };
  if (!dry) {
    store.finishRun(runId, interrupted ? 'interrupted' : runStatus, signature, summary);
    store.setMeta('config_hash', project.configHash);
    store.setMeta('engine_version', engineVersion);
  }
  const warnings = projectWarnings(g).filter((w) => inSel(w.task));
  const taskFiles = [...new Set(tasksOf(g).flatMap((t) => (t.files ?? []).map((f) => f.abs)))].sort();
  return {
    runId,
    status: runStatus,
    changes,
    tasks: results,
    errors,
    durationMs: performance.now() - t0,
    signature,
    interrupted,
    unaffected,
    code: project.codeSyncs,
    warnings,
    sourceWarnings: project.warnings,
    taskFiles,
  };
}
