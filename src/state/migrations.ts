/**
 * Versioned schema: entry i migrates user_version i → i+1. Never edit a shipped entry; append.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: lineage caches.
  `
  CREATE TABLE lineage_parse (
    sql_hash TEXT PRIMARY KEY,
    result   TEXT NOT NULL
  );
  CREATE TABLE lineage_columns (
    key     TEXT PRIMARY KEY,
    result  TEXT NOT NULL
  );
  `,
  // 2: runs, root changes, traces, evidence, causes.
  `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE runs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    trigger         TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    ended_at        TEXT,
    status          TEXT NOT NULL DEFAULT 'running',
    graph_signature TEXT,
    engine_version  TEXT,
    config_hash     TEXT,
    selection       TEXT,
    summary         TEXT
  );
  -- A root change: what relspec observed (a source version, a task edit, a config edit, ...).
  CREATE TABLE changes (
    id       TEXT PRIMARY KEY,
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    kind     TEXT NOT NULL,
    subject  TEXT NOT NULL,
    details  TEXT NOT NULL
  );
  CREATE INDEX changes_run ON changes(run_id);
  -- Tasks an observed change may affect and that have not been verified since: survives crashes.
  CREATE TABLE pending (
    task      TEXT NOT NULL,
    change_id TEXT NOT NULL,
    PRIMARY KEY (task, change_id)
  );
  -- Every dataset: sources and outputs. tokens: JSON { columnSetKey: token }.
  CREATE TABLE evidence (
    name          TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 0,
    schema        TEXT,
    schema_fp     TEXT,
    tokens        TEXT NOT NULL DEFAULT '{}',
    files_sig     TEXT,
    content_hash  TEXT,
    change_id     TEXT,
    updated_run   INTEGER,
    files         TEXT
  );
  -- Tasks as last observed: for edits, removals and SQL diffs.
  CREATE TABLE tasks (
    name        TEXT PRIMARY KEY,
    file        TEXT NOT NULL,
    output      TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    sql         TEXT NOT NULL,
    change_id   TEXT
  );
  -- The record of a task's last successful build (written after its output).
  CREATE TABLE traces (
    task           TEXT PRIMARY KEY,
    fingerprint    TEXT NOT NULL,
    engine_version TEXT NOT NULL,
    inputs         TEXT NOT NULL,
    output         TEXT NOT NULL,
    output_tokens  TEXT NOT NULL,
    run_id         INTEGER NOT NULL,
    sql            TEXT NOT NULL
  );
  CREATE TABLE task_runs (
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    task        TEXT NOT NULL,
    output      TEXT NOT NULL,
    status      TEXT NOT NULL,
    duration_ms REAL,
    rows        INTEGER,
    error       TEXT,
    reason      TEXT,
    PRIMARY KEY (run_id, task)
  );
  CREATE INDEX task_runs_task ON task_runs(task, run_id);
  CREATE TABLE causes (
    run_id        INTEGER NOT NULL,
    task          TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    input         TEXT,
    columns       TEXT,
    old_token     TEXT,
    new_token     TEXT,
    change_id     TEXT,
    upstream_task TEXT,
    upstream_run  INTEGER,
    details       TEXT,
    PRIMARY KEY (run_id, task, seq)
  );
  `,
  // 3: Delta sources: fingerprints of the log files consumed (JSON), to see a commit rewritten after it was read.
  `
  ALTER TABLE evidence ADD COLUMN log_files TEXT;
  `,
  // 4: files tasks read through table functions: per-file stat signature and content hash (so an
  // untouched file is not hashed again), and on each trace the files and caveats of that build.
  `
  CREATE TABLE file_stats (
    path      TEXT PRIMARY KEY,
    signature TEXT NOT NULL,
    hash      TEXT NOT NULL
  );
  ALTER TABLE traces ADD COLUMN files TEXT;
  ALTER TABLE traces ADD COLUMN caveats TEXT;
  `,
  // 5: key-scoped refresh: how each built task refreshed (JSON), and on each trace the output's key and key count.
  `
  ALTER TABLE task_runs ADD COLUMN refresh TEXT;
  ALTER TABLE traces ADD COLUMN keys TEXT;
  `,
];
