import type { TaskSpec } from '../catalog/types.js';
import { withContractFingerprint } from '../catalog/contract.js';
import { RelspecError, errorMessage } from '../errors.js';
import type { LineageCache } from './cache.js';
import { requiredColumns, scannedInputs } from './columns.js';
import { planColumnsMany } from './plan.js';
import type { Scratch } from './duck.js';
import { parseMany, sha, type ParseResult } from './parse.js';
import type { UntrackedCall } from './fileReads.js';
import { absentFileReads, resolveFileReads, type FileRead } from './taskFiles.js';
import { DatasetNames, resolveInputs } from './resolve.js';
import type { Column, ColumnLineage, LineageBlock } from './types.js';
import { createStubs, unionSchema, describeAll, filesKey, timed, pool } from './inferSteps.js';
import { proveKeys, serializePlans, type KeyProof } from './keys.js';

export interface TaskParse {
  task: string;
  output: string;
  /** Plan fingerprint: parse tree without locations + the header options that change the result. */
  fingerprint: string;
  /** Input datasets, sorted. */
  reads: string[];
  notes: string[];
  opaque: boolean;
  /** Files read through table functions with literal paths (resolved against the config's directory). */
  files: FileRead[];
  /** The SQL lineage and execution run when it reads files: literals made absolute (lineage/taskFiles.ts). */
  execSql?: string;
  /** File reads whose paths are not literals: the task is untracked. */
  untracked: UntrackedCall[];
  /** Non-deterministic functions it calls. */
  volatile: string[];
}

export interface TaskLineage extends TaskParse, ColumnLineage {}

export interface LineageStats {
  tasks: number;
  parseCacheHits: number;
  columnCacheHits: number;
  explained: number;
  /** Milliseconds inside DuckDB per phase (cold runs only spend time here). */
  ms: { parse: number; stubs: number; describe: number; plan: number; explain: number; union: number };
}

export interface LineageResult {
  /** Every task whose SQL parsed and whose inputs all resolved. */
  parsed: Map<string, TaskParse>;
  /** Tasks with full column lineage. */
  lineage: Map<string, TaskLineage>;
  /** Tasks without column lineage and why (an upstream error, a cycle). */
  blocked: Map<string, LineageBlock>;
  /** Known dataset schemas: sources and outputs whose producers all have lineage. */
  schemas: Map<string, Column[]>;
  errors: RelspecError[];
  stats: LineageStats;
}

export interface LineageOptions {
  scratch: Scratch;
  tasks: readonly TaskSpec[];
  /** Declared source names (a source without a readable schema still resolves references). */
  sourceNames: readonly string[];
  sourceSchemas: ReadonlyMap<string, Column[]>;
  cache?: LineageCache;
  /** DuckDB connections planning at once (EXPLAIN fallback). */
  concurrency?: number;
  /**
   * How required columns are read from DuckDB's planner: 'plan' (default) batches
   * json_serialize_plan over many tasks and falls back to EXPLAIN per task where it cannot;
   * 'explain' runs EXPLAIN (FORMAT JSON) for every task. Both must agree (test/lineage/corpus).
   */
  strategy?: 'plan' | 'explain';
  /** The config's directory: relative paths in table functions resolve against it (default: cwd). */
  root?: string;
  /** Directories a glob inside a task never matches (the state and output directories). */
  exclude?: readonly string[];
}

/** Bumped when ParseResult gains fields: a cached parse without them must not be read. */
const PARSE_VERSION = 'facts-1';
/** Bumped when ColumnLineage gains fields or the key proof (lineage/key*.ts) decides differently: keys-2, NOT IN. */
const COLUMNS_VERSION = 'keys-2';

export const schemaFingerprint = (cols: readonly Column[]): string =>
  sha(cols.map((c) => `${c.name}\u0001${c.type}`).join('\u0002')).slice(0, 16);

