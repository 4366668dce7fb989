import { loadConfig, type LoadedConfig } from '../config/load.js';
import { Warehouse } from '../engine/warehouse.js';
import { graphSignature, tasksOf } from '../graph/index.js';
import { loadProject } from '../project/load.js';
import { openStateDb, type Db } from '../state/db.js';
import { stateFaultError } from '../state/faults.js';
import { Store } from '../state/store.js';
import { countStatuses } from '../records/summary.js';
import { projectWarnings } from './caveats.js';
import { findCandidates } from './candidates.js';
import { FileBook } from './fileInputs.js';
import { observe } from './observe.js';
import { runScope, type RunScope, type RunStart } from './runScope.js';
import { startPlan, startRecording } from './runStart.js';
import { runSchedule, type ScheduleResult } from './schedule.js';
import { buildStep, planStep } from './steps.js';
import { pruneRunBundles, writeRunBundle } from './bundle.js';
import { finishLineage, lineageRun } from './lineageEvents.js';
import type { RunOptions, RunOutcome } from './runTypes.js';
import type { VerifyContext } from './verify.js';

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
    if (!opts.dryRun) failRunningRuns(db, loaded.config.stateDir);
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

/**
 * A run that threw outside any task would stay 'running' until the next run: record it as failed.
 * The caller holds the state lock, so a run recorded as running is this one. After an IO failure the
 * open handle may be unusable: a fresh one is tried.
 */
function failRunningRuns(db: Db, stateDir: string): void {
  for (const open of [() => db, () => openStateDb(stateDir)]) {
    try {
      const handle = open();
      try {
        new Store(handle).failRunningRuns();
      } finally {
        if (handle !== db) handle.close();
      }
      return;
    } catch {
      /* the state itself is the problem (or there is none yet): the run's own error stands */
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
    onProgress: opts.onProgress,
    deltaCache: opts.deltaCache,
  });
  const engineVersion = await warehouse.version();
  const scope = runScope(project, store, warehouse, opts, engineVersion);
  const obs = await observe(project, store, engineVersion, warehouse.conn);
  // Phase 1: a run records what observe found; a plan lays it over the state in memory.
  const start = dry ? await startPlan(scope, obs) : await startRecording(scope, obs);
  // Phase 2: what may need work.
  const cands = findCandidates(scope, start);
  const files = new FileBook(store.db);
  const ctx: VerifyContext = {
    store,
    book: start.book,
    traces: start.traces,
    engineVersion,
    fullRefresh: opts.fullRefresh ?? false,
    outputExists: cands.outputExists,
    producers: scope.producers,
    builtThisRun: new Map(),
    pending: start.pending,
    latest: start.latest,
    files,
  };
  // Phase 3: the schedule in topological order, engine.concurrency tasks at a time (a plan, one at a time).
  const ol = dry ? undefined : lineageRun(scope, start);
  const sched = ol ? { ...scope, opts: ol.wrap(scope.opts) } : scope;
  const step = dry ? planStep(scope, ctx) : buildStep(sched, start, ctx);
  const done = await runSchedule(sched, cands, step, dry ? 1 : (loaded.config.engine.concurrency ?? 1));
  // Phase 4: the outcome; a run also records it.
  const outcome = finish(scope, start, cands.errors, done, t0);
  if (ol) outcome.lineage = await finishLineage(scope, ol);
  if (!dry) {
    recordFinish(scope, start, files, outcome);
    await writeRunBundle(warehouse, loaded.config.stateDir, scope.g, start.book, outcome);
    pruneRunBundles(loaded.config.stateDir, loaded.config.keepRuns);
  }
  return outcome;
}

function finish(scope: RunScope, start: RunStart, errors: RunOutcome['errors'], done: ScheduleResult, t0: number): RunOutcome {
  const { g, inSel, project } = scope;
  const unaffected = tasksOf(g).filter((t) => inSel(t.name) && !done.status.has(t.name)).length;
  const summary = countStatuses(done.results, unaffected);
  const status: RunOutcome['status'] = summary.failed + errors.length > 0 ? 'failed' : summary.built === 0 ? 'noop' : 'ok';
  return {
    runId: start.runId,
    status,
    summary,
    changes: start.changes,
    tasks: done.results,
    errors,
    durationMs: performance.now() - t0,
    signature: graphSignature(g),
    interrupted: done.interrupted,
    unaffected,
    code: project.codeSyncs,
    warnings: projectWarnings(g).filter((w) => inSel(w.task)),
    sourceWarnings: project.warnings,
    taskFiles: [...new Set(tasksOf(g).flatMap((t) => (t.files ?? []).map((f) => f.abs)))].sort(),
  };
}

function recordFinish({ store, project, engineVersion }: RunScope, { book }: RunStart, files: FileBook, out: RunOutcome): void {
  // Tokens computed on demand (new column sets) are facts about current content: keep them.
  if (book.dirty.size > 0) store.tx(() => book.dirty.forEach((ds) => store.putEvidence(book.evidence.get(ds)!)));
  files.flush();
  const { built, skipped, failed, blocked } = out.summary;
  store.finishRun(out.runId, out.interrupted ? 'interrupted' : out.status, out.signature, { built, skipped, failed, blocked });
  store.setMeta('config_hash', project.configHash);
  store.setMeta('engine_version', engineVersion);
}
