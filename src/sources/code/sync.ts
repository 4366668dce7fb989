import type { ProgressEvent } from '../../records/types.js';
/**
 * One observe step of a `code` source: find its files, re-extract what changed, and commit the
 * facts to its five Delta tables — replace-by-key on `path`, one commit per table whose rows
 * changed, none when nothing did. From there the tables are ordinary Delta sources: their change
 * rows drive column-level invalidation like any other table's.
 *
 * Only files whose facts differ are replaced: the extractor re-extracts the edited files and the
 * files whose name resolution depends on them, and of those a table gets the paths whose rows (per
 * table, hashed) moved. So a body-only edit commits to `files`, `symbols`, `references` and `calls`
 * for that one file, and `imports` sees no commit at all.
 */
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ResolvedSource } from '../../config/types.js';
import { RelspecError, errorMessage } from '../../errors.js';
import { sqlList } from '../../util/sql.js';
import type { BaselineFile } from '../../code/index.js';
import type { CodeExtractors } from './extractors.js';
import type { Facts } from '../../code/types.js';
import { commitFilesParameter, type CommitFiles } from './commitFiles.js';
import { createTable, listLog, loadSnapshot, writeTable } from '../../delta/index.js';
import { duckType } from '../../delta/schema.js';
import { diffFiles, listCodeFiles, codeRoot, sha256 } from './files.js';
import { codeTsconfig, type CodeTsconfig } from './tsconfig.js';
import { emptyManifest, readManifest, tableRows, writeManifest, type FileFacts, type Manifest } from './manifest.js';
import {
  CODE_TABLES,
  FACT_TABLES,
  codeSourceDir,
  codeTableDir,
  stageRows,
  tableColumns,
  tableSchema,
  type CodeTable,
  type FactRow,
  type FactTable,
} from './tables.js';
import { syncEntryPoints } from './entryPoints.js';

export interface CodeSyncResult {
  source: string;
  root: string;
  /** noop: nothing changed; incremental: changed files and their dependents; full: every file. */
  mode: 'noop' | 'incremental' | 'full';
  files: number;
  added: string[];
  removed: string[];
  modified: string[];
  /** Files whose facts were extracted in this step. */
  extracted: number;
  commits: { table: CodeTable; version: number; paths: number; operation: string }[];
  /** Rows per table after the step. */
  rows: Record<CodeTable, number>;
  /** Files whose symbols/references/calls could not be extracted (their other files' facts are kept). */
  failures: { path: string; error: string }[];
  ms: number;
}

export interface SyncContext {
  /** The config directory. */
  root: string;
  stateDir: string;
  outputsDir: string;
  /** Extra connections to the same database, to commit the tables concurrently (closed after use). */
  connect?: () => Promise<DuckDBConnection>;
  /** Re-extract every file with a fresh program and rewrite the tables (`run --full-refresh`). */
  full?: boolean;
  /** The warm extractors; their owner (a run, the daemon) disposes them. */
  extractors: CodeExtractors;
  /** Extraction's progress, file by file. */
  onProgress?: (e: ProgressEvent) => void;
}

const MAX_LISTED = 1000;
const cap = (xs: readonly string[]): string[] => xs.slice(0, MAX_LISTED);

async function tableVersion(dir: string): Promise<number | undefined> {
  if (!existsSync(path.join(dir, '_delta_log'))) return undefined;
  try {
    return (await listLog(dir)).latestVersion;
  } catch {
    return undefined; // an empty or broken log: the table is recreated below
  }
}

/** Whether the table has exactly the columns (names and types) this version writes. */
async function hasLayout(conn: DuckDBConnection, tableDir: string, t: CodeTable): Promise<boolean> {
  try {
    const snap = await loadSnapshot(conn, tableDir);
    const have = snap.schema.fields.map((f) => `${f.name} ${duckType(f.type)}`);
    return JSON.stringify(have) === JSON.stringify(tableSchema(t).map((c) => `${c.name} ${c.type}`));
  } catch {
    return false;
  }
}

