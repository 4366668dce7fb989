/**
 * Differential testing of the incremental engine (docs/ARCHITECTURE.md invariant 1: incremental equals clean).
 *
 * A scenario is a seeded random project — 2–3 sources (parquet globs, and Delta tables written with
 * relspec's own Delta writer) and a random DAG of SQL tasks — that goes through random steps (source
 * rewrites, new/removed files, new columns, Delta commits: insert, update, delete, MERGE of equal
 * rows, overwrite, an added column; task edits, added, removed and restored tasks, view ⇄ table
 * switches, several of these at once; key-scoped tasks and per-key commits: differentialKeyed*.ts). After every step
 * the project is run incrementally in its own directory, then copied (config, tasks, data; no
 * state) to a fresh directory and built from scratch; every relation of the two warehouses (its
 * kind, columns and rows) is then compared, rows as multisets with columns ordered by name, and so
 * are the outputs' content tokens and key counts in the state (differentialTokens.ts).
 * Minimality (docs/ARCHITECTURE.md invariant 2) is checked where it is certain: a formatting-only edit, a change
 * to or addition of a column no task reads, and a rewrite keeping the same multiset of rows build
 * no task; a second run with no change builds no task.
 *
 * Everything is driven by one PRNG per scenario: `runScenario({ seed, steps })` replays exactly.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { withDuck } from './project.js';
import { createTempTree } from './tempTree.js';
import { rng } from '../../bench/gen.js';
import { run, type RunOutcome } from '../../src/incremental/run.js';
import { reasonText } from '../../src/format/reasons.js';
import { createTable, writeTable, type WriteOptions } from '../../src/delta/write/index.js';
import { commitInfo, putCommit } from '../../src/delta/write/commit.js';
import { loadSnapshot } from '../../src/delta/index.js';
import { INTERNAL_SCHEMAS } from '../../src/engine/warehouse.js';
import { keepMtimeRewrite, sourceFileName } from './differentialFileSteps.js';
import {
  ensureSideFiles,
  randomSideShape,
  sideClauses,
  sideFileStep,
  writeSideFile,
  type SideModel,
  type SideShape,
} from './differentialTaskFiles.js';
import {
  deltaOutputSchemaStep,
  deltaOutputSwitchStep,
  rewrittenCommitStep,
  withExtraColumns,
  type DeltaStepContext,
  type PendingCommit,
} from './differentialDeltaSteps.js';
import {
  editKeyedShape,
  keyedBound,
  keyedClauses,
  keyedHeader,
  keyedInputs,
  randomKeyedShape,
  type KeyedShape,
} from './differentialKeyed.js';
import { deltaKeysStep, fullReasons, keyedBuilt, refreshNotes } from './differentialKeyedSteps.js';
import { compareStates, snapshotState } from './differentialTokens.js';

// ───────────────────────────────────────────── randomness ─────────────────────────────────────────────

export class Rand {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = rng(seed);
  }
  float(): number {
    return this.next();
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from empty list');
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  weighted<T extends string>(ws: Partial<Record<T, number>>): T {
    const entries = (Object.entries(ws) as [T, number][]).filter(([, w]) => w > 0);
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let x = this.next() * total;
    for (const [k, w] of entries) {
      x -= w;
      if (x < 0) return k;
    }
    return entries[entries.length - 1]![0];
  }
}

// ───────────────────────────────────────────── the model ─────────────────────────────────────────────

type ColType = 'BIGINT' | 'VARCHAR';
type Value = number | string | null;

export interface SourceModel {
  name: string;
  /** k BIGINT, v BIGINT, g VARCHAR, note VARCHAR, then (Delta) rid BIGINT, then added columns `<source>_x<N>`. */
  columns: { name: string; type: ColType }[];
  /** Parquet sources: the files of the glob. Empty for a Delta source. */
  files: { file: string; rows: Value[][] }[];
  nextFile: number;
  /** A Delta table source (`data/<name>`), edited by commits of relspec's writer. */
  delta?: DeltaModel;
}

export interface DeltaModel {
  /** The table's rows; column `rid` (a unique row id) is the key of replace-by-key writes. */
  rows: Value[][];
  nextRid: number;
  /** The writer checkpoints every N commits (small N: checkpoints are read on the way). */
  checkpointInterval: number;
  commits: number;
  /** A commit visible half-written, completed by the next `delta_rewritten_commit` step. */
  pending?: PendingCommit;
  /** `delta.enableChangeDataFeed` off: changed keys come from the rows of added and removed files. */
  cdf?: boolean;
  /** Partitioned by `k` (a per-key commit rewrites only those keys' files) or by `g`. */
  partition?: 'k' | 'g';
}

/** `count` is `count(*)`: the task then reads no `v` at all (column-level cutoff matters). */
type AggFn = 'sum' | 'max' | 'min' | 'count';
const AGG_FNS: readonly AggFn[] = ['sum', 'max', 'min', 'count'];

type Pred = { col: 'v' | 'k'; op: '>' | '<=' | '<>'; c: number } | { col: 'g'; op: '<>' | '='; c: string };

export type Shape =
  | { kind: 'filter'; from: string; star: boolean; distinct: boolean; pred: Pred }
  | { kind: 'agg'; from: string; by: 'kg' | 'g' | 'k'; fn: AggFn; groupAll: boolean; having: number | null; where: Pred | null }
  | { kind: 'join'; left: string; right: string; how: 'left' | 'inner'; on: 'k' | 'kg'; op: '+' | '-'; rightFn: 'max' | 'count' }
  | { kind: 'semi'; from: string; other: string; neg: boolean; g: string }
  | { kind: 'cte'; from: string; mod: number; rem: number; fn: 'sum' | 'max' | 'min' }
  | { kind: 'window'; from: string; variant: 'rank' | 'psum' | 'lag' | 'count' | 'running'; limit: number }
  | { kind: 'union'; a: string; b: string; byName: boolean; pred: Pred }
  | { kind: 'note'; from: string; variant: 'filter' | 'len'; c: number }
  /** Joins a side file read with read_csv/read_parquet (differentialTaskFiles.ts). */
  | SideShape
  /** Key-scoped on k (or refused by design) over Delta sources and each other (differentialKeyed.ts). */
  | KeyedShape;

export interface TaskModel {
  /** Task name: `t07`, or `m.t07` for a file in `tasks/m/`. */
  name: string;
  file: string;
  /** Dataset the task produces: its own name, or a shared `u<N>` (explicit `@output`). */
  output: string;
  shared: boolean;
  materialize: 'table' | 'view' | 'delta';
  shape: Shape;
  /** Formatting variant (bits): keyword case, layout, comments, spacing, header style. */
  style: number;
  /** Constant columns appended to a leaf's output (schema edits of a delta output, differentialDeltaSteps.ts). */
  extra?: { name: string; type: 'BIGINT' | 'VARCHAR'; value: number }[];
  nextExtra?: number;
}

export interface ProjectModel extends SideModel {
  sources: SourceModel[];
  tasks: TaskModel[];
  nextTask: number;
  nextGroup: number;
  /** Tasks removed by steps, which a later step may restore (same name, same SQL). */
  removed: TaskModel[];
  /** More Delta sources, key-scoped tasks and per-key changes (the keyed slice of the differential test). */
  keyed?: boolean;
}

const GROUPS = ['a', 'b', 'c', 'd'];
const K_MAX = 11;
/** Row bound per source (files × rows per file), used to keep derived outputs small. */
const SOURCE_BOUND = 3 * 60;
const MAX_FILE_ROWS = 60;
const MAX_FILES = 3;
const ROW_CAP = 2500;

const inputsOf = (s: Shape): string[] => {
  switch (s.kind) {
    case 'join':
      return [s.left, s.right];
    case 'semi':
      return [s.from, s.other];
    case 'union':
      return [s.a, s.b];
    case 'keyed':
      return keyedInputs(s);
    default:
      return [s.from];
  }
};

const isSource = (m: ProjectModel, ds: string) => m.sources.some((s) => s.name === ds);
const sourceRows = (s: SourceModel) => (s.delta ? s.delta.rows.length : s.files.reduce((n, f) => n + f.rows.length, 0));
const fileSources = (m: ProjectModel) => m.sources.filter((s) => !s.delta);
const deltaSources = (m: ProjectModel) => m.sources.filter((s) => s.delta);
const outputs = (m: ProjectModel): string[] => [...new Set(m.tasks.map((t) => t.output))];
const producersOf = (m: ProjectModel, ds: string) => m.tasks.filter((t) => t.output === ds);
const readersOf = (m: ProjectModel, ds: string) => m.tasks.filter((t) => inputsOf(t.shape).includes(ds));

