/**
 * Key-scoped refresh (issue 15 part 3): a Delta source of `rows` rows over `keys` keys and a chain of
 * three key-scoped tasks (per-key projection → GROUP BY key → join + window by key). A new Delta
 * commit rewrites the rows of some keys; the measure is the task time (the sum of the three tasks'
 * durations in the run's result, what `relspec run --json` prints) refreshed by key (the default
 * engine.keyThreshold) against in full (`keyThreshold: 0`), in the same process, alternating which
 * goes first. After the keyed refreshes every output must equal a clean build of a copy of the files
 * (row count and the sum of row hashes). Then the threshold calibration: the same at 0.1%…50% of the
 * keys changed (keyThreshold 1 forces the keyed path), to see where a full refresh becomes cheaper.
 *
 *   node --import tsx bench/keyed.ts [--keyed-rows N] [--reps N] [--no-calibration]
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTable, writeTable } from '../src/delta/write/index.js';
import { withMemoryDuck } from '../src/engine/memory.js';
import { Warehouse } from '../src/engine/warehouse.js';
import { run, type RunOutcome } from '../src/incremental/run.js';
import type { Refresh } from '../src/records/types.js';
import { printTable, type Row } from './report.js';

export const TASKS = ['filtered', 'per_key', 'top3'] as const;
const TASK_SQL: Record<(typeof TASKS)[number], string> = {
  filtered: 'select key, seq, amount * 2 as amount2, kind from events where amount >= 1',
  per_key: 'select key, count(*) as n, sum(amount2) as total, max(seq) as last_seq from filtered group by key',
  top3: `select f.key, f.seq, f.amount2, p.total,
       row_number() over (partition by f.key order by f.amount2 desc, f.seq) as rn
from filtered f join per_key p on p.key = f.key
qualify rn <= 3`,
};
/** Keys updated per change: a stride coprime with the key count spreads them over every file. */
const STRIDE = 7919;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const size = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

export interface KeyedBenchOptions {
  rows: number;
  keys: number;
  /** Source files (one writer append each, keys contiguous within a file). */
  files: number;
  reps: number;
  /** Fractions of keys changed for the calibration; empty: none. */
  fractions: readonly number[];
}

/** One project: the source table, the tasks, the config whose keyThreshold the bench sets. */
export class ChainProject {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'relspec-bench-keyed-'));
  private salt = 0;
  constructor(readonly o: KeyedBenchOptions) {
    mkdirSync(path.join(this.dir, 'tasks'));
    for (const t of TASKS) writeFileSync(path.join(this.dir, 'tasks', `${t}.sql`), `${TASK_SQL[t]}\n`);
    this.threshold(undefined);
  }
  get table() {
    return path.join(this.dir, 'data/events');
  }
  /** Rows of the keys selected by `keysSql` (column k); `salt` changes every amount. */
  private rowsSql(keysSql: string, salt: number) {
    const per = this.o.rows / this.o.keys;
    return `SELECT k::BIGINT AS key, (k * ${per} + j)::BIGINT AS seq, ((k * ${per} + j) * 7919 + ${salt}) % 1000 AS amount,
              ['a', 'b', 'c', 'd', 'e'][(k + j) % 5 + 1] AS kind
            FROM (${keysSql}) ks, range(${per}) r(j)`;
  }
  async create() {
    const perFile = this.o.keys / this.o.files;
    await withMemoryDuck(async (c) => {
      await createTable(c, this.table, {
        schema: [
          { name: 'key', type: 'BIGINT' },
          { name: 'seq', type: 'BIGINT' },
          { name: 'amount', type: 'BIGINT' },
          { name: 'kind', type: 'VARCHAR' },
        ],
      });
      for (let f = 0; f < this.o.files; f++) {
        const keys = `SELECT range AS k FROM range(${f * perFile}, ${(f + 1) * perFile})`;
        await writeTable(c, this.table, { mode: 'append', sql: this.rowsSql(keys, 0) });
      }
    });
  }
  /** A new commit rewriting the rows of `n` keys spread over the key space. */
  async update(n: number) {
    const salt = ++this.salt;
    const keys = `SELECT (range * ${STRIDE} + ${salt * 13}) % ${this.o.keys} AS k FROM range(${n})`;
    await withMemoryDuck((c) => writeTable(c, this.table, { mode: 'replace', sql: this.rowsSql(keys, salt), keys: ['key'] }));
  }
  threshold(t: number | undefined) {
    const engine = t === undefined ? '' : `, engine: { keyThreshold: ${t} }`;
    writeFileSync(
      path.join(this.dir, 'watch.config.ts'),
      `export default { sources: { events: { format: 'delta', path: 'data/events' } }${engine} };\n`,
    );
  }
  async run(dir = this.dir): Promise<RunOutcome> {
    const o = await run({ configPath: 'watch.config.ts', cwd: dir });
    const bad = o.tasks.find((t) => t.status === 'failed');
    if (o.status === 'failed' || bad) throw new Error(`keyed bench run failed: ${bad?.error ?? JSON.stringify(o.errors)}`);
    return o;
  }
  cleanup() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