function group(facts: Facts): Record<FactTable, Map<string, FactRow[]>> {
  const out = {} as Record<FactTable, Map<string, FactRow[]>>;
  for (const t of FACT_TABLES) {
    const m = new Map<string, FactRow[]>();
    for (const r of facts[t] as FactRow[]) {
      let list = m.get(r.path);
      if (!list) m.set(r.path, (list = []));
      list.push(r);
    }
    out[t] = m;
  }
  return out;
}

const factsOf = (rows: readonly FactRow[] | undefined): FileFacts | undefined =>
  rows && rows.length > 0 ? { hash: sha256(JSON.stringify(rows)).slice(0, 32), rows: rows.length } : undefined;

function baselineOf(m: Manifest): Map<string, BaselineFile> {
  return new Map(
    Object.entries(m.files).map(([p, f]) => [
      p,
      { sha: f.sha, imports: f.imports, targets: f.targets, global: f.global, ...(f.surface ? { surface: f.surface } : {}) },
    ]),
  );
}

/**
 * What the facts depend on besides the files: root, glob, the table layout (a relspec that writes
 * other columns starts over) and the tsconfig's options (an edit to them can change every resolution).
 */
export function codeIdentity(source: ResolvedSource, root: string, tsconfig: CodeTsconfig): string {
  return JSON.stringify([root, source.path, CODE_TABLES.map((t) => tableSchema(t)), tsconfig.file, tsconfig.key]);
}