/** Tasks that may read `col` of source `src` directly (conservative: any mention or `*`). */
function mayRead(m: ProjectModel, src: string, col: string): TaskModel[] {
  return m.tasks.filter((t) => {
    const s = t.shape;
    if (!inputsOf(s).includes(src)) return false;
    if (s.kind === 'filter' && s.star) return true;
    if (s.kind === 'note' && col === 'note') return true;
    return ['k', 'v', 'g'].includes(col);
  });
}

/** Why the model is not a valid project (unknown input, cycle, too many rows), or null. */
export function invalidity(m: ProjectModel): string | null {
  const outs = new Set(outputs(m));
  for (const t of m.tasks) {
    for (const i of inputsOf(t.shape)) if (!isSource(m, i) && !outs.has(i)) return `${t.name} reads unknown ${i}`;
    if (t.shape.kind === 'note' && !isSource(m, t.shape.from)) return `${t.name}: note shape over a non-source`;
    if (t.materialize === 'delta' && producersOf(m, t.output).length > 1) return `${t.name}: a delta output with several producers`;
  }
  // Cycles over datasets: output ← inputs of its producers.
  const state = new Map<string, 1 | 2>();
  const bound = new Map<string, number>();
  const visit = (ds: string): number | 'cycle' => {
    if (isSource(m, ds)) return SOURCE_BOUND;
    const st = state.get(ds);
    if (st === 1) return 'cycle';
    if (st === 2) return bound.get(ds)!;
    state.set(ds, 1);
    let total = 0;
    for (const t of producersOf(m, ds)) {
      const ins: number[] = [];
      for (const i of inputsOf(t.shape)) {
        const b = visit(i);
        if (b === 'cycle') return 'cycle';
        ins.push(b);
      }
      const s = t.shape;
      total +=
        s.kind === 'keyed'
          ? keyedBound(s, ins)
          : s.kind === 'union'
            ? ins[0]! + ins[1]!
            : s.kind === 'agg'
              ? Math.min(ins[0]!, s.by === 'kg' ? (K_MAX + 1) * GROUPS.length : s.by === 'k' ? K_MAX + 1 : GROUPS.length)
              : ins[0]!;
    }
    state.set(ds, 2);
    bound.set(ds, total);
    return total;
  };
  for (const ds of outs) {
    const b = visit(ds);
    if (b === 'cycle') return `cycle through ${ds}`;
    if (b > ROW_CAP) return `${ds} may hold ${b} rows`;
  }
  return null;
}

// ───────────────────────────────────────────── SQL rendering ─────────────────────────────────────────────

const KEYWORDS =
  /\b(select|from|where|group|by|having|join|left|inner|on|with|as|union|all|over|partition|order|desc|qualify|and|distinct|name|in|not)\b/g;

/** Values stay small whatever the depth of the DAG: no overflow, no floating point. */
const bounded = (e: string) => `((${e}) % 10007)::BIGINT`;

function predSql(p: Pred, q = ''): string {
  return p.col === 'g' ? `${q}g ${p.op} '${p.c}'` : `${q}${p.col} ${p.op} ${p.c}`;
}

function windowClauses(s: Extract<Shape, { kind: 'window' }>): string[] {
  switch (s.variant) {
    case 'rank':
      return [`select k, v, g, rank() over (partition by g order by v desc) as rn`, `from ${s.from}`, `qualify rn <= ${s.limit}`];
    case 'psum':
      return [`select k, ${bounded('sum(v) over (partition by g)')} as v, g`, `from ${s.from}`];
    case 'lag':
      return [`select k, coalesce(lag(v) over (partition by g order by k, v), ${s.limit})::BIGINT as v, g`, `from ${s.from}`];
    case 'count':
      return [`select k, v, g, count(*) over (partition by k) as n`, `from ${s.from}`];
    case 'running':
      return [`select k, ${bounded('sum(v) over (partition by g order by k)')} as v, g`, `from ${s.from}`];
  }
}

/** The query as clauses, keywords in lower case. */
function clauses(s: Shape): string[] {
  switch (s.kind) {
    case 'filter':
      return [`select ${s.distinct ? 'distinct ' : ''}${s.star ? '*' : 'k, v, g'}`, `from ${s.from}`, `where ${predSql(s.pred)}`];
    case 'agg': {
      const agg = bounded(s.fn === 'count' ? 'count(*)' : `${s.fn}(v)`);
      const sel =
        s.by === 'kg'
          ? `select k, g, ${agg} as v, count(*) as n`
          : s.by === 'g'
            ? `select min(k) as k, g, ${agg} as v, count(*) as n`
            : `select k, ${agg} as v, max(g) as g, count(*) as n`;
      const group = s.groupAll ? 'group by all' : `group by ${s.by === 'kg' ? 'k, g' : s.by}`;
      return [
        sel,
        `from ${s.from}`,
        ...(s.where ? [`where ${predSql(s.where)}`] : []),
        group,
        ...(s.having !== null ? [`having count(*) > ${s.having}`] : []),
      ];
    }
    case 'join': {
      const keys = s.on === 'kg' ? 'k, g' : 'k';
      return [
        `select a.k, a.g, ${bounded(`a.v ${s.op} coalesce(b.v, 0)`)} as v`,
        `from ${s.left} as a`,
        `${s.how} join (select ${keys}, ${s.rightFn === 'max' ? 'max(v)' : 'count(*)'} as v from ${s.right} group by ${keys}) as b`,
        `on a.k = b.k${s.on === 'kg' ? ' and a.g = b.g' : ''}`,
      ];
    }
    case 'semi':
      return [`select k, v, g`, `from ${s.from}`, `where k ${s.neg ? 'not in' : 'in'} (select k from ${s.other} where g <> '${s.g}')`];
    case 'cte':
      return [
        `with base as (select k, v, g from ${s.from} where k % ${s.mod} <> ${s.rem}),`,
        `stats as (select g, ${s.fn}(v) as mv from base group by g)`,
        `select base.k, ${bounded('stats.mv - base.v')} as v, base.g`,
        'from base',
        'join stats on base.g = stats.g',
      ];
    case 'window':
      return windowClauses(s);
    case 'union':
      return [
        `select k, v, g from ${s.a} where ${predSql(s.pred)}`,
        s.byName ? 'union all by name' : 'union all',
        s.byName ? `select g, v, k from ${s.b}` : `select k, v, g from ${s.b}`,
      ];
    case 'note':
      return s.variant === 'filter'
        ? [`select k, v, g`, `from ${s.from}`, `where note <> 'n${s.c}'`]
        : [`select k, v, g, length(note)::BIGINT + ${s.c} as nl`, `from ${s.from}`];
    case 'side':
      return sideClauses(s);
    case 'keyed':
      return keyedClauses(s);
  }
}

/** The SQL of a task: its semantics come from the shape, its formatting from the style. */
export function body(s: Shape, style: number): string {
  let cs = clauses(s);
  if (style & 1) cs = cs.map((c) => c.replace(KEYWORDS, (k) => k.toUpperCase()));
  if (style & 8) cs = cs.map((c) => c.replace(/, /g, ' ,  ').replace(/ = /g, '  =  '));
  if (style & 4) cs = [`${cs[0]} /* ${cs.length} clauses */`, ...cs.slice(1)];
  let sql = style & 2 ? cs.join('\n    ') : cs.join(' ');
  if (style & 4) sql = `-- generated task\n${sql}\n-- end of task`;
  return sql;
}

export function renderTask(t: TaskModel): string {
  const h = t.style & 16 ? (k: string, v: string) => `--@${k}   ${v}` : (k: string, v: string) => `-- @${k} ${v}`;
  const key = t.shape.kind === 'keyed' ? keyedHeader(t.shape) : undefined;
  const header = [h('materialize', t.materialize), ...(t.shared ? [h('output', t.output)] : []), ...(key ? [h('key', key)] : [])];
  if (t.style & 16) header.splice(1, 0, '-- (differential test)', '');
  return `${header.join('\n')}\n${t.style & 16 ? '\n' : ''}${withExtraColumns(t, body(t.shape, t.style))}\n`;
}

// ───────────────────────────────────────────── generation ─────────────────────────────────────────────