/** Phase 1: parse every task (one DuckDB call for all uncached ones) and resolve its inputs. */
export async function parseTasks(opts: LineageOptions, stats: LineageStats) {
  const { scratch, tasks, cache } = opts;
  const sqlHashes = tasks.map((t) => sha(`${PARSE_VERSION}\0${t.sql}`));
  const results: (ParseResult | undefined)[] = sqlHashes.map((h) => cache?.getParse(h));
  const missing = results.flatMap((r, i) => (r === undefined ? [i] : []));
  stats.parseCacheHits = tasks.length - missing.length;
  const fresh = await timed(stats, 'parse', () =>
    parseMany(
      scratch,
      missing.map((i) => tasks[i]!.sql),
    ),
  );
  missing.forEach((i, k) => {
    results[i] = fresh[k]!;
    cache?.putParse(sqlHashes[i]!, fresh[k]!);
  });

  const outputs = [...new Set(tasks.map((t) => t.options.output))];
  const names = new DatasetNames([...new Set([...opts.sourceNames, ...outputs])].sort());
  const parsed = new Map<string, TaskParse>();
  const errors: RelspecError[] = [];
  for (const [i, task] of tasks.entries()) {
    const r = results[i]!;
    if (!r.ok) {
      const fix =
        r.kind === 'syntax'
          ? 'fix the SQL (DuckDB dialect)'
          : 'a task body is exactly one query (SELECT, WITH, FROM-first, VALUES, set operations); put DDL elsewhere';
      errors.push(new RelspecError('E_TASK_SQL', r.message.split('\n')[0]!, { file: task.file, fix }));
      continue;
    }
    const { inputs, errors: refErrors } = resolveInputs(task, r, names);
    if (refErrors.length > 0) {
      errors.push(...refErrors);
      continue;
    }
    const files = await resolveFileReads(task.sql, r.facts.fileCalls, opts.root ?? process.cwd(), opts.exclude ?? []);
    const { materialize, output } = task.options;
    parsed.set(task.name, {
      task: task.name,
      output,
      // A contract edit is a plan change too (catalog/contract.ts); a task without one keeps its fingerprint.
      fingerprint: withContractFingerprint(sha(`${r.treeHash}\0materialize=${materialize}\0output=${output}`), task.options)!,
      reads: inputs,
      notes: [...r.notes],
      opaque: r.opaque,
      files: files.reads,
      ...(files.execSql !== undefined ? { execSql: files.execSql } : {}),
      untracked: r.facts.untracked,
      volatile: r.facts.volatile,
    });
  }
  return { parsed, errors };
}

