/**
 * Differential steps for issue 11 items 6 and 7 (see differential.ts for the harness):
 *  - `delta_rewritten_commit`: a Delta source commit that is first visible half-written (its add
 *    actions, not yet its removes and cdc files: a non-atomic writer, a copy in progress) and is
 *    completed in place by the next such step — same version, other bytes; or a commit file
 *    replaced by an identical copy (new inode and ctime, same bytes), which must build nothing;
 *  - `delta_output_switch` / `delta_output_schema`: a leaf task becomes `@materialize delta`, then
 *    its output's schema changes — a column added, dropped, or retyped — by a task edit.
 * Only leaf tasks (no reader, removed readers included) get extra columns, so no other task's
 * columns change with them.
 */
import { copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeTable } from '../../src/delta/write/index.js';
import { withDuck } from './project.js';
import type { ProjectModel, Rand, SourceModel, Step, TaskModel } from './differential.js';

export interface DeltaStepContext {
  dir: string;
  deltaDir(s: SourceModel): string;
  /** A SELECT of exactly these rows, typed as the source's columns. */
  valuesQuery(s: SourceModel, rows: readonly (string | number | null)[][]): string;
  /** Tasks (present or removed) reading dataset `ds`. */
  readers(ds: string): TaskModel[];
  writeTask(t: TaskModel): void;
}

const commitFile = (table: string, v: number) => path.join(table, '_delta_log', `${String(v).padStart(20, '0')}.json`);

/** A half-written commit waiting to be completed: its full text (model rows are already the final ones). */
export interface PendingCommit {
  file: string;
  full: string;
}

export async function rewrittenCommitStep(r: Rand, m: ProjectModel, ctx: DeltaStepContext): Promise<Step | undefined> {
  const pending = m.sources.find((s) => s.delta?.pending);
  if (pending) {
    const p = pending.delta!.pending!;
    // Completed in place, as a non-atomic writer finishes: same inode, the missing lines appended.
    writeFileSync(p.file, p.full);
    delete pending.delta!.pending;
    return {
      kind: 'delta_rewritten_commit',
      description: `delta ${pending.name}: complete the half-written commit ${path.basename(p.file)} in place`,
      expectNoBuild: false,
    };
  }
  const sources = m.sources.filter((s) => s.delta && s.delta.rows.length > 0);
  if (sources.length === 0) return undefined;
  const s = r.pick(sources);
  const d = s.delta!;
  const table = ctx.deltaDir(s);
  if (r.chance(0.3) && d.commits > 0) {
    const f = commitFile(table, r.int(0, d.commits));
    copyFileSync(f, `${f}.copy`);
    renameSync(`${f}.copy`, f);
    return {
      kind: 'delta_rewritten_commit',
      description: `delta ${s.name}: replace ${path.basename(f)} by an identical copy`,
      expectNoBuild: true,
    };
  }
  // An update by rid, committed with the writer, then cut back to its commitInfo and add actions.
  const ci = s.columns.findIndex((c) => c.name === 'v');
  const rows = [...new Set(Array.from({ length: r.int(1, 3) }, () => r.pick(d.rows)))];
  for (const row of rows) row[ci] = r.int(-5, 40);
  // No checkpoint for this version: a checkpoint would describe the complete commit.
  const res = await withDuck((c) =>
    writeTable(c, table, { mode: 'replace', keys: ['rid'], sql: ctx.valuesQuery(s, rows), operation: 'UPDATE', checkpointInterval: 0 }),
  );
  d.commits++;
  const file = commitFile(table, res.version);
  const full = readFileSync(file, 'utf8');
  const half =
    full
      .split('\n')
      .filter((l) => l.startsWith('{"commitInfo"') || l.startsWith('{"add"'))
      .join('\n') + '\n';
  writeFileSync(file, half);
  d.pending = { file, full };
  return {
    kind: 'delta_rewritten_commit',
    description: `delta ${s.name} v${res.version}: update ${rows.length}×v, commit visible half-written (adds only)`,
    expectNoBuild: false,
  };
}

const leafCandidates = (m: ProjectModel, ctx: DeltaStepContext) => m.tasks.filter((t) => !t.shared && ctx.readers(t.output).length === 0);

export function deltaOutputSwitchStep(r: Rand, m: ProjectModel, ctx: DeltaStepContext): Step | undefined {
  const ts = leafCandidates(m, ctx).filter((t) => t.materialize !== 'delta');
  if (ts.length === 0) return undefined;
  const t = r.pick(ts);
  t.materialize = 'delta';
  ctx.writeTask(t);
  return { kind: 'delta_output_switch', description: `switch leaf ${t.name} to delta`, expectNoBuild: false };
}

export function deltaOutputSchemaStep(r: Rand, m: ProjectModel, ctx: DeltaStepContext): Step | undefined {
  const ts = leafCandidates(m, ctx).filter((t) => t.materialize === 'delta');
  if (ts.length === 0) return undefined;
  const t = r.pick(ts);
  const extra = (t.extra ??= []);
  const op = r.weighted({ add: extra.length < 3 ? 3 : 0, drop: extra.length > 0 ? 2 : 0, retype: extra.length > 0 ? 2 : 0 });
  let what: string;
  if (op === 'add') {
    const col = { name: `x${(t.nextExtra = (t.nextExtra ?? 0) + 1)}`, type: r.pick(['BIGINT', 'VARCHAR'] as const), value: r.int(0, 9) };
    extra.push(col);
    what = `add column ${col.name} ${col.type}`;
  } else if (op === 'drop') {
    const [col] = extra.splice(r.int(0, extra.length - 1), 1);
    what = `drop column ${col!.name}`;
  } else {
    const col = r.pick(extra);
    col.type = col.type === 'BIGINT' ? 'VARCHAR' : 'BIGINT';
    what = `change column ${col.name} to ${col.type}`;
  }
  ctx.writeTask(t);
  return { kind: 'delta_output_schema', description: `delta output ${t.output}: ${what} (task ${t.name})`, expectNoBuild: false };
}

/** The task's SQL with its extra constant columns (schema edits of a delta output). */
export function withExtraColumns(t: TaskModel, sql: string): string {
  if (!t.extra?.length) return sql;
  const cols = t.extra.map((c) => (c.type === 'BIGINT' ? `${c.value}::BIGINT AS ${c.name}` : `'v${c.value}' AS ${c.name}`));
  return `select *, ${cols.join(', ')} from (\n${sql}\n) as __extra`;
}