interface Measured {
  ms: number;
  refresh: (Refresh | undefined)[];
  /** Rows recomputed by key-mode tasks. */
  rows: number;
}

const measured = (o: RunOutcome): Measured => {
  const tasks = TASKS.map((n) => o.tasks.find((t) => t.task === n));
  if (tasks.some((t) => t?.status !== 'built'))
    throw new Error(`keyed bench: not every task built (${tasks.map((t) => t?.status ?? 'absent').join(', ')})`);
  return {
    ms: tasks.reduce((s, t) => s + t!.durationMs, 0),
    refresh: tasks.map((t) => t!.refresh),
    rows: tasks.reduce((s, t) => s + (t!.refresh?.mode === 'keys' ? (t!.refresh.rows ?? 0) : 0), 0),
  };
};

/** Every output's row count and sum of row hashes, read from a project's warehouse. */
async function outputHashes(dir: string): Promise<string[]> {
  const wh = await Warehouse.open(path.join(dir, 'state'));
  try {
    const out: string[] = [];
    for (const t of TASKS) {
      const r = await wh.conn.runAndReadAll(`SELECT count(*)::VARCHAR, sum(hash(t))::VARCHAR FROM ${t} t`);
      out.push(`${t}: ${r.getRows()[0]!.join(' ')}`);
    }
    return out;
  } finally {
    wh.close();
  }
}

/** How many outputs equal a clean build of a copy of the files (no state). */
async function equalToClean(p: ChainProject): Promise<number> {
  const clean = mkdtempSync(path.join(tmpdir(), 'relspec-bench-keyed-clean-'));
  try {
    cpSync(p.dir, clean, { recursive: true, filter: (src) => !src.startsWith(path.join(p.dir, 'state')) });
    await p.run(clean);
    const [a, b] = [await outputHashes(p.dir), await outputHashes(clean)];
    return a.filter((x, i) => x === b[i]).length;
  } finally {
    rmSync(clean, { recursive: true, force: true });
  }
}

/** An update of `n` keys refreshed at `threshold` (undefined: the default), with the expected mode checked. */
export async function refreshAt(p: ChainProject, n: number, threshold: number | undefined, mode: 'keys' | 'full'): Promise<Measured> {
  p.threshold(threshold);
  await p.update(n);
  const m = measured(await p.run());
  const wrong = m.refresh.findIndex((r) => r?.mode !== mode);
  if (wrong >= 0) throw new Error(`keyed bench: ${TASKS[wrong]} refreshed ${JSON.stringify(m.refresh[wrong])}, expected ${mode}`);
  return m;
}