/** Phase 2: column lineage and output schemas, in dependency order over stub tables. */
export async function inferColumns(
  opts: LineageOptions,
  parsed: ReadonlyMap<string, TaskParse>,
  stats: LineageStats,
): Promise<Pick<LineageResult, 'lineage' | 'blocked' | 'schemas' | 'errors'>> {
  const { scratch, cache } = opts;
  const specs = new Map(opts.tasks.map((t) => [t.name, t]));
  const schemas = new Map<string, Column[]>(opts.sourceSchemas);
  const producers = new Map<string, string[]>();
  for (const t of opts.tasks) producers.set(t.options.output, [...(producers.get(t.options.output) ?? []), t.name]);
  const lineage = new Map<string, TaskLineage>();
  const blocked = new Map<string, LineageBlock>();
  const errors: RelspecError[] = [];
  const failed = new Set<string>([...specs.keys()].filter((n) => !parsed.has(n)));
  const stubbed = new Set<string>();
  const conns = [scratch.conn];
  for (let i = 1; i < (opts.concurrency ?? 2); i++) conns.push(await scratch.connect());

  // Kahn's algorithm over datasets: a task is ready once every input has a schema. Re-filtering the
  // whole pending list each round was O(tasks × generations): 100k tasks in 1,237 rounds.
  const order = new Map([...parsed.values()].map((p, i) => [p, i]));
  const missing = new Map<TaskParse, number>();
  const waiting = new Map<string, TaskParse[]>();
  let ready: TaskParse[] = [];
  for (const p of parsed.values()) {
    const need = new Set(p.reads.filter((ds) => !schemas.has(ds)));
    missing.set(p, need.size);
    if (need.size === 0) ready.push(p);
    for (const ds of need) waiting.set(ds, [...(waiting.get(ds) ?? []), p]);
  }
  while (ready.length > 0) {
    const next: TaskParse[] = [];
    const resolved = (ds: string) => {
      for (const p of waiting.get(ds) ?? []) {
        const n = missing.get(p)! - 1;
        missing.set(p, n);
        if (n === 0) next.push(p);
      }
      waiting.delete(ds);
    };

    const work: { p: TaskParse; key: string }[] = [];
    for (const p of ready) {
      // The declared @key is not in the plan fingerprint (it changes how a task runs, not its result), but its proof is cached here.
      const declared = `${COLUMNS_VERSION}\0key=${specs.get(p.task)!.options.key?.join('\u0001') ?? ''}`;
      const key = sha(
        [p.fingerprint, declared, ...p.reads.map((ds) => `${ds}:${schemaFingerprint(schemas.get(ds)!)}`), ...(await filesKey(p))].join(
          '\0',
        ),
      );
      const hit = cache?.getColumns(key);
      if (hit) {
        stats.columnCacheHits++;
        if (p.opaque) p.reads = Object.keys(hit.inputs).sort();
        lineage.set(p.task, { ...p, ...hit, notes: [...p.notes, ...hit.notes] });
      } else work.push({ p, key });
    }
    const needed = new Set(work.flatMap((w) => w.p.reads).filter((ds) => !stubbed.has(ds)));
    await timed(stats, 'stubs', () =>
      createStubs(
        scratch.conn,
        [...needed].sort().map((ds) => [ds, schemas.get(ds)!]),
      ),
    );
    needed.forEach((ds) => stubbed.add(ds));

    // Binding for output schemas and planning for required columns are independent: run them on two
    // connections at once (one per core). A task that fails to bind fails both; its plan is ignored.
    const planConn = conns[1] ?? scratch.conn;
    const sqlOf = (p: TaskParse) => p.execSql ?? specs.get(p.task)!.sql;
    const plannable = work.filter((w) => !w.p.opaque);
    const [described, [plannedAll, keyPlans]] = await Promise.all([
      timed(stats, 'describe', () =>
        describeAll(
          scratch.conn,
          work.map(({ p }) => p),
          sqlOf,
        ),
      ),
      timed(stats, 'plan', async () => {
        const items = plannable.map((w) => ({ sql: sqlOf(w.p), inputs: new Map(w.p.reads.map((ds) => [ds, schemas.get(ds)!] as const)) }));
        const cols = opts.strategy === 'explain' ? [] : await planColumnsMany(planConn, items);
        // The key proof reads the unoptimized plan: a second batched call on the same connection.
        return [
          cols,
          await serializePlans(
            planConn,
            items.map((x) => x.sql),
          ),
        ] as const;
      }),
    ]);
    const planOf = new Map(plannable.map((w, i) => [w.p.task, plannedAll[i]]));
    const keyPlanOf = new Map(plannable.map((w, i) => [w.p.task, keyPlans[i]!]));
    const bound = work.flatMap((w, i) => {
      const d = described[i]!;
      // A file it reads is gone (or a glob matches nothing): say which, not DuckDB's bind error; and a
      // glob matching only relspec's own files fails even though DuckDB would happily read them.
      const absent = absentFileReads(w.p.files);
      if (absent.length > 0) {
        failed.add(w.p.task);
        const what = absent
          .map(
            (f) =>
              `${f.fn}('${f.pattern}') (${!f.glob ? `${f.abs} does not exist` : f.excluded ? `matches only relspec's own files (${f.excluded}, under the state or outputs directory)` : 'matches no files'})`,
          )
          .join(', ');
        errors.push(
          new RelspecError('E_TASK_FILE', `task ${w.p.task} reads ${what}`, {
            file: specs.get(w.p.task)!.file,
            fix: "create the file, or fix the path (relative paths are relative to the config's directory)",
          }),
        );
        return [];
      }
      if (d instanceof Error) {
        const spec = specs.get(w.p.task)!;
        failed.add(w.p.task);
        errors.push(
          new RelspecError('E_TASK_SQL', `task ${w.p.task} does not bind: ${d.message.split('\n')[0]}`, {
            file: spec.file,
            fix: 'fix the SQL against its inputs’ columns (see `relspec lineage --json` for their schemas)',
          }),
        );
        return [];
      }
      return [{ ...w, outputSchema: d, inputs: new Map(w.p.reads.map((ds) => [ds, schemas.get(ds)!] as const)) }];
    });
    const viaExplain: typeof bound = [];
    const done = (b: (typeof bound)[number], cols: Pick<ColumnLineage, 'inputs' | 'notes'>, extra: string[] = []) => {
      const plan = keyPlanOf.get(b.p.task) ?? { error: 'dynamic PIVOT' };
      const declared = specs.get(b.p.task)!.options.key;
      const keys: KeyProof = proveKeys(
        plan,
        b.inputs,
        b.outputSchema.map((c) => c.name),
        declared,
      );
      const result: ColumnLineage = { ...cols, notes: [...cols.notes, ...extra], outputSchema: b.outputSchema, keys };
      stats.explained++;
      cache?.putColumns(b.key, result);
      lineage.set(b.p.task, { ...b.p, ...result, notes: [...b.p.notes, ...result.notes] });
    };
    for (const b of bound) {
      if (b.p.opaque) {
        const scanned = await scannedInputs(scratch.conn, sqlOf(b.p), b.p.reads);
        if (scanned) b.p.reads = b.p.reads.filter((ds) => scanned.has(ds));
        const all = Object.fromEntries(
          b.p.reads.map((ds) => [
            ds,
            b.inputs
              .get(ds)!
              .map((c) => c.name)
              .sort(),
          ]),
        );
        done(b, { inputs: all, notes: [] }, ['output schema depends on the data (dynamic PIVOT)']);
        continue;
      }
      const cols = planOf.get(b.p.task);
      if (cols) done(b, cols);
      else viaExplain.push(b);
    }
    await timed(stats, 'explain', () =>
      pool(viaExplain, conns.length, async (b, w) => {
        done(b, await requiredColumns(conns[w]!, sqlOf(b.p), b.inputs));
      }),
    );

    // An output gets a schema once every one of its producers has one.
    const outputsTouched = new Set(ready.map((p) => p.output));
    for (const out of [...outputsTouched].sort()) {
      const prods = producers.get(out)!;
      if (prods.every((t) => lineage.has(t))) {
        try {
          schemas.set(
            out,
            await timed(stats, 'union', () =>
              unionSchema(
                scratch.conn,
                prods.map((t) => lineage.get(t)!.outputSchema),
              ),
            ),
          );
          resolved(out);
        } catch (e) {
          errors.push(
            new RelspecError('E_TASK_SQL', `producers of ${out} have incompatible columns: ${errorMessage(e).split('\n')[0]}`, {
              file: specs.get(prods[0]!)!.file,
              fix: `make every task with @output ${out} produce compatible column types`,
            }),
          );
        }
      }
    }
    ready = next.sort((a, b) => order.get(a)! - order.get(b)!);
  }

  const pending = [...missing].filter(([, n]) => n > 0).map(([p]) => p);
  for (const p of pending) {
    const missing = p.reads.filter((ds) => !schemas.has(ds));
    const upstream = missing.flatMap((ds) => producers.get(ds) ?? []);
    const why: LineageBlock = upstream.some((t) => failed.has(t))
      ? { because: 'upstream_failed', inputs: missing }
      : opts.sourceNames.some((s) => missing.includes(s))
        ? { because: 'source_unreadable', inputs: missing.filter((m) => opts.sourceNames.includes(m)) }
        : { because: 'cycle', inputs: missing };
    blocked.set(p.task, why);
  }
  for (const c of conns.slice(1)) c.closeSync();
  return { lineage, blocked, schemas, errors };
}

export async function inferLineage(opts: LineageOptions): Promise<LineageResult> {
  const stats: LineageStats = {
    tasks: opts.tasks.length,
    parseCacheHits: 0,
    columnCacheHits: 0,
    explained: 0,
    ms: { parse: 0, stubs: 0, describe: 0, plan: 0, explain: 0, union: 0 },
  };
  const { parsed, errors } = await parseTasks(opts, stats);
  const cols = await inferColumns(opts, parsed, stats);
  opts.cache?.flush?.();
  return { parsed, ...cols, errors: [...errors, ...cols.errors], stats };
}
