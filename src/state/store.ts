import type { Cause, Refresh, RootChange, StoredRunStatus, TaskReason, TaskResult, TaskStatus, Trace } from '../records/types.js';
import type Database from 'better-sqlite3';
import type { Db } from './db.js';
import type { LogFileFingerprint } from '../delta/logFingerprint.js';
import { schemaFingerprint } from './schemaFingerprint.js';

/** One observed file of a file source (see EvidenceRow.files). */
export type SourceFileTuple = [path: string, size: number, mtimeMs: number, signature?: string, hash?: string];

export interface EvidenceRow {
  name: string;
  kind: 'source' | 'output';
  version: number;
  schema: { name: string; type: string }[] | null;
  schemaFp: string | null;
  tokens: Record<string, string>;
  filesSig: string | null;
  contentHash: string | null;
  changeId: string | null;
  updatedRun: number | null;
  /**
   * Sources: the files last observed, as [path, size, mtimeMs, stat signature, content hash]. Rows an
   * older relspec wrote are [path, size, mtimeMs]: no signature reads as "moved", so the file is hashed.
   */
  files?: SourceFileTuple[] | null;
  /** Delta sources: the log files consumed so far (delta/logFingerprint.ts). */
  logFiles?: LogFileFingerprint[] | null;
}

export interface TaskRow {
  name: string;
  file: string;
  output: string;
  fingerprint: string;
  sql: string;
  changeId: string | null;
}

export interface RunRow {
  id: number;
  trigger: string;
  startedAt: string;
  endedAt: string | null;
  status: StoredRunStatus;
  graphSignature: string | null;
  engineVersion: string | null;
  configHash: string | null;
  selection: string | null;
  summary: Record<string, number> | null;
}

export interface TaskRunRow {
  runId: number;
  task: string;
  output: string;
  status: TaskStatus;
  durationMs: number | null;
  rows: number | null;
  error: string | null;
  reason: TaskReason | null;
  refresh: Refresh | null;
}

/**
 * A stored reason: JSON since reasons became data; a sentence in rows written before, kept as
 * `legacy` so old runs still explain themselves.
 */
function parseStoredReason(text: string | null): TaskReason | undefined {
  if (text === null || text === '') return undefined;
  if (text.startsWith('{')) {
    try {
      const r = JSON.parse(text) as TaskReason;
      if (typeof r?.kind === 'string') return r;
    } catch {
      /* not JSON after all: a sentence that starts with a brace */
    }
  }
  return { kind: 'legacy', text };
}

const storeReason = (r: TaskReason | undefined): string | null => (r === undefined ? null : JSON.stringify(r));

const json = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