function randomValue(r: Rand, col: { name: string; type: ColType }): Value {
  switch (col.name) {
    case 'k':
      return r.int(0, K_MAX);
    case 'v':
      return r.chance(0.06) ? null : r.int(-5, 40);
    case 'g':
      return r.pick(GROUPS);
    case 'note':
      return `n${r.int(0, 9)}`;
    case 'rid':
      throw new Error('rid values are assigned, not drawn');
    default:
      return col.type === 'BIGINT' ? r.int(0, 999) : `x${r.int(0, 99)}`;
  }
}

const randomRow = (r: Rand, s: SourceModel): Value[] => s.columns.map((c) => (c.name === 'rid' ? s.delta!.nextRid++ : randomValue(r, c)));

function randomPred(r: Rand): Pred {
  switch (r.int(0, 2)) {
    case 0:
      return { col: 'v', op: r.pick(['>', '<=', '<>'] as const), c: r.int(-2, 30) };
    case 1:
      return { col: 'k', op: r.pick(['>', '<=', '<>'] as const), c: r.int(0, K_MAX) };
    default:
      return { col: 'g', op: r.pick(['<>', '='] as const), c: r.pick(GROUPS) };
  }
}

/** A dataset to read: mostly recent outputs (deep DAGs), outputs of several producers, sometimes a source. */
function pickInput(r: Rand, m: ProjectModel, exclude?: string): string {
  // Outputs with extra columns stay leaves: a reader would pass the columns on (see differentialDeltaSteps.ts).
  const outs = outputs(m).filter((o) => o !== exclude && !producersOf(m, o).some((t) => t.extra?.length));
  const shared = outs.filter((o) => producersOf(m, o).length > 1);
  if (shared.length > 0 && r.chance(0.25)) return r.pick(shared);
  if (outs.length > 0 && r.chance(0.7)) return r.chance(0.6) ? r.pick(outs.slice(-3)) : r.pick(outs);
  return r.pick(m.sources.map((s) => s.name));
}

function randomShape(r: Rand, m: ProjectModel): Shape {
  const kind = r.weighted({
    filter: 2,
    agg: 2,
    join: 2,
    semi: 1,
    cte: 1,
    window: 2,
    union: 1,
    note: 0.6,
    side: 2,
    keyed: m.keyed ? 14 : 2.5,
  });
  switch (kind) {
    case 'keyed':
      return randomKeyedShape(r, m, () => pickInput(r, m));
    case 'filter':
      return { kind, from: pickInput(r, m), star: r.chance(0.25), distinct: r.chance(0.15), pred: randomPred(r) };
    case 'agg':
      return {
        kind,
        from: pickInput(r, m),
        by: r.pick(['kg', 'kg', 'g', 'k'] as const),
        fn: r.pick(AGG_FNS),
        groupAll: r.chance(0.3),
        having: r.chance(0.3) ? r.int(0, 3) : null,
        where: r.chance(0.4) ? randomPred(r) : null,
      };
    case 'join':
      return {
        kind,
        left: pickInput(r, m),
        right: pickInput(r, m),
        how: r.pick(['left', 'inner'] as const),
        on: r.pick(['k', 'kg'] as const),
        op: r.pick(['+', '-'] as const),
        rightFn: r.chance(0.7) ? 'max' : 'count',
      };
    case 'semi':
      return { kind, from: pickInput(r, m), other: pickInput(r, m), neg: r.chance(0.4), g: r.pick(GROUPS) };
    case 'cte':
      return { kind, from: pickInput(r, m), mod: r.int(2, 5), rem: r.int(0, 1), fn: r.pick(['sum', 'max', 'min'] as const) };
    case 'window':
      return { kind, from: pickInput(r, m), variant: r.pick(['rank', 'psum', 'lag', 'count', 'running'] as const), limit: r.int(1, 4) };
    case 'union':
      return { kind, a: pickInput(r, m), b: pickInput(r, m), byName: r.chance(0.3), pred: randomPred(r) };
    case 'note':
      return { kind, from: r.pick(m.sources.map((s) => s.name)), variant: r.pick(['filter', 'len'] as const), c: r.int(0, 9) };
    case 'side':
      return randomSideShape(r, m, pickInput(r, m));
  }
}

/** A new task (not yet in the model) that keeps the model valid, or undefined after many tries. */
function newTask(r: Rand, m: ProjectModel): TaskModel | undefined {
  for (let attempt = 0; attempt < 30; attempt++) {
    const n = m.nextTask;
    const inM = r.chance(0.2);
    const name = `${inM ? 'm.' : ''}t${String(n).padStart(2, '0')}`;
    const groups = [...new Set(m.tasks.filter((t) => t.shared).map((t) => t.output))];
    let output = name;
    let shared = false;
    if (r.chance(0.4)) {
      shared = true;
      output = groups.length > 0 && r.chance(0.7) ? r.pick(groups) : `u${m.nextGroup}`;
    }
    const t: TaskModel = {
      name,
      file: `tasks/${inM ? 'm/' : ''}t${String(n).padStart(2, '0')}.sql`,
      output,
      shared,
      materialize: r.chance(0.4) ? 'view' : 'table',
      shape: randomShape(r, m),
      style: r.int(0, 31),
    };
    // Key-scoped tasks refresh by key as tables and Delta outputs; a view always runs in full.
    if (t.shape.kind === 'keyed') t.materialize = r.weighted({ table: 7, view: 1.5, delta: 1.5 });
    if (inputsOf(t.shape).includes(t.output)) continue;
    const next = { ...m, tasks: [...m.tasks, t] };
    if (invalidity(next) !== null) continue;
    m.nextTask++;
    if (shared && output === `u${m.nextGroup}`) m.nextGroup++;
    return t;
  }
  return undefined;
}

export function generateModel(r: Rand, opts: { delta?: boolean; keyed?: boolean } = {}): ProjectModel {
  const m: ProjectModel = { sources: [], tasks: [], nextTask: 1, nextGroup: 1, removed: [], ...(opts.keyed ? { keyed: true } : {}) };
  const nSources = r.int(2, 3);
  for (let i = 0; i < nSources; i++) {
    const s: SourceModel = {
      name: `s${i}`,
      columns: [
        { name: 'k', type: 'BIGINT' },
        { name: 'v', type: 'BIGINT' },
        { name: 'g', type: 'VARCHAR' },
        { name: 'note', type: 'VARCHAR' },
      ],
      files: [],
      nextFile: 0,
    };
    if (opts.delta !== false && r.chance(opts.keyed ? (i < 2 ? 1 : 0.5) : 0.4)) {
      s.columns.push({ name: 'rid', type: 'BIGINT' });
      s.delta = { rows: [], nextRid: 1, checkpointInterval: r.pick([3, 5, 10]), commits: 0, ...(r.chance(0.3) ? { cdf: false } : {}) };
      const part = r.weighted({ none: 3, k: 2, g: 1 });
      if (part !== 'none') s.delta.partition = part;
      s.delta.rows = Array.from({ length: r.int(12, 40) }, () => randomRow(r, s));
    } else {
      const nFiles = r.chance(0.25) ? 2 : 1;
      for (let f = 0; f < nFiles; f++) {
        const rows = Array.from({ length: r.int(12, 40) }, () => randomRow(r, s));
        s.files.push({ file: sourceFileName(s.name, s.nextFile++), rows });
      }
    }
    m.sources.push(s);
  }
  const nTasks = r.int(4, 12);
  while (m.tasks.length < nTasks) {
    const t = newTask(r, m);
    if (!t) break;
    m.tasks.push(t);
  }
  return m;
}

// ───────────────────────────────────────────── files ─────────────────────────────────────────────

const CONFIG_FILE = 'watch.config.ts';

function configText(m: ProjectModel): string {
  const lines = m.sources.map((s) =>
    s.delta
      ? `    ${s.name}: { format: 'delta', path: 'data/${s.name}' },`
      : `    ${s.name}: { format: 'parquet', path: 'data/${s.name}/*.parquet' },`,
  );
  return `export default {\n  sources: {\n${lines.join('\n')}\n  },\n};\n`;
}

const lit = (v: Value): string => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${v.replace(/'/g, "''")}'`);

async function writeParquet(dir: string, s: SourceModel, file: { file: string; rows: Value[][] }): Promise<void> {
  const p = path.join(dir, file.file);
  mkdirSync(path.dirname(p), { recursive: true });
  const query = valuesQuery(s.columns, file.rows);
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  try {
    await c.run(`COPY (${query}) TO '${p.replace(/'/g, "''")}' (FORMAT parquet)`);
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

