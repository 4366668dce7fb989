import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Warehouse } from '../engine/warehouse.js';
import { taskId, type RelGraph } from '../graph/index.js';
import type { RootChange } from '../records/types.js';
import { schemaFingerprint } from '../state/schemaFingerprint.js';
import { sqlString } from '../util/sql.js';
import type { RunOutcome } from './runTypes.js';
import type { TokenBook } from './tokenbook.js';

/**
 * A run's records as parquet, for any engine to read (README "Run bundles"): `state/runs/<runId>/`
 * holds task_runs, lineage and changes. Written by DuckDB from newline-delimited JSON with declared
 * columns, so an empty table still has its schema; into a temp directory renamed at the end, so a
 * reader of `runs/*` never sees half a bundle.
 */
const TABLES = {
  task_runs: {
    run_id: 'BIGINT',
    task: 'VARCHAR',
    output: 'VARCHAR',
    status: 'VARCHAR',
    rows_out: 'BIGINT',
    duration_ms: 'DOUBLE',
    schema_fingerprint: 'VARCHAR',
    plan_fingerprint: 'VARCHAR',
    refresh_mode: 'VARCHAR',
    refresh_keys: 'BIGINT',
    causes: 'JSON',
    reason: 'JSON',
    error: 'VARCHAR',
    error_code: 'VARCHAR',
    file: 'VARCHAR',
  },
  lineage: { run_id: 'BIGINT', task: 'VARCHAR', input: 'VARCHAR', columns: 'VARCHAR[]', notes: 'VARCHAR' },
  changes: { run_id: 'BIGINT', id: 'VARCHAR', kind: 'VARCHAR', change: 'JSON' },
} as const;

type Row = Record<string, unknown>;

export function runsDir(stateDir: string): string {
  return path.join(stateDir, 'runs');
}

export async function writeRunBundle(
  warehouse: Warehouse,
  stateDir: string,
  g: RelGraph,
  book: TokenBook,
  out: RunOutcome,
): Promise<string> {
  const dir = path.join(runsDir(stateDir), String(out.runId));
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const rows: Record<keyof typeof TABLES, Row[]> = { task_runs: [], lineage: [], changes: changeRows(out.runId, out.changes) };
  for (const t of out.tasks) {
    const gt = g.hasNode(taskId(t.task)) ? g.getNodeAttribute(taskId(t.task), 'task') : undefined;
    rows.task_runs.push({
      run_id: out.runId,
      task: t.task,
      output: t.output,
      status: t.status,
      rows_out: t.rows ?? null,
      duration_ms: Math.round(t.durationMs * 100) / 100,
      schema_fingerprint: schemaFingerprint(book.evidence.get(t.output)?.schema ?? gt?.outputSchema),
      plan_fingerprint: gt?.fingerprint ?? null,
      refresh_mode: t.status === 'built' ? (t.refresh?.mode ?? 'full') : null,
      refresh_keys: t.refresh?.mode === 'keys' ? (t.refresh.keys ?? null) : null,
      causes: t.causes,
      reason: t.reason ?? null,
      error: t.error ?? null,
      error_code: t.errorCode ?? null,
      file: t.file ?? null,
    });
    for (const input of gt?.reads ?? []) {
      const cols = gt?.columns?.[input];
      rows.lineage.push({
        run_id: out.runId,
        task: t.task,
        input,
        columns: cols ? [...cols] : null,
        notes: cols === undefined ? 'columns unknown' : cols.length === 0 ? 'row count only' : null,
      });
    }
    for (const f of gt?.files ?? [])
      rows.lineage.push({ run_id: out.runId, task: t.task, input: f.abs, columns: null, notes: 'file read' });
  }
  for (const [name, cols] of Object.entries(TABLES) as [keyof typeof TABLES, Record<string, string>][]) {
    const json = path.join(tmp, `${name}.ndjson`);
    writeFileSync(json, rows[name].map((r) => JSON.stringify(r)).join('\n'));
    const columns = `{${Object.entries(cols)
      .map(([c, ty]) => `${sqlString(c)}: ${sqlString(ty)}`)
      .join(', ')}}`;
    await warehouse.conn.run(
      `COPY (SELECT * FROM read_json(${sqlString(json)}, format = 'newline_delimited', columns = ${columns})) TO ${sqlString(path.join(tmp, `${name}.parquet`))} (FORMAT parquet)`,
    );
    rmSync(json);
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

function changeRows(runId: number, changes: readonly RootChange[]): Row[] {
  return changes.map((c) => ({ run_id: runId, id: c.id, kind: c.kind, change: c }));
}

/** Keeps the newest `keep` bundles (by run id); leftovers of an interrupted write go too. */
export function pruneRunBundles(stateDir: string, keep: number): void {
  let names: string[];
  try {
    names = readdirSync(runsDir(stateDir));
  } catch {
    return;
  }
  const ids = names
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => b - a);
  for (const id of ids.slice(keep)) rmSync(path.join(runsDir(stateDir), String(id)), { recursive: true, force: true });
  for (const n of names.filter((x) => x.endsWith('.tmp'))) rmSync(path.join(runsDir(stateDir), n), { recursive: true, force: true });
}