/** Typed access to the state database; every write that must be atomic takes a transaction. */
export class Store {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly db: Db) {}

  /** Statements are prepared once per store: preparing per call dominated per-task bookkeeping. */
  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  getMeta(key: string): string | undefined {
    return (this.stmt('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }
  setMeta(key: string, value: string): void {
    this.stmt('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  startRun(trigger: string, selection: string | undefined, engineVersion: string, configHash: string): number {
    const r = this.db
      .prepare("INSERT INTO runs (trigger, started_at, status, engine_version, config_hash, selection) VALUES (?, ?, 'running', ?, ?, ?)")
      .run(trigger, new Date().toISOString(), engineVersion, configHash, selection ?? null);
    return Number(r.lastInsertRowid);
  }
  finishRun(id: number, status: StoredRunStatus, signature: string | null, summary: Record<string, number>): void {
    this.db
      .prepare('UPDATE runs SET ended_at = ?, status = ?, graph_signature = ?, summary = ? WHERE id = ?')
      .run(new Date().toISOString(), status, signature, JSON.stringify(summary), id);
  }
  /**
   * Runs left 'running' by a process that died (kill -9, power loss) are closed as crashed; the
   * caller holds the state lock, so no live process owns them. Their end time stays unknown.
   */
  closeDanglingRuns(): void {
    this.stmt("UPDATE runs SET status = 'crashed' WHERE status = 'running'").run();
  }
  /** A run that threw (an error outside any task) in this live process: failed, ended now. */
  failRunningRuns(): void {
    this.stmt("UPDATE runs SET status = 'failed', ended_at = coalesce(ended_at, ?) WHERE status = 'running'").run(new Date().toISOString());
  }
  run(id: number): RunRow | undefined {
    const r = this.stmt('SELECT * FROM runs WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    return r ? toRun(r) : undefined;
  }
  runs(limit: number): RunRow[] {
    return (this.stmt('SELECT * FROM runs ORDER BY id DESC LIMIT ?').all(limit) as Record<string, unknown>[]).map(toRun);
  }
  lastRunId(): number | undefined {
    return (this.stmt('SELECT max(id) AS id FROM runs').get() as { id: number | null }).id ?? undefined;
  }

  recordChanges(runId: number, changes: readonly RootChange[]): void {
    const st = this.stmt('INSERT OR IGNORE INTO changes (id, run_id, kind, subject, details) VALUES (?, ?, ?, ?, ?)');
    for (const c of changes) st.run(c.id, runId, c.kind, subjectOf(c), JSON.stringify(c));
  }
  change(id: string): (RootChange & { runId: number }) | undefined {
    const r = this.stmt('SELECT run_id, details FROM changes WHERE id = ?').get(id) as { run_id: number; details: string } | undefined;
    return r ? { ...(JSON.parse(r.details) as RootChange), runId: r.run_id } : undefined;
  }
  changesOfRun(runId: number): RootChange[] {
    return (this.stmt('SELECT details FROM changes WHERE run_id = ? ORDER BY rowid').all(runId) as { details: string }[]).map(
      (r) => JSON.parse(r.details) as RootChange,
    );
  }

  addPending(entries: readonly [task: string, changeId: string][]): void {
    const st = this.stmt('INSERT OR IGNORE INTO pending (task, change_id) VALUES (?, ?)');
    for (const [t, c] of entries) st.run(t, c);
  }
  pending(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const r of this.stmt('SELECT task, change_id FROM pending ORDER BY rowid').all() as { task: string; change_id: string }[]) {
      const ids = out.get(r.task);
      if (ids) ids.push(r.change_id);
      else out.set(r.task, [r.change_id]);
    }
    return out;
  }
  clearPending(task: string): void {
    this.stmt('DELETE FROM pending WHERE task = ?').run(task);
  }

  evidence(): Map<string, EvidenceRow> {
    const out = new Map<string, EvidenceRow>();
    for (const r of this.stmt('SELECT * FROM evidence').all() as Record<string, unknown>[]) {
      out.set(String(r.name), {
        name: String(r.name),
        kind: r.kind as EvidenceRow['kind'],
        version: Number(r.version),
        schema: json(r.schema as string | null),
        schemaFp: (r.schema_fp as string | null) ?? null,
        tokens: json(r.tokens as string) ?? {},
        filesSig: (r.files_sig as string | null) ?? null,
        contentHash: (r.content_hash as string | null) ?? null,
        changeId: (r.change_id as string | null) ?? null,
        updatedRun: (r.updated_run as number | null) ?? null,
        files: json(r.files as string | null),
        logFiles: json(r.log_files as string | null),
      });
    }
    return out;
  }
  putEvidence(e: EvidenceRow): void {
    this.db
      .prepare(
        `INSERT INTO evidence (name, kind, version, schema, schema_fp, tokens, files_sig, content_hash, change_id, updated_run, files, log_files)
         VALUES (@name, @kind, @version, @schema, @schemaFp, @tokens, @filesSig, @contentHash, @changeId, @updatedRun, @files, @logFiles)
         ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, version = excluded.version, schema = excluded.schema,
           schema_fp = excluded.schema_fp, tokens = excluded.tokens, files_sig = excluded.files_sig,
           content_hash = excluded.content_hash, change_id = excluded.change_id, updated_run = excluded.updated_run,
           files = excluded.files, log_files = excluded.log_files`,
      )
      .run({ ...e, schemaFp: schemaFingerprint(e.schema) ?? e.schemaFp, schema: e.schema ? JSON.stringify(e.schema) : null, tokens: JSON.stringify(e.tokens), files: e.files ? JSON.stringify(e.files) : null, logFiles: e.logFiles ? JSON.stringify(e.logFiles) : null });
  }
  /** A new engine may hash differently: every stored token is recomputed on demand. */
  clearTokens(): void {
    this.stmt("UPDATE evidence SET tokens = '{}'").run();
  }
  deleteEvidence(name: string): void {
    this.stmt('DELETE FROM evidence WHERE name = ?').run(name);
  }

  tasks(): Map<string, TaskRow> {
    const rows = this.stmt('SELECT name, file, output, fingerprint, sql, change_id AS changeId FROM tasks').all() as TaskRow[];
    return new Map(rows.map((r) => [r.name, r]));
  }
  putTask(t: TaskRow): void {
    this.db
      .prepare(
        `INSERT INTO tasks (name, file, output, fingerprint, sql, change_id) VALUES (@name, @file, @output, @fingerprint, @sql, @changeId)
         ON CONFLICT(name) DO UPDATE SET file = excluded.file, output = excluded.output, fingerprint = excluded.fingerprint,
           sql = excluded.sql, change_id = excluded.change_id`,
      )
      .run(t);
  }
  deleteTask(name: string): void {
    this.stmt('DELETE FROM tasks WHERE name = ?').run(name);
    this.stmt('DELETE FROM traces WHERE task = ?').run(name);
    this.stmt('DELETE FROM pending WHERE task = ?').run(name);
  }

  traces(): Map<string, Trace> {
    const out = new Map<string, Trace>();
    for (const r of this.stmt('SELECT * FROM traces').all() as Record<string, string | number>[]) {
      out.set(String(r.task), {
        task: String(r.task),
        fingerprint: String(r.fingerprint),
        engineVersion: String(r.engine_version),
        inputs: JSON.parse(String(r.inputs)),
        output: String(r.output),
        outputTokens: JSON.parse(String(r.output_tokens)),
        runId: Number(r.run_id),
        sql: String(r.sql),
        ...(r.files ? { files: JSON.parse(String(r.files)) } : {}),
        ...(r.caveats ? { caveats: JSON.parse(String(r.caveats)) } : {}),
        ...(r.keys ? { keys: JSON.parse(String(r.keys)) } : {}),
      });
    }
    return out;
  }
  putTrace(t: Trace): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO traces (task, fingerprint, engine_version, inputs, output, output_tokens, run_id, sql, files, caveats, keys)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(t.task, t.fingerprint, t.engineVersion, JSON.stringify(t.inputs), t.output, JSON.stringify(t.outputTokens), t.runId, t.sql, t.files ? JSON.stringify(t.files) : null, t.caveats?.length ? JSON.stringify(t.caveats) : null, t.keys ? JSON.stringify(t.keys) : null);
  }

  recordTaskRun(runId: number, r: TaskResult): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO task_runs (run_id, task, output, status, duration_ms, rows, error, reason, refresh) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(runId, r.task, r.output, r.status, r.durationMs, r.rows ?? null, r.error ?? null, storeReason(r.reason), r.refresh ? JSON.stringify(r.refresh) : null);
    const st = this.stmt(
      `INSERT OR REPLACE INTO causes (run_id, task, seq, kind, input, columns, old_token, new_token, change_id, upstream_task, upstream_run, details)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    r.causes.forEach((c, i) => {
      const x = c as Partial<Extract<Cause, { kind: 'input_changed' }>> & { kind: string; root?: string };
      st.run(
        runId,
        r.task,
        i,
        c.kind,
        x.input ?? null,
        x.columns ? JSON.stringify(x.columns) : null,
        x.from ?? null,
        x.to ?? null,
        x.root ?? null,
        x.upstream?.task ?? null,
        x.upstream?.runId ?? null,
        JSON.stringify(c),
      );
    });
  }
  taskRun(runId: number, task: string): TaskRunRow | undefined {
    const r = this.stmt('SELECT * FROM task_runs WHERE run_id = ? AND task = ?').get(runId, task) as Record<string, unknown> | undefined;
    return r ? toTaskRun(r) : undefined;
  }
  taskRunsOf(runId: number): TaskRunRow[] {
    return (this.stmt('SELECT * FROM task_runs WHERE run_id = ? ORDER BY rowid').all(runId) as Record<string, unknown>[]).map(toTaskRun);
  }
  /** The latest run of a task with one of these statuses (at or before `atRun`). */
  lastTaskRun(task: string, statuses: readonly TaskStatus[], atRun = Number.MAX_SAFE_INTEGER): TaskRunRow | undefined {
    const r = this.db
      .prepare(`SELECT * FROM task_runs WHERE task = ? AND run_id <= ? AND status IN (${statuses.map(() => '?').join(',')}) ORDER BY run_id DESC LIMIT 1`)
      .get(task, atRun, ...statuses) as Record<string, unknown> | undefined;
    return r ? toTaskRun(r) : undefined;
  }
  /** Latest task run of every task. */
  latestTaskRuns(): Map<string, TaskRunRow> {
    const rows = this.db
      .prepare('SELECT t.* FROM task_runs t JOIN (SELECT task, max(run_id) AS run_id FROM task_runs GROUP BY task) m USING (task, run_id)')
      .all() as Record<string, unknown>[];
    return new Map(rows.map((r) => [String(r.task), toTaskRun(r)]));
  }
  causes(runId: number, task: string): Cause[] {
    return (this.stmt('SELECT details FROM causes WHERE run_id = ? AND task = ? ORDER BY seq').all(runId, task) as { details: string }[]).map(
      (r) => JSON.parse(r.details) as Cause,
    );
  }

  // Read API for `why`, `status` and `history`: they open the database read-only while a daemon writes.
  /** Root changes about one subject (a source, task or config file), newest first, observed at or before `atRun`. */
  changesAbout(subject: string, atRun = Number.MAX_SAFE_INTEGER): (RootChange & { runId: number })[] {
    return (
      this.stmt('SELECT run_id, details FROM changes WHERE subject = ? AND run_id <= ? ORDER BY run_id DESC, rowid DESC').all(subject, atRun) as {
        run_id: number;
        details: string;
      }[]
    ).map((r) => ({ ...(JSON.parse(r.details) as RootChange), runId: r.run_id }));
  }
  /** Ids of the root changes observed in a run, in observation order. */
  changeIdsOfRun(runId: number): string[] {
    return (this.stmt('SELECT id FROM changes WHERE run_id = ? ORDER BY rowid').all(runId) as { id: string }[]).map((r) => r.id);
  }

  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}

function subjectOf(c: RootChange): string {
  switch (c.kind) {
    case 'source_changed':
    case 'source_added':
    case 'delta_commits':
      return c.source;
    case 'task_added':
    case 'task_edited':
    case 'task_removed':
      return c.task;
    case 'config_edited':
      return c.file;
    case 'engine_changed':
      return 'duckdb';
    case 'rescan':
      return 'project';
  }
}

const toRun = (r: Record<string, unknown>): RunRow => ({
  id: Number(r.id),
  trigger: String(r.trigger),
  startedAt: String(r.started_at),
  endedAt: (r.ended_at as string | null) ?? null,
  status: String(r.status) as StoredRunStatus,
  graphSignature: (r.graph_signature as string | null) ?? null,
  engineVersion: (r.engine_version as string | null) ?? null,
  configHash: (r.config_hash as string | null) ?? null,
  selection: (r.selection as string | null) ?? null,
  summary: json(r.summary as string | null),
});

const toTaskRun = (r: Record<string, unknown>): TaskRunRow => ({
  runId: Number(r.run_id),
  task: String(r.task),
  output: String(r.output),
  status: String(r.status) as TaskStatus,
  durationMs: (r.duration_ms as number | null) ?? null,
  rows: (r.rows as number | null) ?? null,
  error: (r.error as string | null) ?? null,
  reason: parseStoredReason((r.reason as string | null) ?? null) ?? null,
  refresh: json(r.refresh as string | null) as Refresh | null,
});