/** A SELECT of exactly these rows, typed and named as the columns (zero rows: `WHERE false`). */
function valuesQuery(columns: readonly { name: string; type: ColType }[], rows: readonly Value[][]): string {
  const aliases = columns.map((_, i) => `c${i}`);
  const select = columns.map((c, i) => `c${i}::${c.type} AS "${c.name}"`).join(', ');
  const values =
    rows.length > 0 ? rows.map((row) => `(${row.map(lit).join(', ')})`).join(', ') : `(${columns.map(() => 'NULL').join(', ')})`;
  return `SELECT ${select} FROM (VALUES ${values}) AS t(${aliases.join(', ')})${rows.length === 0 ? ' WHERE false' : ''}`;
}

const deltaDir = (dir: string, s: SourceModel) => path.join(dir, 'data', s.name);

const deltaStepContext = (m: ProjectModel, dir: string): DeltaStepContext => ({
  dir,
  deltaDir: (s) => deltaDir(dir, s),
  valuesQuery: (s, rows) => valuesQuery(s.columns, rows),
  readers: (ds) => [...m.tasks, ...m.removed].filter((t) => inputsOf(t.shape).includes(ds)),
  writeTask: (t) => writeTask(dir, t),
});

/** One commit of relspec's Delta writer on the source's table. */
async function deltaWrite(dir: string, s: SourceModel, opts: Omit<WriteOptions, 'checkpointInterval'>): Promise<void> {
  await withDuck((c) => writeTable(c, deltaDir(dir, s), { ...opts, checkpointInterval: s.delta!.checkpointInterval }));
  s.delta!.commits++;
}

async function createDelta(dir: string, s: SourceModel): Promise<void> {
  await withDuck(async (c) => {
    await createTable(c, deltaDir(dir, s), {
      schema: s.columns.map((col) => ({ name: col.name, type: col.type })),
      ...(s.delta!.cdf === false ? { configuration: { 'delta.enableChangeDataFeed': 'false' } } : {}),
      ...(s.delta!.partition ? { partitionColumns: [s.delta!.partition] } : {}),
    });
  });
  // The initial rows in one or two commits.
  const rows = s.delta!.rows;
  const cut = rows.length > 20 ? Math.floor(rows.length / 2) : rows.length;
  await deltaWrite(dir, s, { mode: 'append', sql: valuesQuery(s.columns, rows.slice(0, cut)) });
  if (cut < rows.length) await deltaWrite(dir, s, { mode: 'append', sql: valuesQuery(s.columns, rows.slice(cut)) });
}

/**
 * ALTER TABLE ADD COLUMNS as writers do it: a commit with only a new metaData (relspec's writer
 * has no schema evolution). Rows written before read the new column as NULL.
 */
async function deltaAddColumn(dir: string, s: SourceModel, col: { name: string; type: ColType }): Promise<void> {
  const table = deltaDir(dir, s);
  const snap = await withDuck((c) => loadSnapshot(c, table));
  const m = snap.metadata;
  const schema = JSON.parse(m.schemaString!) as { type: 'struct'; fields: unknown[] };
  schema.fields.push({ name: col.name, type: col.type === 'BIGINT' ? 'long' : 'string', nullable: true, metadata: {} });
  const metaData = {
    id: m.id,
    format: { provider: m.formatProvider, options: {} },
    schemaString: JSON.stringify(schema),
    partitionColumns: m.partitionColumns,
    configuration: m.configuration,
    createdTime: m.createdTime,
  };
  await putCommit(table, snap.version + 1, [
    commitInfo('ADD COLUMNS', snap.version, { columns: JSON.stringify([col.name]) }, {}, false),
    { metaData },
  ]);
  s.delta!.commits++;
}

function writeTask(dir: string, t: TaskModel): void {
  const p = path.join(dir, t.file);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, renderTask(t));
}

export async function writeProject(dir: string, m: ProjectModel): Promise<void> {
  writeFileSync(path.join(dir, CONFIG_FILE), configText(m));
  mkdirSync(path.join(dir, 'tasks'), { recursive: true });
  for (const s of m.sources) {
    if (s.delta) await createDelta(dir, s);
    for (const f of s.files) await writeParquet(dir, s, f);
  }
  for (const f of m.sideFiles ?? []) await writeSideFile(dir, f);
  for (const t of m.tasks) writeTask(dir, t);
}

// ───────────────────────────────────────────── steps ─────────────────────────────────────────────

export type StepKind =
  | 'rows'
  | 'unread_column'
  | 'add_column'
  | 'add_file'
  | 'shuffle'
  | 'touch'
  | 'keep_mtime'
  | 'format'
  | 'semantic'
  | 'add_task'
  | 'remove_leaf'
  | 'restore_task'
  | 'switch_kind'
  | 'delta_insert'
  | 'delta_update'
  | 'delta_delete'
  | 'delta_unread'
  | 'delta_merge_same'
  | 'delta_overwrite'
  | 'delta_add_column'
  | 'delta_keys'
  | 'delta_rewritten_commit'
  | 'delta_output_switch'
  | 'delta_output_schema'
  | 'side_file'
  | 'batch';

export interface Step {
  kind: StepKind;
  description: string;
  /** Minimality: this step must not build any task. */
  expectNoBuild: boolean;
  /** The kinds a batch is made of. */
  parts?: StepKind[];
}

/** A random semantic edit of one parameter, keeping the model valid. */
function semanticEdit(r: Rand, m: ProjectModel, t: TaskModel): Shape | undefined {
  for (let attempt = 0; attempt < 20; attempt++) {
    const s = structuredClone(t.shape) as Shape;
    const sources = m.sources.map((x) => x.name);
    const reroute = (cur: string) => (isSource(m, cur) && r.chance(0.5) ? r.pick(sources) : pickInput(r, m, t.output));
    switch (s.kind) {
      case 'filter':
        if (r.chance(0.2)) s.from = reroute(s.from);
        else if (r.chance(0.2)) s.distinct = !s.distinct;
        else
          s.pred = r.chance(0.5)
            ? ({ ...s.pred, c: typeof s.pred.c === 'number' ? s.pred.c + r.int(1, 5) : r.pick(GROUPS) } as Pred)
            : randomPred(r);
        break;
      case 'agg':
        switch (r.int(0, 3)) {
          case 0:
            s.fn = r.pick(AGG_FNS);
            break;
          case 1:
            s.having = s.having === null ? r.int(0, 3) : r.chance(0.5) ? null : s.having + 1;
            break;
          case 2:
            s.where = r.chance(0.3) ? null : randomPred(r);
            break;
          default:
            s.from = reroute(s.from);
        }
        break;
      case 'join':
        switch (r.int(0, 3)) {
          case 0:
            s.how = s.how === 'left' ? 'inner' : 'left';
            break;
          case 1:
            s.on = s.on === 'k' ? 'kg' : 'k';
            break;
          case 2:
            if (r.chance(0.5)) s.op = s.op === '+' ? '-' : '+';
            else s.rightFn = s.rightFn === 'max' ? 'count' : 'max';
            break;
          default:
            if (r.chance(0.5)) s.left = reroute(s.left);
            else s.right = reroute(s.right);
        }
        break;
      case 'semi':
        switch (r.int(0, 2)) {
          case 0:
            s.neg = !s.neg;
            break;
          case 1:
            s.g = r.pick(GROUPS);
            break;
          default:
            if (r.chance(0.5)) s.from = reroute(s.from);
            else s.other = reroute(s.other);
        }
        break;
      case 'cte':
        if (r.chance(0.5)) s.mod = r.int(2, 6);
        else s.fn = r.pick(['sum', 'max', 'min'] as const);
        break;
      case 'window':
        if (r.chance(0.5)) s.limit = r.int(1, 5);
        else s.variant = r.pick(['rank', 'psum', 'lag', 'count', 'running'] as const);
        break;
      case 'union':
        if (r.chance(0.5)) s.pred = randomPred(r);
        else if (r.chance(0.5)) s.b = reroute(s.b);
        else s.byName = !s.byName;
        break;
      case 'note':
        if (r.chance(0.5)) s.c = (s.c + r.int(1, 9)) % 10;
        else s.variant = s.variant === 'filter' ? 'len' : 'filter';
        break;
      case 'keyed':
        editKeyedShape(r, s, reroute);
        break;
      case 'side': {
        const other = (m.sideFiles ?? []).filter((f) => f.file !== s.side);
        if (other.length > 0 && r.chance(0.5)) {
          const f = r.pick(other);
          s.side = f.file;
          s.reader = f.format === 'csv' ? 'read_csv' : 'read_parquet';
        } else s.from = reroute(s.from);
        break;
      }
    }
    if (body(s, 0) === body(t.shape, 0)) continue; // a parameter the SQL does not show
    if (inputsOf(s).includes(t.output)) continue;
    const next = { ...m, tasks: m.tasks.map((x) => (x === t ? { ...x, shape: s } : x)) };
    if (invalidity(next) === null) return s;
  }
  return undefined;
}