/** `tsconfig`: the source's, when the caller resolved it already (./tsconfig.ts; throws E_CONFIG otherwise). */
export async function syncCodeSource(
  conn: DuckDBConnection,
  source: ResolvedSource,
  ctx: SyncContext,
  tsconfig?: CodeTsconfig,
): Promise<CodeSyncResult> {
  const t0 = performance.now();
  const { extractors } = ctx;
  const root = codeRoot(source, ctx.root);
  const tc = tsconfig ?? codeTsconfig(source, root, ctx.root);
  const identity = codeIdentity(source, root, tc);
  const dir = codeSourceDir(ctx.stateDir, source.name);
  const listed = await listCodeFiles(source, root, [ctx.stateDir, ctx.outputsDir]);
  if (listed.length === 0) {
    throw new RelspecError('E_SOURCE', `code source ${source.name} matches no files`, {
      file: source.path,
      fix: `check sources.${source.name}.path (a glob relative to the config file, e.g. 'src/**/*.ts')`,
    });
  }
  if (ctx.full) extractors.drop(identity);
  const manifests = extractors.manifests;
  const manifest = ctx.full ? undefined : readManifest(dir, identity, { from: manifests, take: true });
  const versions = {} as Record<CodeTable, number | undefined>;
  for (const t of CODE_TABLES) versions[t] = await tableVersion(codeTableDir(ctx.stateDir, source.name, t));
  // A table the manifest does not describe (first build, crash after a commit, another writer) is
  // rewritten whole from a full extraction; the others still get only their changed paths.
  const untrusted = new Set(
    FACT_TABLES.filter((t) => manifest === undefined || versions[t] === undefined || manifest.tables[t] !== versions[t]),
  );
  for (const t of [...untrusted, 'entry_points' as const]) {
    // A table of an older layout (columns added since): start it over; it is a cache of the code.
    const tableDir = codeTableDir(ctx.stateDir, source.name, t);
    if (versions[t] !== undefined && !(await hasLayout(conn, tableDir, t))) {
      rmSync(tableDir, { recursive: true, force: true });
      versions[t] = undefined;
    }
  }
  const ch = diffFiles(listed, root, manifest);
  const changed = [...ch.added, ...ch.modified, ...ch.removed];
  const m = manifest ?? emptyManifest(identity);
  const rels = listed.map((f) => f.rel);
  const entry = await syncEntryPoints(conn, ctx.stateDir, source, root, rels, m, versions.entry_points);
  const entryCommits: CodeSyncResult['commits'] = entry
    ? [{ table: 'entry_points', version: entry.version, paths: entry.rows, operation: 'CODE ENTRY POINTS' }]
    : [];
  const base = {
    source: source.name,
    root,
    files: listed.length,
    added: ch.added,
    removed: ch.removed,
    modified: ch.modified,
    failures: [],
  };

  if (changed.length === 0 && untrusted.size === 0) {
    if (ch.touched.size > 0 || entry) {
      for (const [rel, st] of ch.touched) Object.assign(m.files[rel]!, st);
      writeManifest(dir, m, manifests);
    }
    if (extractors.keepWarm && !extractors.has(identity)) {
      const ex = extractors.create(identity, root, tc.file);
      ex.restoreBaseline(baselineOf(m));
      ex.prime(listed.map((f) => f.rel));
    }
    return { ...base, mode: 'noop', extracted: 0, commits: entryCommits, rows: tableRows(m), ms: performance.now() - t0 };
  }

  const all = rels;
  let ex = extractors.get(identity);
  const onFile =
    ctx.onProgress && ((done: number, total: number) => ctx.onProgress!({ kind: 'code_extract', source: source.name, done, total }));
  let facts: Facts;
  let candidates: string[];
  let mode: 'incremental' | 'full';
  try {
    if (!ex) {
      ex = extractors.create(identity, root, tc.file);
      if (untrusted.size === 0) ex.restoreBaseline(baselineOf(m));
    }
    if (untrusted.size > 0) {
      facts = ex.extractAll(all, onFile);
      mode = 'full';
      candidates = [...new Set([...all, ...Object.keys(m.files)])];
    } else {
      const r = ex.extractChanged(all, changed, onFile);
      facts = r;
      mode = 'incremental';
      candidates = r.affectedPaths;
    }
  } catch (e) {
    extractors.drop(identity);
    throw new RelspecError('E_SOURCE', `code source ${source.name}: extraction failed: ${errorMessage(e).split('\n')[0]}`, {
      file: source.path,
      fix: 'this is a bug in the code extractor; the previous facts are kept — please report the file that triggers it',
      cause: e,
    });
  }
  const extractedPaths = new Set(facts.files.map((f) => f.path));
  const byTable = group(facts);
  const now = new Set(all);
  const added = new Set(ch.added);
  const modified = new Set(ch.modified);
  const kindOf = (p: string): keyof CommitFiles =>
    added.has(p) ? 'added' : !now.has(p) ? 'removed' : modified.has(p) ? 'modified' : 'dependent';
  // New files get a placeholder (unknown sha) until the end: a crash in between re-extracts them.
  for (const p of extractedPaths) m.files[p] ??= { size: -1, mtimeMs: -1, sha: '', facts: {}, imports: [], targets: [], global: false };

  // The tables are independent: commit them at once, each on its own connection where available.
  const work = FACT_TABLES.map((t) => {
    const rowsOf = byTable[t];
    const full = untrusted.has(t);
    const paths = full ? candidates : candidates.filter((p) => factsOf(rowsOf.get(p))?.hash !== m.files[p]?.facts[t]?.hash);
    return { t, rowsOf, full, paths };
  });
  // Nothing to commit to an existing table (most tables on a body edit): no connection to open, and
  // one table alone (a body edit: `files`) commits on `conn` — opening one costs more than it saves.
  const idle = (w: (typeof work)[number]) => w.paths.length === 0 && versions[w.t] !== undefined;
  const parallel = work.filter((w) => !idle(w)).length > 1;
  const settled = await Promise.allSettled(
    work.map(async (w) => {
      if (idle(w)) return { version: versions[w.t]!, committed: false, operation: '' };
      const c = parallel && ctx.connect ? await ctx.connect() : conn;
      try {
        return await commitTable(
          c,
          codeTableDir(ctx.stateDir, source.name, w.t),
          source,
          w.t,
          versions[w.t],
          w.full,
          w.paths,
          w.rowsOf,
          kindOf,
        );
      } finally {
        if (c !== conn) c.closeSync();
      }
    }),
  );
  const commits: CodeSyncResult['commits'] = [...entryCommits];
  let failure: unknown;
  work.forEach((w, i) => {
    const r = settled[i]!;
    if (r.status === 'rejected') {
      failure ??= r.reason;
      return;
    }
    if (r.value.committed) commits.push({ table: w.t, version: r.value.version, paths: w.paths.length, operation: r.value.operation });
    for (const p of w.full ? Object.keys(m.files) : w.paths) {
      const f = m.files[p];
      if (!f) continue;
      const ff = factsOf(w.rowsOf.get(p));
      if (ff) f.facts[w.t] = ff;
      else delete f.facts[w.t];
    }
    m.tables[w.t] = r.value.version;
  });
  if (failure !== undefined) {
    // The committed tables are recorded; the others keep their old version and retry next time.
    writeManifest(dir, m, manifests);
    extractors.drop(identity); // its baseline is ahead of the tables now; the next step starts from the manifest
    if (failure instanceof RelspecError) throw failure;
    throw new RelspecError('E_SOURCE', `code source ${source.name}: cannot commit the facts: ${errorMessage(failure).split('\n')[0]}`, {
      file: dir,
      cause: failure,
    });
  }

  for (const p of Object.keys(m.files)) if (!now.has(p)) delete m.files[p];
  for (const p of extractedPaths) {
    const f = ex.project.file(p);
    const b = ex.baselineOf(p);
    if (!f || !b) continue;
    Object.assign(m.files[p]!, { size: f.size, mtimeMs: f.mtimeMs, signature: f.signature, sha: f.sha, ...b });
  }
  for (const [rel, st] of ch.touched) if (m.files[rel] && !extractedPaths.has(rel)) Object.assign(m.files[rel], st);
  const ms = performance.now() - t0;
  m.last = {
    at: new Date().toISOString(),
    ms,
    mode,
    extracted: extractedPaths.size,
    added: cap(ch.added),
    removed: cap(ch.removed),
    modified: cap(ch.modified),
  };
  writeManifest(dir, m, manifests);
  const failures = [...ex.failures].filter(([p]) => now.has(p)).map(([p, error]) => ({ path: p, error }));
  return { ...base, mode, extracted: extractedPaths.size, commits, rows: tableRows(m), failures, ms };
}

