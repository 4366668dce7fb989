/**
 * Per-key changes of Delta sources for the differential generator (issue 15, "Correctness"; the
 * key-scoped shapes are in differentialKeyed.ts): the `delta_keys` step rewrites, deletes or adds
 * the rows of a few keys — sometimes many, past the threshold — in one replace-by-key commit, as a
 * per-key MERGE does, on tables with and without the change data feed. After every step the outputs
 * must still equal a clean build; the harness counts the builds that refreshed by key (`refresh.mode`).
 */
import { writeTable } from '../../src/delta/write/index.js';
import type { RunOutcome } from '../../src/incremental/run.js';
import { withDuck } from './project.js';
import type { ProjectModel, Rand, SourceModel, Step } from './differential.js';
import type { DeltaStepContext } from './differentialDeltaSteps.js';
import { GROUPS, KEY_MAX } from './differentialKeyed.js';

// ───────────────────────────────────────────── per-key Delta changes ─────────────────────────────────────────────

type Value = number | string | null;
/** Keys in order, NULL last. */
const byKey = (a: number | null, b: number | null) => (a === null ? (b === null ? 0 : 1) : b === null ? -1 : a - b);

/**
 * One replace-by-key commit (keys ['k']) on a Delta source: the rows of 1–3 keys (or, one time in
 * five, of many keys: past the 30% threshold) rewritten, thinned, extended, removed entirely, or a
 * key that had no rows added. Rows keep their `rid` when updated; new rows get new ones.
 */
export async function deltaKeysStep(
  r: Rand,
  m: ProjectModel,
  ctx: DeltaStepContext,
  opts: { rowBound: number; randomRow: (s: SourceModel) => Value[] },
): Promise<Step | undefined> {
  const sources = m.sources.filter((s) => s.delta && !s.delta.pending);
  if (sources.length === 0) return undefined;
  const s = r.pick(sources);
  const d = s.delta!;
  const ki = s.columns.findIndex((c) => c.name === 'k');
  const vi = s.columns.findIndex((c) => c.name === 'v');
  const gi = s.columns.findIndex((c) => c.name === 'g');
  // NULL is a key too (its rows are replaced and deleted NULL-safely); it is only ever added here.
  const present = [...new Set(d.rows.map((row) => row[ki] as number | null))].sort(byKey);
  const absent = [...Array.from({ length: KEY_MAX + 1 }, (_, k) => k), null].filter((k) => !present.includes(k));
  const many = r.chance(0.2);
  const n = many ? r.int(5, 10) : r.int(1, 3);
  const keys = new Set<number | null>();
  for (let i = 0; i < n * 3 && keys.size < n; i++) {
    if (absent.length > 0 && r.chance(0.2)) keys.add(r.pick(absent));
    else if (present.length > 0) keys.add(r.pick(present));
  }
  if (keys.size === 0) return undefined;
  const fresh: Value[][] = [];
  const removed: (number | null)[] = [];
  const what: string[] = [];
  let room = opts.rowBound - d.rows.length;
  for (const k of [...keys].sort(byKey)) {
    const old = d.rows.filter((row) => row[ki] === k);
    const newRow = () => {
      const row = opts.randomRow(s);
      row[ki] = k;
      return row;
    };
    if (old.length === 0) {
      const add = Math.max(1, Math.min(r.int(1, 4), room));
      for (let i = 0; i < add; i++) fresh.push(newRow());
      room -= add;
      what.push(`new key ${k} (${add})`);
      continue;
    }
    const op = r.weighted({ update: 4, remove: 1.5, thin: old.length > 1 ? 1 : 0, grow: room > 0 ? 1 : 0 });
    if (op === 'remove') {
      removed.push(k);
      what.push(`remove key ${k}`);
      continue;
    }
    const rows = old.map((row) => [...row]);
    if (op === 'update')
      for (const row of rows.filter(() => r.chance(0.6)).concat(rows.slice(0, 1))) {
        if (r.chance(0.7)) row[vi] = r.chance(0.06) ? null : r.int(-5, 40);
        else row[gi] = r.pick(GROUPS);
      }
    if (op === 'thin') rows.splice(r.int(0, rows.length - 1), 1);
    if (op === 'grow') {
      rows.push(newRow());
      room--;
    }
    fresh.push(...rows);
    what.push(`${op} key ${k}`);
  }
  const touched = new Set([...keys]);
  d.rows = [...d.rows.filter((row) => !touched.has(row[ki] as number | null)), ...fresh];
  const gone = [...touched].filter((k) => !fresh.some((row) => row[ki] === k));
  await withDuck((c) =>
    writeTable(c, ctx.deltaDir(s), {
      mode: 'replace',
      keys: ['k'],
      sql: ctx.valuesQuery(s, fresh),
      ...(gone.length > 0 ? { deleteKeysSql: `SELECT unnest([${gone.map((k) => k ?? 'NULL').join(', ')}]::BIGINT[]) AS k` } : {}),
      operation: 'MERGE',
      checkpointInterval: d.checkpointInterval,
    }),
  );
  d.commits++;
  return {
    kind: 'delta_keys',
    description: `delta ${s.name} v${d.commits}${d.cdf === false ? ' (no CDF)' : ''}${d.partition ? ` (by ${d.partition})` : ''}: per-key ${many ? '(many) ' : ''}${what.join(', ')}`,
    expectNoBuild: false,
  };
}

// ───────────────────────────────────────────── counting ─────────────────────────────────────────────

/** Tasks of a run that refreshed by key. */
export const keyedBuilt = (o: RunOutcome): string[] =>
  o.tasks.filter((t) => t.status === 'built' && t.refresh?.mode === 'keys').map((t) => t.task);

/** Why built tasks with a proven key ran in full, by reason kind (the summary shows the mix). */
export function fullReasons(o: RunOutcome): string[] {
  return o.tasks.flatMap((t) =>
    t.status === 'built' && t.refresh?.mode === 'full' && t.refresh.key && t.refresh.reason ? [t.refresh.reason.kind] : [],
  );
}

/** Each built task with a key: `task:keys 2/12` or `task:full(reason)`, for verbose logs. */
export function refreshNotes(o: RunOutcome): string {
  return o.tasks
    .flatMap((t) => {
      const f = t.status === 'built' ? t.refresh : undefined;
      if (!f?.key) return [];
      if (f.mode === 'keys') return [`${t.task}:keys ${f.keys}/${f.of}`];
      const r = f.reason;
      const detail = r?.kind === 'changes_unknown' ? `(${r.input})` : r?.kind === 'cause' ? `(${r.cause})` : '';
      return [`${t.task}:full ${r?.kind ?? '?'}${detail}`];
    })
    .join(' ');
}