const colIndex = (s: SourceModel, name: string) => s.columns.findIndex((c) => c.name === name);
const ridsSql = (rows: readonly Value[][], ri: number) =>
  `SELECT rid FROM (VALUES ${rows.map((row) => `(${row[ri]}::BIGINT)`).join(', ')}) AS t(rid)`;

/** One commit of the writer on a Delta source: what Spark or delta-rs jobs do to a table. */
async function deltaStep(kind: StepKind, r: Rand, m: ProjectModel, dir: string): Promise<Step | undefined> {
  if (deltaSources(m).length === 0) return undefined;
  const s = r.pick(deltaSources(m));
  const d = s.delta!;
  const ri = colIndex(s, 'rid');
  const pickRows = (n: number): Value[][] => {
    const out = new Set<Value[]>();
    while (out.size < Math.min(n, d.rows.length)) out.add(r.pick(d.rows));
    return [...out];
  };
  const at = `${s.name} v${d.commits + 1}`;
  switch (kind) {
    case 'delta_insert': {
      if (sourceRows(s) >= SOURCE_BOUND - 4) return undefined;
      const rows = Array.from({ length: r.int(1, 4) }, () => randomRow(r, s));
      d.rows.push(...rows);
      await deltaWrite(dir, s, { mode: 'append', sql: valuesQuery(s.columns, rows), operation: 'WRITE' });
      return { kind, description: `delta ${at}: append ${rows.length} row(s)`, expectNoBuild: false };
    }
    case 'delta_update': {
      if (d.rows.length === 0) return undefined;
      const col = r.weighted({ v: 3, g: 1, k: 1 });
      const ci = colIndex(s, col);
      const rows = pickRows(r.int(1, 3));
      for (const row of rows) row[ci] = randomValue(r, s.columns[ci]!);
      await deltaWrite(dir, s, { mode: 'replace', keys: ['rid'], sql: valuesQuery(s.columns, rows), operation: 'UPDATE' });
      return { kind, description: `delta ${at}: update ${rows.length}×${col} (replace by rid)`, expectNoBuild: false };
    }
    case 'delta_delete': {
      if (d.rows.length === 0) return undefined;
      const rows = pickRows(r.int(1, 3));
      d.rows = d.rows.filter((row) => !rows.includes(row));
      await deltaWrite(dir, s, {
        mode: 'replace',
        keys: ['rid'],
        sql: valuesQuery(s.columns, []),
        deleteKeysSql: ridsSql(rows, ri),
        operation: 'DELETE',
      });
      return { kind, description: `delta ${at}: delete ${rows.length} row(s)`, expectNoBuild: false };
    }
    case 'delta_unread': {
      // An update of `note` or an added column: a no-build check when no task reads it.
      const cols = s.columns.filter((c) => c.name === 'note' || c.name.startsWith(`${s.name}_x`));
      if (d.rows.length === 0 || cols.length === 0) return undefined;
      const col = r.pick(cols);
      const ci = colIndex(s, col.name);
      const rows = pickRows(r.int(1, 4));
      for (const row of rows) {
        const old = row[ci];
        do row[ci] = randomValue(r, col);
        while (row[ci] === old);
      }
      await deltaWrite(dir, s, { mode: 'replace', keys: ['rid'], sql: valuesQuery(s.columns, rows), operation: 'UPDATE' });
      const unread = mayRead(m, s.name, col.name).length === 0;
      return {
        kind,
        description: `delta ${at}: update ${rows.length}×${col.name}${unread ? ' (read by no task)' : ''}`,
        expectNoBuild: unread,
      };
    }
    case 'delta_merge_same': {
      // A MERGE that rewrote rows with equal values: files change, rows do not.
      if (d.rows.length === 0) return undefined;
      const rows = pickRows(r.int(1, 4));
      await deltaWrite(dir, s, { mode: 'replace', keys: ['rid'], sql: valuesQuery(s.columns, rows), operation: 'MERGE' });
      return { kind, description: `delta ${at}: MERGE ${rows.length} row(s) with equal values`, expectNoBuild: true };
    }
    case 'delta_overwrite': {
      // Overwrite: the same rows in another order (nothing changes), or with some rows replaced.
      const same = r.chance(0.5) || d.rows.length === 0;
      if (!same) {
        for (const row of pickRows(r.int(1, 3))) d.rows.splice(d.rows.indexOf(row), 1);
        if (sourceRows(s) < SOURCE_BOUND - 4) d.rows.push(...Array.from({ length: r.int(0, 3) }, () => randomRow(r, s)));
      }
      for (let i = d.rows.length - 1; i > 0; i--) {
        const j = r.int(0, i);
        [d.rows[i], d.rows[j]] = [d.rows[j]!, d.rows[i]!];
      }
      await deltaWrite(dir, s, { mode: 'overwrite', sql: valuesQuery(s.columns, d.rows) });
      return {
        kind,
        description: `delta ${at}: overwrite with ${same ? 'the same rows' : 'changed rows'} (${d.rows.length})`,
        expectNoBuild: same,
      };
    }
    case 'delta_add_column': {
      const type: ColType = r.chance(0.5) ? 'BIGINT' : 'VARCHAR';
      const col = { name: `${s.name}_x${s.columns.length - 4}`, type };
      await deltaAddColumn(dir, s, col);
      s.columns.push(col);
      for (const row of d.rows) row.push(null);
      const unread = mayRead(m, s.name, col.name).length === 0;
      return {
        kind,
        description: `delta ${at}: add column ${col.name} ${type} (metaData commit)${unread ? ' (read by no task)' : ''}`,
        expectNoBuild: unread,
      };
    }
    default:
      return undefined;
  }
}

/** Picks a random step, applies it to the model and to the files in `dir`. */
export async function applyRandomStep(r: Rand, m: ProjectModel, dir: string, allowBatch = true): Promise<Step> {
  // A half-written commit is completed before anything else writes to its table.
  if (m.sources.some((s) => s.delta?.pending)) return (await rewrittenCommitStep(r, m, deltaStepContext(m, dir)))!;
  for (;;) {
    const files = fileSources(m).length > 0 ? 1 : 0;
    const delta = deltaSources(m).length > 0 ? 1 : 0;
    const kind = r.weighted<StepKind>({
      rows: 3 * files,
      unread_column: 1.5 * files,
      add_column: 0.7 * files,
      add_file: 1 * files,
      shuffle: 1 * files,
      touch: 0.4 * files,
      keep_mtime: 1 * files,
      delta_insert: 1.2 * delta,
      delta_update: 1.5 * delta,
      delta_delete: 1 * delta,
      delta_unread: 0.8 * delta,
      delta_merge_same: 0.5 * delta,
      delta_overwrite: 0.6 * delta,
      delta_add_column: 0.4 * delta,
      delta_keys: (m.keyed ? 20 : 1.5) * delta,
      delta_rewritten_commit: 0.6 * delta,
      delta_output_switch: 0.5,
      // Drawn often: it only applies once a leaf is a delta output (else another kind is drawn).
      delta_output_schema: 2,
      format: 1.5,
      semantic: 2,
      add_task: 1,
      remove_leaf: m.tasks.length > 2 ? 1 : 0,
      restore_task: m.removed.length > 0 ? 0.6 : 0,
      switch_kind: 1,
      side_file: m.tasks.some((t) => t.shape.kind === 'side') ? 2.5 : 0,
      batch: allowBatch ? 1 : 0,
    });
    if (kind === 'batch') {
      // Several edits before one run, as a daemon's debounce or a `git checkout` delivers them.
      const parts: Step[] = [];
      for (let i = r.int(2, 3); i > 0; i--) parts.push(await applyRandomStep(r, m, dir, false));
      return {
        kind,
        description: parts.map((p) => p.description).join(' + '),
        expectNoBuild: parts.every((p) => p.expectNoBuild),
        parts: parts.map((p) => p.kind),
      };
    }
    const step = await tryStep(kind, r, m, dir);
    if (step) {
      // A task added or edited may read a side file the model just made up: write it.
      await ensureSideFiles(dir, m);
      return step;
    }
  }
}