/**
 * Files sorted by path and split, so a one-file commit's replace reads and rewrites only the data
 * files whose path stats can hold the edited paths (docs: the README's "Key-scoped refresh").
 */
const LAYOUT = { sortBy: ['path'], maxRowsPerFile: 65_536 } as const;

/**
 * One table's commit: the rows of `paths` replace theirs (replace-by-key on path, deleting paths
 * that have no rows now), or — `full` — the table is overwritten. Creates the table first if needed.
 */
async function commitTable(
  conn: DuckDBConnection,
  tableDir: string,
  source: ResolvedSource,
  t: CodeTable,
  version: number | undefined,
  full: boolean,
  paths: readonly string[],
  rowsOf: ReadonlyMap<string, FactRow[]>,
  kindOf: (p: string) => keyof CommitFiles,
): Promise<{ version: number; committed: boolean; operation: string }> {
  const operation = full ? 'CODE EXTRACT ALL' : 'CODE EXTRACT';
  if (version === undefined) {
    await createTable(conn, tableDir, {
      schema: tableColumns(t),
      name: `${source.name}.${t}`,
      description: `code facts (${t}) of ${source.path}`,
    });
    version = 0;
  }
  if (paths.length === 0) return { version, committed: false, operation };
  const files: CommitFiles = { added: [], removed: [], modified: [], dependent: [] };
  for (const p of paths) files[kindOf(p)].push(p);
  const parameters = commitFilesParameter(files);
  const stage = await stageRows(
    conn,
    `__relspec_code_${t}`,
    t,
    paths.flatMap((p) => rowsOf.get(p) ?? []),
  );
  try {
    const res = full
      ? await writeTable(conn, tableDir, { mode: 'overwrite', sql: `SELECT * FROM ${stage}`, operation, parameters, ...LAYOUT })
      : await writeTable(conn, tableDir, {
          mode: 'replace',
          ...LAYOUT,
          keys: ['path'],
          sql: `SELECT * FROM ${stage}`,
          deleteKeysSql: `SELECT unnest(${sqlList(paths)}::VARCHAR[]) AS path`,
          operation,
          parameters,
        });
    return { version: res.version, committed: res.committed, operation };
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${stage}`);
  }
}