export async function benchKeyedRefresh(log: (s: string) => void, o: KeyedBenchOptions): Promise<Row[]> {
  const p = new ChainProject(o);
  try {
    let t = performance.now();
    await p.create();
    log(
      `  source: ${size(o.rows)} rows over ${size(o.keys)} keys in ${o.files} files, written in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    t = performance.now();
    const cold = measured(await p.run());
    log(`  cold build ${((performance.now() - t) / 1000).toFixed(1)} s (tasks ${cold.ms.toFixed(0)} ms)`);
    const keyed: Measured[] = [];
    const full: Measured[] = [];
    for (let i = 0; i < o.reps; i++) {
      for (const which of i % 2 === 0 ? (['keys', 'full'] as const) : (['full', 'keys'] as const)) {
        const m = await refreshAt(p, 10, which === 'keys' ? undefined : 0, which);
        (which === 'keys' ? keyed : full).push(m);
        log(
          `  rep ${i + 1}: 10 keys, ${which === 'keys' ? 'by key' : 'in full'}: ${m.ms.toFixed(1)} ms (${m.refresh.map((r) => r?.mode).join(', ')})`,
        );
      }
    }
    // The last refresh by key, then the check: every output equals a clean build.
    const last = await refreshAt(p, 10, undefined, 'keys');
    keyed.push(last);
    const equal = await equalToClean(p);
    log(`  after a keyed refresh: ${equal} of ${TASKS.length} outputs equal a clean build`);
    const [k, f] = [median(keyed.map((m) => m.ms)), median(full.map((m) => m.ms))];
    const rows: Row[] = [
      {
        metric: `key-scoped refresh, 10 of ${size(o.keys)} keys updated in a ${size(o.rows)}-row Delta source, 3-task chain: task time in full / by key`,
        value: f / k,
        unit: '×',
        goal: '≥ 100×',
        ok: f / k >= 100,
        anchor: `sum of the 3 tasks' durations; ${last.rows} rows recomputed by key`,
      },
      { metric: `  by key (default engine.keyThreshold), median of ${keyed.length}`, value: k, unit: 'ms' },
      { metric: `  in full (engine.keyThreshold 0), median of ${full.length}`, value: f, unit: 'ms' },
      { metric: '  cold build, sum of the 3 tasks', value: cold.ms, unit: 'ms' },
      {
        metric: '  outputs equal to a clean build after the keyed refreshes (count + sum of row hashes)',
        value: equal,
        unit: `of ${TASKS.length}`,
        goal: `${TASKS.length} of ${TASKS.length}`,
        ok: equal === TASKS.length,
      },
    ];
    if (o.fractions.length > 0) rows.push(...(await calibrate(p, log)));
    return rows;
  } finally {
    p.cleanup();
  }
}

/** Keyed (keyThreshold 1) against full (0) at each fraction of keys changed; one of each, alternating. */
async function calibrate(p: ChainProject, log: (s: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  let crossover: number | undefined;
  for (const [i, fr] of p.o.fractions.entries()) {
    const n = Math.max(1, Math.round(fr * p.o.keys));
    const at: Record<'keys' | 'full', number> = { keys: 0, full: 0 };
    for (const which of i % 2 === 0 ? (['keys', 'full'] as const) : (['full', 'keys'] as const))
      at[which] = (await refreshAt(p, n, which === 'keys' ? 1 : 0, which)).ms;
    log(`  calibration: ${pct(fr)} of keys (${n}): by key ${at.keys.toFixed(0)} ms, in full ${at.full.toFixed(0)} ms`);
    if (crossover === undefined && at.keys >= at.full) crossover = fr;
    rows.push({
      metric: `  calibration: ${pct(fr)} of keys changed (${n}): task time by key / in full`,
      value: at.keys / at.full,
      unit: '×',
      anchor: `${at.keys.toFixed(0)} vs ${at.full.toFixed(0)} ms`,
    });
  }
  p.threshold(undefined);
  const equal = await equalToClean(p);
  rows.unshift({
    metric: `key-scoped refresh threshold calibration (${size(p.o.rows)} rows, ${size(p.o.keys)} keys): smallest fraction of keys changed where in full is as fast`,
    value: crossover === undefined ? 100 : crossover * 100,
    unit: '%',
    anchor: crossover === undefined ? `by key stayed faster up to ${pct(p.o.fractions.at(-1)!)}` : 'default engine.keyThreshold 0.3',
  });
  rows.push({
    metric: '  outputs equal to a clean build after the calibration (count + sum of row hashes)',
    value: equal,
    unit: `of ${TASKS.length}`,
    goal: `${TASKS.length} of ${TASKS.length}`,
    ok: equal === TASKS.length,
  });
  return rows;
}

const pct = (x: number) => `${+(x * 100).toFixed(1)}%`;

export const KEYED_FRACTIONS = [0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5] as const;

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, dflt: number) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const rows = await benchKeyedRefresh((s) => process.stderr.write(s + '\n'), {
    rows: arg('--keyed-rows', 10_000_000),
    keys: arg('--keyed-keys', 100_000),
    files: arg('--keyed-files', 20),
    reps: arg('--reps', 3),
    fractions: process.argv.includes('--no-calibration') ? [] : KEYED_FRACTIONS,
  });
  process.stdout.write(printTable(rows) + '\n');
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(rows) + '\n');
}
