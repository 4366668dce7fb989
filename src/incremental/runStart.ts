import { sqlName } from '../catalog/names.js';
import { snapshotQuery } from '../delta/index.js';
import { sliceName } from '../engine/warehouse.js';
import { changesTable } from '../engine/keyed.js';
import { readerSql } from '../sources/index.js';
import type { RootChange } from '../records/types.js';
import { reconcileUnions } from './build.js';
import type { Observation } from './observe.js';
import type { RunScope, RunStart } from './runScope.js';
import { TokenBook } from './tokenbook.js';

/**
 * Phase 1 of a run: what observe found becomes the run's record. `relspec run` and the daemon
 * write it (startRecording); `relspec plan` overlays it on the state in memory (startPlan).
 */

export async function startRecording(scope: RunScope, obs: Observation): Promise<RunStart> {
  const { store, warehouse, project, opts, producers } = scope;
  const runId = store.startRun(opts.trigger ?? 'cli', opts.select, scope.engineVersion, project.configHash);
  const changes = renameRepeats(store, runId, obs);
  if (opts.rescanReason) changes.push({ id: `rescan@${runId}`, kind: 'rescan', reason: opts.rescanReason });
  // Listing the relations also tells the warehouse each one's kind, which drop() needs.
  let relations = await warehouse.relations();

  // Removed tasks: their slice, and their output unless another task still produces it — dropped
  // BEFORE the removal is recorded, so a crash in between repeats the drops next run. A shared
  // output left with one producer is dropped with that producer's slice: the survivor now writes
  // the output itself and rebuilds (output missing). With two or more left, reconcileUnions below
  // re-forms the union.
  // Their key-scoped change rows (keyedBuild.ts names them by output, or slice:<task>) go too.
  for (const t of obs.removedTasks) {
    await warehouse.drop(sliceName(t.name));
    await warehouse.drop(changesTable(`slice:${t.name}`));
    const left = producers(t.output);
    if (left.length <= 1) await warehouse.drop(sqlName(t.output));
    if (left.length <= 1) await warehouse.drop(changesTable(t.output));
    if (left.length === 1) await warehouse.drop(sliceName(left[0]!));
    if (left.length === 1) await warehouse.drop(changesTable(`slice:${left[0]!}`));
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
  await registerSources(scope);

  const start = stateAsRecorded(scope, runId, changes, relations);
  const removedRoot = new Map(
    obs.removedTasks.map((t) => [t.output, changes.find((c) => c.kind === 'task_removed' && c.task === t.name)?.id]),
  );
  await reconcileUnions(
    { project, store, warehouse, book: start.book, runId, pending: start.pending, consumers: scope.consumers },
    scope.producersOf.keys(),
    (o) => removedRoot.get(o) ?? `union:${o}@r${runId}`,
  );
  return start;
}

/** A plan records nothing: what observe found is laid over the stored evidence and pending marks. */
export async function startPlan(scope: RunScope, obs: Observation): Promise<RunStart> {
  const start = stateAsRecorded(scope, 0, [...obs.changes], await scope.warehouse.relations());
  for (const e of obs.sourceEvidence) start.evidence.set(e.name, e);
  for (const [t, c] of obs.pending) start.pending.set(t, [...(start.pending.get(t) ?? []), c]);
  return start;
}

function stateAsRecorded(scope: RunScope, runId: number, changes: RootChange[], relations: RunStart['relations']): RunStart {
  const { store } = scope;
  const evidence = store.evidence();
  const traces = store.traces();
  return {
    runId,
    changes,
    relations,
    evidence,
    traces,
    pending: store.pending(),
    latest: store.latestTaskRuns(),
    book: new TokenBook(scope.project, scope.warehouse, evidence, traces),
  };
}

/**
 * Change ids name what changed (task@fingerprint, config@hash): going back to an earlier state
 * repeats one, so a repeat gets this run's number to stay a distinct record.
 */
function renameRepeats(store: RunScope['store'], runId: number, obs: Observation): RootChange[] {
  const renamed = new Map<string, string>();
  for (const c of obs.changes) {
    if (store.change(c.id)) {
      renamed.set(c.id, `${c.id}#r${runId}`);
      c.id = `${c.id}#r${runId}`;
    }
  }
  obs.pending = obs.pending.map(([t, id]) => [t, renamed.get(id) ?? id]);
  for (const e of obs.sourceEvidence) if (e.changeId && renamed.has(e.changeId)) e.changeId = renamed.get(e.changeId)!;
  for (const t of obs.taskRows) if (t.changeId && renamed.has(t.changeId)) t.changeId = renamed.get(t.changeId)!;
  return [...obs.changes];
}

/**
 * A Delta source is a view over its pinned snapshot: a commit landing during this run is the next
 * run's (docs/ARCHITECTURE.md invariant 7). Its deleted rows are inlined: the view outlives this connection.
 */
async function registerSources({ project, warehouse }: RunScope): Promise<void> {
  const readers: { name: string; reader: string }[] = [];
  for (const s of project.sources.values()) {
    const reader = s.delta
      ? `(${await snapshotQuery(warehouse.conn, s.delta, { inlineRowsLimit: Infinity, cache: project.deltaCache })})`
      : readerSql(
          project.config.sources[s.name]!,
          s.files.map((f) => f.path),
        );
    readers.push({ name: s.name, reader });
  }
  await warehouse.registerSources(readers);
}