async function tryStep(kind: StepKind, r: Rand, m: ProjectModel, dir: string): Promise<Step | undefined> {
  switch (kind) {
    case 'rows': {
      if (fileSources(m).length === 0) return undefined;
      const s = r.pick(fileSources(m));
      const f = r.pick(s.files);
      const ops: string[] = [];
      const n = r.int(1, 3);
      for (let i = 0; i < n; i++) {
        const op = r.weighted({
          insert: f.rows.length < MAX_FILE_ROWS && sourceRows(s) < SOURCE_BOUND - 4 ? 2 : 0,
          delete: f.rows.length > 0 ? 2 : 0,
          update: f.rows.length > 0 ? 3 : 0,
        });
        if (op === 'insert') {
          const count = r.int(1, 4);
          for (let j = 0; j < count; j++) f.rows.push(randomRow(r, s));
          ops.push(`insert ${count}`);
        } else if (op === 'delete') {
          const count = Math.min(f.rows.length, r.int(1, 3));
          for (let j = 0; j < count; j++) f.rows.splice(r.int(0, f.rows.length - 1), 1);
          ops.push(`delete ${count}`);
        } else if (op === 'update') {
          const col = r.weighted({ v: 3, g: 1, k: 1 });
          const ci = s.columns.findIndex((c) => c.name === col);
          const count = Math.min(f.rows.length, r.int(1, 3));
          for (let j = 0; j < count; j++) f.rows[r.int(0, f.rows.length - 1)]![ci] = randomValue(r, s.columns[ci]!);
          ops.push(`update ${count}×${col}`);
        }
      }
      await writeParquet(dir, s, f);
      return { kind, description: `rewrite ${f.file}: ${ops.join(', ')}`, expectNoBuild: false };
    }
    case 'unread_column': {
      if (fileSources(m).length === 0) return undefined;
      const s = r.pick(fileSources(m));
      const candidates = s.columns.slice(3).map((c) => c.name);
      const col = r.pick(candidates);
      const unread = mayRead(m, s.name, col).length === 0;
      const f = r.pick(s.files);
      if (f.rows.length === 0) return undefined;
      const ci = s.columns.findIndex((c) => c.name === col);
      const count = Math.min(f.rows.length, r.int(1, 4));
      for (let j = 0; j < count; j++) {
        const row = f.rows[r.int(0, f.rows.length - 1)]!;
        const old = row[ci];
        do row[ci] = randomValue(r, s.columns[ci]!);
        while (row[ci] === old);
      }
      await writeParquet(dir, s, f);
      return { kind, description: `rewrite ${f.file}: update ${count}×${col}${unread ? ' (read by no task)' : ''}`, expectNoBuild: unread };
    }
    case 'add_column': {
      if (fileSources(m).length === 0) return undefined;
      const s = r.pick(fileSources(m));
      const type: ColType = r.chance(0.5) ? 'BIGINT' : 'VARCHAR';
      const col = { name: `${s.name}_x${s.columns.length - 3}`, type };
      s.columns.push(col);
      for (const f of s.files) for (const row of f.rows) row.push(randomValue(r, col));
      for (const f of s.files) await writeParquet(dir, s, f);
      const unread = mayRead(m, s.name, col.name).length === 0;
      return {
        kind,
        description: `add column ${col.name} ${type} to source ${s.name}${unread ? ' (read by no task)' : ''}`,
        expectNoBuild: unread,
      };
    }
    case 'add_file': {
      if (fileSources(m).length === 0) return undefined;
      const s = r.pick(fileSources(m));
      if (s.files.length >= MAX_FILES) {
        // Remove an extra file instead: the glob matches one file less.
        const f = s.files.splice(r.int(1, s.files.length - 1), 1)[0]!;
        rmSync(path.join(dir, f.file));
        return { kind, description: `remove file ${f.file} (${f.rows.length} rows) from source ${s.name}`, expectNoBuild: false };
      }
      const n = Math.max(0, Math.min(r.int(0, 12), SOURCE_BOUND - sourceRows(s)));
      const f = { file: sourceFileName(s.name, s.nextFile++), rows: Array.from({ length: n }, () => randomRow(r, s)) };
      s.files.push(f);
      await writeParquet(dir, s, f);
      return { kind, description: `add file ${f.file} (${f.rows.length} rows) to source ${s.name}`, expectNoBuild: false };
    }
    case 'shuffle': {
      // Same multiset of rows, other bytes: permuted in a file, or moved to another file of the glob.
      if (fileSources(m).length === 0) return undefined;
      const s = r.pick(fileSources(m));
      const [a, b] = [r.pick(s.files), r.pick(s.files)];
      if (a !== b && a.rows.length > 0) {
        const count = Math.min(a.rows.length, r.int(1, 4));
        for (let j = 0; j < count; j++) b.rows.push(...a.rows.splice(r.int(0, a.rows.length - 1), 1));
        await writeParquet(dir, s, a);
        await writeParquet(dir, s, b);
        return { kind, description: `move ${count} row(s) from ${a.file} to ${b.file} (same rows in ${s.name})`, expectNoBuild: true };
      }
      if (a.rows.length < 2) return undefined;
      for (let i = a.rows.length - 1; i > 0; i--) {
        const j = r.int(0, i);
        [a.rows[i], a.rows[j]] = [a.rows[j]!, a.rows[i]!];
      }
      await writeParquet(dir, s, a);
      return { kind, description: `permute the rows of ${a.file} (same rows in ${s.name})`, expectNoBuild: true };
    }
    case 'touch': {
      if (fileSources(m).length === 0) return undefined;
      const s = r.pick(fileSources(m));
      const f = r.pick(s.files);
      await writeParquet(dir, s, f);
      return { kind, description: `rewrite ${f.file} with the same rows`, expectNoBuild: true };
    }
    case 'keep_mtime': {
      // New bytes, the old mtime and atime put back (cp -p, rsync -t, tar x): differentialFileSteps.ts.
      if (fileSources(m).length === 0) return undefined;
      const s = r.pick(fileSources(m));
      const description = await keepMtimeRewrite(r, s, r.pick(s.files), dir, (src, f) => writeParquet(dir, src, f));
      return description === undefined ? undefined : { kind, description, expectNoBuild: false };
    }
    case 'delta_insert':
    case 'delta_update':
    case 'delta_delete':
    case 'delta_unread':
    case 'delta_merge_same':
    case 'delta_overwrite':
    case 'delta_add_column':
      return deltaStep(kind, r, m, dir);
    case 'delta_rewritten_commit':
      return rewrittenCommitStep(r, m, deltaStepContext(m, dir));
    case 'delta_keys':
      return deltaKeysStep(r, m, deltaStepContext(m, dir), { rowBound: SOURCE_BOUND - 4, randomRow: (s) => randomRow(r, s) });
    case 'delta_output_switch':
      return deltaOutputSwitchStep(r, m, deltaStepContext(m, dir));
    case 'delta_output_schema':
      return deltaOutputSchemaStep(r, m, deltaStepContext(m, dir));
    case 'side_file': {
      // A file a task reads with read_csv / read_parquet (a literal path), rewritten: differentialTaskFiles.ts.
      const step = await sideFileStep(r, m, dir, (file) => m.tasks.some((t) => t.shape.kind === 'side' && t.shape.side === file));
      return step && { kind, ...step };
    }
    case 'restore_task': {
      if (m.removed.length === 0) return undefined;
      const t = r.pick(m.removed);
      const next = { ...m, tasks: [...m.tasks, t] };
      if (invalidity(next) !== null) return undefined;
      m.removed.splice(m.removed.indexOf(t), 1);
      m.tasks.push(t);
      writeTask(dir, t);
      return {
        kind,
        description: `restore removed task ${t.name} (${t.materialize}${t.shared ? `, output ${t.output}` : ''}): ${body(t.shape, 0)}`,
        expectNoBuild: false,
      };
    }
    case 'batch':
      return undefined;
    case 'format': {
      if (m.tasks.length === 0) return undefined;
      const t = r.pick(m.tasks);
      const old = t.style;
      do t.style = r.int(0, 31);
      while (t.style === old);
      writeTask(dir, t);
      return { kind, description: `formatting-only edit of ${t.name} (style ${old} → ${t.style})`, expectNoBuild: true };
    }
    case 'semantic': {
      if (m.tasks.length === 0) return undefined;
      const t = r.pick(m.tasks);
      const s = semanticEdit(r, m, t);
      if (!s) return undefined;
      const before = body(t.shape, 0);
      t.shape = s;
      writeTask(dir, t);
      return { kind, description: `semantic edit of ${t.name}: ${before}  ⇒  ${body(s, 0)}`, expectNoBuild: false };
    }
    case 'add_task': {
      const t = newTask(r, m);
      if (!t) return undefined;
      m.tasks.push(t);
      writeTask(dir, t);
      return {
        kind,
        description: `add task ${t.name} (${t.materialize}${t.shared ? `, output ${t.output}` : ''}): ${body(t.shape, 0)}`,
        expectNoBuild: false,
      };
    }
    case 'remove_leaf': {
      const leaves = m.tasks.filter((t) => readersOf(m, t.output).length === 0);
      if (leaves.length === 0 || m.tasks.length <= 2) return undefined;
      const t = r.pick(leaves);
      m.tasks.splice(m.tasks.indexOf(t), 1);
      m.removed.push(t);
      rmSync(path.join(dir, t.file));
      const rest = producersOf(m, t.output).length;
      return {
        kind,
        description: `remove leaf task ${t.name}${t.shared ? ` (output ${t.output}, ${rest} producer(s) left)` : ''}`,
        expectNoBuild: false,
      };
    }
    case 'switch_kind': {
      if (m.tasks.length === 0) return undefined;
      const t = r.pick(m.tasks);
      t.materialize = t.materialize === 'view' ? 'table' : 'view';
      if (invalidity(m) !== null) {
        t.materialize = t.materialize === 'view' ? 'table' : 'view';
        return undefined;
      }
      writeTask(dir, t);
      return { kind, description: `switch ${t.name} to ${t.materialize}`, expectNoBuild: false };
    }
  }
}

