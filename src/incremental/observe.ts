import { outputId, sourceId, taskId, type RelGraph } from '../graph/index.js';
import type { Project } from '../project/load.js';
import type { ObservedSource } from '../sources/index.js';
import type { EvidenceRow, Store, TaskRow } from '../state/store.js';
import type { RootChange } from '../records/types.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { deltaTokens } from './delta.js';
import { observeFileSource } from './observeFiles.js';
import { deltaLogState } from './deltaLog.js';
import { consumerSets } from './tokenbook.js';
import { columnSetKey } from '../engine/tokens.js';

export interface Observation {
  changes: RootChange[];
  /** task → root change ids that may affect it (new entries only). */
  pending: [string, string][];
  /** Evidence rows to write for sources (new versions, new file signatures). */
  sourceEvidence: EvidenceRow[];
  /** Task rows to upsert and task names to delete. */
  taskRows: TaskRow[];
  removedTasks: TaskRow[];
}

/**
 * Tasks reading a node's output directly. Pending marks go one level down only: when a build
 * changes its output, the same transaction marks the next level (build.ts), so a crash anywhere
 * still leaves every stale task marked — without writing a mark per descendant per change.
 */
const affected = (g: RelGraph, ids: string[]): string[] => {
  const out = new Set<string>();
  for (const id of ids) {
    if (!g.hasNode(id)) continue;
    const evidence = g.getNodeAttribute(id, 'kind') === 'task' ? g.outNeighbors(id) : [id];
    for (const ev of evidence) for (const t of g.outNeighbors(ev)) out.add(g.getNodeAttribute(t, 'name'));
  }
  return [...out].sort();
};

/**
 * Compares what is there now (config, engine, sources, tasks) with what the state recorded, and
 * turns each difference into a root change plus the tasks it may affect. Nothing is written here.
 */
export async function observe(project: Project, store: Store, engineVersion: string, conn: DuckDBConnection): Promise<Observation> {
  const obs: Observation = { changes: [], pending: [], sourceEvidence: [], taskRows: [], removedTasks: [] };
  const g = project.graph;
  const allTasks = project.tasks.map((t) => t.name).filter((t) => g.hasNode(taskId(t)));

  const oldConfig = store.getMeta('config_hash');
  if (oldConfig !== undefined && oldConfig !== project.configHash) {
    obs.changes.push({
      id: `config@${project.configHash}`,
      kind: 'config_edited',
      file: project.config.configFile ?? '(inline)',
      from: oldConfig,
      to: project.configHash,
    });
  }
  const oldEngine = store.getMeta('engine_version');
  if (oldEngine !== undefined && oldEngine !== engineVersion) {
    const id = `engine@${engineVersion}`;
    obs.changes.push({ id, kind: 'engine_changed', from: oldEngine, to: engineVersion });
    for (const t of allTasks) obs.pending.push([t, id]);
  }

  const evidence = store.evidence();
  for (const src of [...project.sources.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const old = evidence.get(src.name);
    if (src.delta) {
      await observeDelta(project, src, old, conn, obs);
      continue;
    }
    const seen = await observeFileSource(project, src, old);
    if (!seen) continue;
    obs.sourceEvidence.push(seen.evidence);
    if (!seen.change) continue;
    obs.changes.push(seen.change);
    for (const t of affected(g, [sourceId(src.name)])) obs.pending.push([t, seen.change.id]);
  }

  const stored = store.tasks();
  for (const name of allTasks) {
    const spec = project.taskByName.get(name)!;
    const p = project.lineage.parsed.get(name)!;
    const old = stored.get(name);
    const row: TaskRow = {
      name,
      file: spec.file,
      output: spec.options.output,
      fingerprint: p.fingerprint,
      sql: spec.sql,
      changeId: old?.changeId ?? null,
    };
    if (!old) {
      const id = `task:${name}@${p.fingerprint.slice(0, 12)}`;
      obs.changes.push({ id, kind: 'task_added', task: name, file: spec.file });
      obs.pending.push([name, id]);
      obs.taskRows.push({ ...row, changeId: id });
    } else if (old.fingerprint !== p.fingerprint) {
      const id = `task:${name}@${p.fingerprint.slice(0, 12)}`;
      obs.changes.push({
        id,
        kind: 'task_edited',
        task: name,
        file: spec.file,
        fromFingerprint: old.fingerprint,
        toFingerprint: p.fingerprint,
        fromSql: old.sql,
        toSql: spec.sql,
      });
      obs.pending.push([name, id]);
      obs.taskRows.push({ ...row, changeId: id });
    } else if (old.sql !== spec.sql || old.file !== spec.file) {
      obs.taskRows.push(row); // formatting-only edit: remember the text for diffs, change nothing
    }
  }
  for (const [name, old] of stored) {
    if (project.taskByName.has(name)) continue;
    const id = `task:${name}@removed:${old.fingerprint.slice(0, 12)}`;
    obs.changes.push({ id, kind: 'task_removed', task: name, file: old.file });
    obs.removedTasks.push(old);
    if (g.hasNode(outputId(old.output)))
      for (const t of [
        ...g.inNeighbors(outputId(old.output)).map((n) => g.getNodeAttribute(n, 'name')),
        ...affected(g, [outputId(old.output)]),
      ])
        obs.pending.push([t, id]);
  }
  return obs;
}

/**
 * A Delta source's version is its latest commit, pinned when the project loaded. Moving from v to w
 * is one root change carrying each commit's operation and counts, and for each consumer column
 * set whether its projection changed — decided from the change rows alone.
 */
async function observeDelta(
  project: Project,
  src: ObservedSource,
  old: EvidenceRow | undefined,
  conn: DuckDBConnection,
  obs: Observation,
): Promise<void> {
  const snap = src.delta!;
  // The table's metaData id is part of its signature: a table deleted and created again (same
  // directory, a new history) must not be read as commits on top of the old one.
  const sig = `delta@${snap.version}#${snap.metadata.id}`;
  const sameTable =
    old?.kind === 'source' &&
    old.filesSig?.startsWith('delta@') &&
    (!old.filesSig.includes('#') || old.filesSig.endsWith(`#${snap.metadata.id}`));
  // Commit files are immutable by the protocol, not by the world: a commit completed after it was
  // read is a root change, found by the fingerprints of what was consumed (deltaLog.ts).
  // A code source's tables have one writer, relspec itself, whose commits appear whole (put-if-absent
  // of a complete file): nothing to re-check, and on the save-to-fresh path each stored fingerprint
  // would cost a stat per run per table.
  const log = src.code
    ? { logFiles: old?.logFiles ?? [], rewritten: [], changed: false }
    : await deltaLogState(snap, sameTable ? (old!.logFiles ?? []) : [], sameTable ? old!.version : undefined);
  if (old && old.kind === 'source' && old.filesSig === sig && log.rewritten.length === 0) {
    if (log.changed) obs.sourceEvidence.push({ ...old, logFiles: log.logFiles });
    return;
  }
  const g = project.graph;
  const sets = consumerSets(g, src.name, src.schema);
  const from = sameTable ? old!.version : undefined;
  // A rewritten commit's first reading cannot be subtracted (only its hash is kept), and change rows
  // across a schema change would hash old rows under new types: both scan the snapshot instead.
  const schemaMoved = from !== undefined && old!.schema !== null && JSON.stringify(old!.schema) !== JSON.stringify(src.schema);
  const rescan =
    log.rewritten.length > 0
      ? `commit file${log.rewritten.length === 1 ? '' : 's'} rewritten after ${log.rewritten.length === 1 ? 'it was' : 'they were'} read`
      : schemaMoved
        ? 'the schema changed'
        : undefined;
  const res = await deltaTokens(
    conn,
    snap,
    from,
    from === undefined ? {} : old!.tokens,
    sets.map((s) => s.columns),
    src.schema,
    rescan,
    project.deltaCache,
  );
  const path = snap.tableDir;
  const id =
    log.rewritten.length > 0
      ? `delta:${src.name}@${snap.version}~${log.rewritten[0]!.to.hash.slice(0, 8)}`
      : `delta:${src.name}@${snap.version}`;
  const change: RootChange =
    from === undefined
      ? { id, kind: 'source_added', source: src.name, path, toVersion: snap.version }
      : {
          id,
          kind: 'delta_commits',
          source: src.name,
          path,
          fromVersion: from,
          toVersion: snap.version,
          commits: res.commits,
          consumers: sets
            .filter((s) => s.tasks.length > 0)
            .map((s) => ({ tasks: s.tasks.sort(), columns: s.columns, changed: res.changed.has(columnSetKey(s.columns)) })),
          ...(res.fallback ? { fallback: res.fallback } : {}),
          ...(log.rewritten.length > 0 ? { rewritten: log.rewritten } : {}),
        };
  obs.changes.push(change);
  // An unchanged projection (OPTIMIZE, an unread column) marks nothing: the traces would agree anyway.
  if (from === undefined || res.changed.size > 0) for (const t of affected(g, [sourceId(src.name)])) obs.pending.push([t, id]);
  obs.sourceEvidence.push({
    name: src.name,
    kind: 'source',
    version: snap.version,
    schema: src.schema,
    schemaFp: null,
    tokens: res.tokens,
    filesSig: sig,
    contentHash: null,
    changeId: res.changed.size > 0 || from === undefined ? id : (old?.changeId ?? id),
    updatedRun: null,
    files: null,
    logFiles: log.logFiles,
  });
}