// ───────────────────────────────────────────── comparison ─────────────────────────────────────────────

interface RelationSnapshot {
  kind: 'table' | 'view';
  columns?: string[];
  rows?: string[];
  error?: string;
}

/** Every relation of a warehouse (slices excepted) with its rows, columns ordered by name. */
export async function snapshotWarehouse(file: string, skipRows: ReadonlySet<string> = new Set()): Promise<Map<string, RelationSnapshot>> {
  const inst = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const c = await inst.connect();
  const out = new Map<string, RelationSnapshot>();
  try {
    const rels = await c.runAndReadAll(
      `SELECT schema_name, table_name, 'table' FROM duckdb_tables() WHERE database_name = current_database()
       UNION ALL SELECT schema_name, view_name, 'view' FROM duckdb_views() WHERE NOT internal AND database_name = current_database()`,
    );
    for (const [schema, name, kind] of rels.getRows() as [string, string, 'table' | 'view'][]) {
      // Internal relations: slices of shared outputs, key-scoped change rows, hidden bodies of schema-qualified views.
      if (INTERNAL_SCHEMAS.includes(schema) || name.startsWith('__view__')) continue;
      const key = schema === 'main' ? name : `${schema}.${name}`;
      const snap: RelationSnapshot = { kind };
      out.set(key, snap);
      if (skipRows.has(key)) continue;
      try {
        const r = await c.runAndReadAll(`SELECT * FROM "${schema}"."${name}"`);
        const names = r.columnNames();
        const types = r.columnTypes().map((t) => t.toString());
        const order = names.map((n, i) => [n, i] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        snap.columns = order.map(([n, i]) => `${n} ${types[i]}`);
        snap.rows = r
          .getRowsJson()
          .map((row) => JSON.stringify(order.map(([, i]) => row[i])))
          .sort();
      } catch (e) {
        snap.error = String(e instanceof Error ? e.message : e).split('\n')[0];
      }
    }
  } finally {
    c.closeSync();
    inst.closeSync();
  }
  return out;
}

function multisetDiff(a: string[], b: string[]): { onlyA: string[]; onlyB: string[] } {
  const counts = new Map<string, number>();
  for (const x of a) counts.set(x, (counts.get(x) ?? 0) + 1);
  const onlyB: string[] = [];
  for (const x of b) {
    const n = counts.get(x) ?? 0;
    if (n > 0) counts.set(x, n - 1);
    else onlyB.push(x);
  }
  const onlyA = [...counts].flatMap(([x, n]) => Array<string>(n).fill(x));
  return { onlyA, onlyB };
}

export type DiffKind =
  | 'rows'
  | 'schema'
  | 'kind'
  | 'missing'
  | 'extra'
  | 'broken'
  | 'minimality'
  | 'tokens'
  | 'noop_rerun'
  | 'incremental_failed'
  | 'crash'
  | 'clean_failed';

export interface Diff {
  seed: number;
  step: number;
  action: string;
  kind: DiffKind;
  output?: string;
  detail: string;
}

/** Compares the incremental warehouse with the clean one: what differs, per relation. */
export function compareSnapshots(
  inc: Map<string, RelationSnapshot>,
  clean: Map<string, RelationSnapshot>,
): { kind: DiffKind; output: string; detail: string }[] {
  const diffs: { kind: DiffKind; output: string; detail: string }[] = [];
  for (const [name, c] of clean) {
    const i = inc.get(name);
    if (!i) {
      diffs.push({ kind: 'missing', output: name, detail: `missing from the incremental warehouse (clean has a ${c.kind})` });
      continue;
    }
    if (i.kind !== c.kind) diffs.push({ kind: 'kind', output: name, detail: `incremental has a ${i.kind}, clean a ${c.kind}` });
    if (i.error !== undefined || c.error !== undefined) {
      if (i.error !== c.error)
        diffs.push({ kind: 'broken', output: name, detail: `incremental: ${i.error ?? 'ok'}; clean: ${c.error ?? 'ok'}` });
      continue;
    }
    if (JSON.stringify(i.columns) !== JSON.stringify(c.columns)) {
      diffs.push({
        kind: 'schema',
        output: name,
        detail: `incremental columns [${i.columns?.join(', ')}], clean [${c.columns?.join(', ')}]`,
      });
      continue;
    }
    if (i.rows && c.rows) {
      const { onlyA, onlyB } = multisetDiff(i.rows, c.rows);
      if (onlyA.length + onlyB.length > 0) {
        diffs.push({
          kind: 'rows',
          output: name,
          detail:
            `${i.rows.length} rows incremental vs ${c.rows.length} clean over (${c.columns?.map((x) => x.split(' ')[0]).join(', ')}); ` +
            `only incremental: ${onlyA.length} ${onlyA.slice(0, 3).join(' ')}; only clean: ${onlyB.length} ${onlyB.slice(0, 3).join(' ')}`,
        });
      }
    }
  }
  for (const [name, i] of inc)
    if (!clean.has(name)) diffs.push({ kind: 'extra', output: name, detail: `stale ${i.kind} left in the incremental warehouse` });
  return diffs;
}

// ───────────────────────────────────────────── scenarios ─────────────────────────────────────────────

export interface ScenarioOptions {
  seed: number;
  steps: number;
  /** Keep the temp directories (always kept when a diff is found). */
  keep?: boolean;
  /** Check that a second run with no change builds nothing (default true). */
  noopRerun?: boolean;
  /** Called after each step's incremental run (the harness's own tests corrupt the state here). */
  afterIncrementalRun?: (dir: string, step: number) => Promise<void>;
  log?: (line: string) => void;
  /** The keyed profile of the generator (generateModel's `keyed`). */
  keyed?: boolean;
}

export interface StepLog {
  step: number;
  kind: StepKind | 'initial';
  /** The step asserted that no task builds (formatting, unread column, same rows). */
  expectNoBuild: boolean;
  action: string;
  built: string[];
  /** The built tasks that refreshed by key (`refresh.mode: 'keys'`). */
  keyed: string[];
  /** Why built tasks with a proven key ran in full (reason kinds). */
  full: string[];
  ms: number;
}

export interface ScenarioResult {
  seed: number;
  tasks: number;
  sources: number;
  stepsRun: number;
  diffs: Diff[];
  log: StepLog[];
  /** The incremental project directory (removed unless kept). */
  dir: string;
  kept: boolean;
  ms: number;
}

async function safeRun(dir: string): Promise<{ out?: RunOutcome; error?: string }> {
  try {
    return { out: await run({ configPath: CONFIG_FILE, cwd: dir }) };
  } catch (e) {
    return { error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
}

const failures = (o: RunOutcome): string[] => [
  ...o.tasks
    .filter((t) => t.status === 'failed' || t.status === 'blocked')
    .map((t) => `${t.task} ${t.status}: ${'error' in t && t.error ? t.error : t.reason ? reasonText(t.reason) : ''}`),
  ...o.errors.map((e) => `${e.code}: ${e.message}`),
];
const built = (o: RunOutcome): string[] => o.tasks.filter((t) => t.status === 'built').map((t) => t.task);
const causesOf = (o: RunOutcome): string =>
  o.tasks
    .filter((t) => t.status === 'built')
    .map((t) => `${t.task}←${t.causes.map((c) => c.kind + ('input' in c ? `(${c.input}[${c.columns.join(',')}])` : '')).join('+')}`)
    .join('; ');

/** Builds a copy of the incremental project (config, tasks, data; no state) from scratch. */
async function cleanBuild(incDir: string): Promise<{ dir: string; out?: RunOutcome; error?: string }> {
  const dir = createTempTree({}, { prefix: 'relspec-diff-clean-' }).root;
  for (const p of [CONFIG_FILE, 'tasks', 'data']) cpSync(path.join(incDir, p), path.join(dir, p), { recursive: true });
  return { dir, ...(await safeRun(dir)) };
}

export async function runScenario(opts: ScenarioOptions): Promise<ScenarioResult> {
  const t0 = performance.now();
  const { seed } = opts;
  const r = new Rand(seed);
  const m = generateModel(r, { keyed: opts.keyed ?? false });
  // Kept when a diff is found (or with `keep`), for a look at the project; deleted at the end otherwise.
  const dir = createTempTree({}, { prefix: `relspec-diff-${seed}-` }).root;
  const diffs: Diff[] = [];
  const log: StepLog[] = [];
  const sourceNames = new Set(m.sources.map((s) => s.name));
  let stepsRun = 0;
  const say = opts.log ?? (() => {});
  await writeProject(dir, m);

  // Step 0: the first build is itself a clean build; it must succeed (the generator writes valid SQL).
  const first = await safeRun(dir);
  const add = (step: number, action: string, kind: DiffKind, detail: string, output?: string) =>
    diffs.push({ seed, step, action, kind, detail, ...(output ? { output } : {}) });
  if (first.error) add(0, 'initial build', 'crash', first.error);
  else if (failures(first.out!).length > 0) add(0, 'initial build', 'clean_failed', failures(first.out!).join(' | '));
  log.push({
    step: 0,
    kind: 'initial',
    expectNoBuild: false,
    action: 'initial build',
    built: first.out ? built(first.out) : [],
    keyed: first.out ? keyedBuilt(first.out) : [],
    full: first.out ? fullReasons(first.out) : [],
    ms: performance.now() - t0,
  });

  for (let step = 1; step <= opts.steps && diffs.length === 0; step++) {
    const ts = performance.now();
    const action = await applyRandomStep(r, m, dir);
    say(`seed ${seed} step ${step}: ${action.description}`);
    stepsRun = step;
    const inc = await safeRun(dir);
    log.push({
      step,
      kind: action.kind,
      expectNoBuild: action.expectNoBuild,
      action: action.description,
      built: inc.out ? built(inc.out) : [],
      keyed: inc.out ? keyedBuilt(inc.out) : [],
      full: inc.out ? fullReasons(inc.out) : [],
      ms: 0,
    });
    if (inc.out) say(`  built [${built(inc.out).join(', ')}], by key [${keyedBuilt(inc.out).join(', ')}]; ${refreshNotes(inc.out)}`);
    const clean = await cleanBuild(dir);
    try {
      if (inc.error) {
        add(step, action.description, 'crash', inc.error);
        break;
      }
      if (clean.error || failures(clean.out!).length > 0) {
        add(step, action.description, 'clean_failed', clean.error ?? failures(clean.out!).join(' | '));
        break;
      }
      const incOut = inc.out!;
      await opts.afterIncrementalRun?.(dir, step);
      if (failures(incOut).length > 0) add(step, action.description, 'incremental_failed', failures(incOut).join(' | '));
      if (action.expectNoBuild && built(incOut).length > 0) add(step, action.description, 'minimality', `built ${causesOf(incOut)}`);
      const [si, sc] = [
        await snapshotWarehouse(path.join(dir, 'state/warehouse.duckdb'), sourceNames),
        await snapshotWarehouse(path.join(clean.dir, 'state/warehouse.duckdb'), sourceNames),
      ];
      for (const d of compareSnapshots(si, sc)) add(step, action.description, d.kind, d.detail, d.output);
      for (const d of compareStates(snapshotState(dir), snapshotState(clean.dir)))
        add(step, action.description, 'tokens', d.detail, d.output);
      if (opts.noopRerun ?? true) {
        const again = await safeRun(dir);
        if (again.error) add(step, action.description, 'crash', `second run: ${again.error}`);
        else if (built(again.out!).length > 0)
          add(step, action.description, 'noop_rerun', `a second run with no change built ${causesOf(again.out!)}`);
      }
    } finally {
      rmSync(clean.dir, { recursive: true, force: true });
      log[log.length - 1]!.ms = performance.now() - ts;
    }
  }
  const kept = (opts.keep ?? false) || diffs.length > 0;
  if (!kept) rmSync(dir, { recursive: true, force: true });
  return { seed, tasks: m.tasks.length, sources: m.sources.length, stepsRun, diffs, log, dir, kept, ms: performance.now() - t0 };
}

export function formatDiff(d: Diff): string {
  return `seed=${d.seed} step=${d.step} [${d.kind}]${d.output ? ` output ${d.output}` : ''}: ${d.detail}\n    after: ${d.action}`;
}

export interface DifferentialOptions {
  scenarios: number;
  steps: number;
  seed: number;
  /** Scenarios run concurrently (default 1). */
  jobs?: number;
  keep?: boolean;
  noopRerun?: boolean;
  keyed?: boolean;
  onScenario?: (r: ScenarioResult, done: number) => void;
  log?: (line: string) => void;
}

export interface DifferentialSummary {
  scenarios: number;
  steps: number;
  stepsRun: number;
  /** Steps run, by kind (a batch counts once as `batch`). */
  kinds: Record<string, number>;
  /** Steps that asserted that no task builds. */
  noBuildChecks: number;
  /** Task builds in incremental runs after the initial build. */
  builds: number;
  /** Of those, the builds that refreshed by key. */
  keyedBuilds: number;
  /** Builds of tasks with a proven key that ran in full, by reason kind. */
  fullReasons: Record<string, number>;
  diffs: Diff[];
  results: ScenarioResult[];
  ms: number;
}

/** Scenario i runs with seed `seed + i`: reproduce one with `--seed <its seed> --scenarios 1`. */
export async function runDifferential(opts: DifferentialOptions): Promise<DifferentialSummary> {
  const t0 = performance.now();
  const results: ScenarioResult[] = [];
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < opts.scenarios) {
      const i = nextIndex++;
      const res = await runScenario({
        seed: opts.seed + i,
        steps: opts.steps,
        keep: opts.keep,
        noopRerun: opts.noopRerun,
        log: opts.log,
        keyed: opts.keyed,
      });
      results.push(res);
      opts.onScenario?.(res, results.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs ?? 1, opts.scenarios)) }, worker));
  results.sort((a, b) => a.seed - b.seed);
  return {
    scenarios: opts.scenarios,
    steps: opts.steps,
    stepsRun: results.reduce((s, r) => s + r.stepsRun, 0),
    kinds: results
      .flatMap((r) => r.log.filter((l) => l.step > 0))
      .reduce<Record<string, number>>((acc, l) => ({ ...acc, [l.kind]: (acc[l.kind] ?? 0) + 1 }), {}),
    noBuildChecks: results.reduce((s, r) => s + r.log.filter((l) => l.step > 0 && l.expectNoBuild).length, 0),
    builds: results.reduce((s, r) => s + r.log.filter((l) => l.step > 0).reduce((n, l) => n + l.built.length, 0), 0),
    keyedBuilds: results.reduce((s, r) => s + r.log.reduce((n, l) => n + l.keyed.length, 0), 0),
    fullReasons: results
      .flatMap((r) => r.log.filter((l) => l.step > 0).flatMap((l) => l.full))
      .reduce<Record<string, number>>((acc, k) => ({ ...acc, [k]: (acc[k] ?? 0) + 1 }), {}),
    diffs: results.flatMap((r) => r.diffs),
    results,
    ms: performance.now() - t0,
  };
}
