/**
 * The bad input catalog (docs/ARCHITECTURE.md invariant 6: bad input never takes the daemon down). Each entry is
 * one kind of bad input, applied to a built project: a task file, a source file, a Delta log, the
 * config. For each, with real `relspec run --json` processes:
 *  - the error is clear: its code, the file it names, the message shape and a fix hint are checked;
 *    a Delta error also names the table and the version;
 *  - the affected tasks are failed or blocked, and the other tasks proceed (a `canary` task edited in
 *    the same step must build);
 *  - nothing is lost: every output of the last good build is still there with the same rows;
 *  - after the fix (the files restored) a run succeeds, `relspec status` shows every task fresh, and
 *    the warehouse equals the last good build again.
 * `runWatchCatalog` drives a subset through one real `relspec watch` process: introduce the bad input,
 * see the error logged, fix it, see the recovery — and the daemon never exits.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { withDuck } from '../helpers/project.js';
import { createTempTree } from '../helpers/tempTree.js';
import { internalSchemaList } from '../../src/engine/warehouse.js';
import { status } from '../../src/incremental/status.js';
import { createTable, writeCheckpoint, writeTable } from '../../src/delta/write/index.js';
import { openStateDb } from '../../src/state/db.js';
import { Store } from '../../src/state/store.js';
import { cliSync, isReady, spawnDaemon, type DaemonProc, type Entry } from '../helpers/process.js';
import { staleText } from '../../src/format/reasons.js';
import type { TaskReason } from '../../src/records/types.js';

// ───────────────────────────────────────────── the project ─────────────────────────────────────────────

export const SOURCES = ['orders', 'people', 'events', 'items'] as const;

export const CONFIG = `export default {
  sources: {
    orders: { format: 'parquet', path: 'data/orders/*.parquet' },
    people: { format: 'csv', path: 'data/people.csv' },
    events: { format: 'json', path: 'data/events/*.json' },
    items: { format: 'delta', path: 'data/items' },
  },
  watch: { debounceMs: 50 },
};
`;

const TASKS: Record<string, string> = {
  'tasks/o_sum.sql': 'select g, sum(v)::BIGINT as v from orders group by g\n',
  'tasks/p_names.sql': 'select id, name from people\n',
  'tasks/e_count.sql': 'select count(*) as n from events\n',
  'tasks/i_total.sql': 'select k, sum(price)::BIGINT as total from items group by k\n',
  'tasks/report.sql': '-- @materialize view\nselect p.name, o.v from p_names p join o_sum o on p.id = o.g\n',
  'tasks/canary.sql': 'select 0 as x\n',
};
/** Every task of the base project and the outputs it writes (one each). */

const PEOPLE = 'id,name\n0,ann\n1,bob\n2,cyd\n';
const EVENTS = '[{"id": 1, "kind": "a"}, {"id": 2, "kind": "b"}]\n';

const sq = (p: string) => `'${p.replace(/'/g, "''")}'`;
const ordersSql = (cols = 'range::BIGINT AS id, (range % 3)::BIGINT AS g, (range * 10)::BIGINT AS v') => `SELECT ${cols} FROM range(10)`;

async function writeOrders(dir: string, cols?: string): Promise<void> {
  mkdirSync(path.join(dir, 'data/orders'), { recursive: true });
  await withDuck((c) => c.run(`COPY (${ordersSql(cols)}) TO ${sq(path.join(dir, 'data/orders/o1.parquet'))} (FORMAT parquet)`));
}

const ITEMS = (dir: string) => path.join(dir, 'data/items');
const LOG = (dir: string, v: number) => path.join(ITEMS(dir), '_delta_log', `${String(v).padStart(20, '0')}.json`);

async function itemsAppend(dir: string, n = 2): Promise<number> {
  return withDuck(
    async (c) =>
      (
        await writeTable(c, ITEMS(dir), {
          mode: 'append',
          sql: `SELECT (100 + range)::BIGINT AS id, (range % 2)::BIGINT AS k, 5::BIGINT AS price FROM range(${n})`,
        })
      ).version,
  );
}

/** The base project, not yet built. */
export async function createBase(dir: string): Promise<void> {
  const w = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  };
  w('watch.config.ts', CONFIG);
  w('data/people.csv', PEOPLE);
  w('data/events/e1.json', EVENTS);
  for (const [rel, text] of Object.entries(TASKS)) w(rel, text);
  await writeOrders(dir);
  await withDuck(async (c) => {
    await createTable(c, ITEMS(dir), {
      schema: [
        { name: 'id', type: 'BIGINT' },
        { name: 'k', type: 'BIGINT' },
        { name: 'price', type: 'BIGINT' },
      ],
    });
    await writeTable(c, ITEMS(dir), {
      mode: 'append',
      sql: 'SELECT range::BIGINT AS id, (range % 2)::BIGINT AS k, (range * 3)::BIGINT AS price FROM range(6)',
    });
    await writeTable(c, ITEMS(dir), { mode: 'replace', keys: ['id'], sql: 'SELECT 2::BIGINT AS id, 1::BIGINT AS k, 99::BIGINT AS price' });
  });
}

// ───────────────────────────────────────────── snapshots of files ─────────────────────────────────────────────

/** Every file of the project but the state: path → bytes (a symlink is recorded as such). */
export function snapshotFiles(dir: string): Map<string, Buffer | { link: string }> {
  const out = new Map<string, Buffer | { link: string }>();
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (r === 'state') continue;
      if (e.isDirectory()) walk(r);
      else if (e.isSymbolicLink()) out.set(r, { link: r });
      else out.set(r, readFileSync(path.join(dir, r)));
    }
  };
  walk('');
  return out;
}

/** Puts the files back as they were: extra files (and empty directories) go, changed ones are rewritten. */
export function restoreFiles(dir: string, snap: Map<string, Buffer | { link: string }>): void {
  const now = snapshotFiles(dir);
  for (const rel of now.keys()) if (!snap.has(rel)) rmSync(path.join(dir, rel), { force: true });
  for (const [rel, data] of snap) {
    if (!Buffer.isBuffer(data)) continue;
    const p = path.join(dir, rel);
    const cur = now.get(rel);
    if (cur && Buffer.isBuffer(cur) && cur.equals(data)) continue;
    mkdirSync(path.dirname(p), { recursive: true });
    // Write a fresh file (not in place): like an editor or a restore would.
    const tmp = `${p}.restore.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, p);
  }
  const prune = (rel: string): boolean => {
    const abs = path.join(dir, rel);
    let empty = true;
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (r === 'state') {
        empty = false;
        continue;
      }
      if (e.isDirectory() && prune(r)) rmSync(path.join(dir, r), { recursive: true, force: true });
      else empty = false;
    }
    return empty && rel !== '';
  };
  prune('');
}

// ───────────────────────────────────────────── the catalog ─────────────────────────────────────────────

/** `state`: relspec's own files are damaged — refused like a config error (exit 2, one E_STATE line). */
export type Where = 'task' | 'project' | 'config' | 'state';

export interface BadCase {
  /** What is wrong, for the README table. */
  kind: string;
  code: string;
  /** How the error surfaces: a failed task's error, a project error (`errors` of `run --json`), or a refusal (exit 2). */
  where: Where;
  /** The file the error names, relative to the project (a Delta error may name the log file). */
  file: string;
  /** The message shape (matched against the message, without code, file and fix). */
  message: RegExp;
  /** The fix hint. */
  fix: RegExp;
  /** Tasks that must fail (true) or be blocked ('blocked') in the bad run. */
  affected: Record<string, 'failed' | 'blocked'>;
  /** Delta errors: the version the message must name. */
  deltaVersion?: number | 'latest';
  /** Also run through `relspec watch`. */
  watch?: boolean;
  /** Introduce the bad input (files only; the project has been built). */
  apply(dir: string): Promise<void> | void;
  /** The fix the message names, beyond restoring the project's files (state faults: move the file aside). */
  repair?(dir: string): void;
}

const w = (dir: string, rel: string, text: string | Buffer) => {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  writeFileSync(path.join(dir, rel), text);
};
const editConfig = (dir: string, from: string | RegExp, to: string) => {
  const p = path.join(dir, 'watch.config.ts');
  const text = readFileSync(p, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`config edit did not apply: ${String(from)}`);
  writeFileSync(p, next);
};

export const CATALOG: BadCase[] = [
  // ── task files ──
  {
    kind: 'unparsable SQL',
    code: 'E_TASK_SQL',
    where: 'task',
    file: 'tasks/o_sum.sql',
    message: /syntax error at or near "selec"/,
    fix: /fix the SQL/,
    affected: { o_sum: 'failed' },
    watch: true,
    apply: (d) => w(d, 'tasks/o_sum.sql', 'selec g, sum(v) from orders group by g\n'),
  },
  {
    kind: 'two statements',
    code: 'E_TASK_SQL',
    where: 'task',
    file: 'tasks/p_names.sql',
    message: /task body has 2 statements/,
    fix: /exactly one query/,
    affected: { p_names: 'failed' },
    apply: (d) => w(d, 'tasks/p_names.sql', 'select id, name from people;\nselect 2;\n'),
  },
  {
    kind: 'DDL in a task',
    code: 'E_TASK_SQL',
    where: 'task',
    file: 'tasks/ddl.sql',
    message: /is a CREATE statement, not a query/,
    fix: /exactly one query .*DDL elsewhere/,
    affected: { ddl: 'failed' },
    apply: (d) => w(d, 'tasks/ddl.sql', 'create table t as select 1 as x\n'),
  },
  {
    kind: 'other statements (PRAGMA, ATTACH, COPY)',
    code: 'E_TASK_SQL',
    where: 'task',
    file: 'tasks/copy.sql',
    message: /is a COPY statement, not a query/,
    fix: /exactly one query/,
    affected: { copy: 'failed' },
    apply: (d) => w(d, 'tasks/copy.sql', "copy (select 1) to '/tmp/relspec-should-not-exist.csv'\n"),
  },
  {
    kind: 'an empty task file (an existing task emptied)',
    code: 'E_TASK_SQL',
    where: 'task',
    file: 'tasks/e_count.sql',
    message: /task file has no SQL/,
    fix: /write one SELECT query, or delete the file/,
    affected: { e_count: 'failed' },
    watch: true,
    apply: (d) => w(d, 'tasks/e_count.sql', '-- @tags x\n-- nothing yet\n'),
  },
  {
    kind: 'unknown table',
    code: 'E_UNKNOWN_TABLE',
    where: 'task',
    file: 'tasks/unknown.sql',
    message: /task unknown reads unknown table 'peple'/,
    fix: /did you mean 'people'\?/,
    affected: { unknown: 'failed' },
    apply: (d) => w(d, 'tasks/unknown.sql', 'select * from peple\n'),
  },
  {
    kind: 'a file read by a task is missing (read_csv literal path)',
    code: 'E_TASK_FILE',
    where: 'task',
    file: 'tasks/side.sql',
    message: /task side reads read_csv\('data\/side\.csv'\) \(.*data\/side\.csv does not exist\)/,
    fix: /create the file, or fix the path/,
    affected: { side: 'failed' },
    watch: true,
    apply: (d) => w(d, 'tasks/side.sql', "select p.id, s.w from people p join read_csv('data/side.csv') s on s.id = p.id\n"),
  },
  {
    kind: 'self-reference',
    code: 'E_GRAPH',
    where: 'task',
    file: 'tasks/selfy.sql',
    message: /task selfy reads its own output 'selfy'/,
    fix: /cannot depend on itself/,
    affected: { selfy: 'failed' },
    apply: (d) => w(d, 'tasks/selfy.sql', 'select count(*) as n from selfy\n'),
  },
  {
    kind: 'a cycle',
    code: 'E_GRAPH',
    where: 'task',
    file: 'tasks/cy1.sql',
    message: /cycle: cy1 → cy2 → cy1/,
    fix: /break the cycle/,
    affected: { cy1: 'failed', cy2: 'failed' },
    watch: true,
    apply: (d) => {
      w(d, 'tasks/cy1.sql', 'select * from cy2\n');
      w(d, 'tasks/cy2.sql', 'select * from cy1\n');
    },
  },
  {
    kind: 'duplicate task names (a.b.sql and a/b.sql)',
    code: 'E_TASK',
    where: 'project',
    file: 'tasks/dup/x.sql',
    message: /duplicate task name 'dup\.x' \(also dup\.x\.sql\)/,
    fix: /rename one of the files/,
    affected: {},
    apply: (d) => {
      w(d, 'tasks/dup.x.sql', 'select 1 as x\n');
      w(d, 'tasks/dup/x.sql', 'select 2 as x\n');
    },
  },
  {
    kind: 'an output name clashing with a source',
    code: 'E_GRAPH',
    where: 'task',
    file: 'tasks/clash.sql',
    message: /task clash writes output 'people', which is also a source name/,
    fix: /rename the output/,
    affected: { clash: 'failed' },
    watch: true,
    apply: (d) => w(d, 'tasks/clash.sql', '-- @output people\nselect 1 as id\n'),
  },
  {
    kind: 'a bad header option (@materialize banana) on an existing task',
    code: 'E_TASK',
    where: 'task',
    file: 'tasks/o_sum.sql',
    message: /bad @materialize 'banana' on line 1/,
    fix: /use one of table, view, delta/,
    affected: { o_sum: 'failed', report: 'blocked' },
    watch: true,
    apply: (d) => w(d, 'tasks/o_sum.sql', '-- @materialize banana\nselect g, sum(v)::BIGINT as v from orders group by g\n'),
  },
  {
    kind: 'a bad header option (@priority x)',
    code: 'E_TASK',
    where: 'task',
    file: 'tasks/prio.sql',
    message: /bad @priority 'x' on line 1/,
    fix: /use an integer/,
    affected: { prio: 'failed' },
    apply: (d) => w(d, 'tasks/prio.sql', '-- @priority x\nselect 1 as x\n'),
  },
  {
    kind: 'an unknown header option (@materialise)',
    code: 'E_TASK',
    where: 'task',
    file: 'tasks/typo.sql',
    message: /unknown header option '@materialise' on line 1/,
    fix: /use one of @materialize, @output/,
    affected: { typo: 'failed' },
    apply: (d) => w(d, 'tasks/typo.sql', '-- @materialise view\nselect 1 as x\n'),
  },
  {
    kind: 'a bad output name (@output a.b.c)',
    code: 'E_TASK',
    where: 'task',
    file: 'tasks/outname.sql',
    message: /bad output name 'a\.b\.c'/,
    fix: /NAME or SCHEMA\.NAME/,
    affected: { outname: 'failed' },
    apply: (d) => w(d, 'tasks/outname.sql', '-- @output a.b.c\nselect 1 as x\n'),
  },
  {
    kind: 'a task file that is not UTF-8',
    code: 'E_TASK',
    where: 'task',
    file: 'tasks/latin1.sql',
    message: /task file is not valid UTF-8 \(first bad byte at offset 11: 0xe9\)/,
    fix: /save the file as UTF-8/,
    affected: { latin1: 'failed' },
    apply: (d) => w(d, 'tasks/latin1.sql', Buffer.from("select 'caf\xe9' as x\n", 'latin1')),
  },
  {
    kind: 'a task reading a column that does not exist',
    code: 'E_TASK_SQL',
    where: 'task',
    file: 'tasks/nocol.sql',
    message: /task nocol does not bind: Binder Error: Referenced column "nme" not found/,
    fix: /fix the SQL against its inputs/,
    affected: { nocol: 'failed' },
    apply: (d) => w(d, 'tasks/nocol.sql', 'select nme from people\n'),
  },
  {
    kind: 'a runtime SQL error: a bad cast of the data',
    code: 'E_TASK_RUN',
    where: 'task',
    file: 'tasks/badcast.sql',
    message: /the query failed while building main\.badcast: Conversion Error: Could not convert string 'ann' to INT32/,
    fix: /fix the query or the input rows it fails on; the previous output is kept/,
    affected: { badcast: 'failed' },
    watch: true,
    apply: (d) => w(d, 'tasks/badcast.sql', 'select cast(name as integer) as n from people\n'),
  },
  {
    kind: 'a runtime SQL error: an overflow (in an existing task)',
    code: 'E_TASK_RUN',
    where: 'task',
    file: 'tasks/o_sum.sql',
    message: /the query failed while building main\.o_sum: Out of Range Error: Overflow/,
    fix: /the previous output is kept/,
    affected: { o_sum: 'failed', report: 'blocked' },
    apply: (d) => w(d, 'tasks/o_sum.sql', 'select g, sum(v * 9223372036854775807)::BIGINT as v from orders group by g\n'),
  },
  {
    kind: "a runtime SQL error: error('…')",
    code: 'E_TASK_RUN',
    where: 'task',
    file: 'tasks/boom.sql',
    message: /Invalid Input Error: boom/,
    fix: /next run retries/,
    affected: { boom: 'failed' },
    apply: (d) => w(d, 'tasks/boom.sql', "select error('boom') as x from people\n"),
  },
  // ── file sources ──
  {
    kind: 'a missing source path',
    code: 'E_SOURCE',
    where: 'project',
    file: 'data/nobody.csv',
    message: /source people matches no files/,
    fix: /check sources\.people\.path/,
    affected: { p_names: 'failed', report: 'blocked' },
    watch: true,
    apply: (d) => editConfig(d, "'data/people.csv'", "'data/nobody.csv'"),
  },
  {
    kind: 'an empty glob',
    code: 'E_SOURCE',
    where: 'project',
    file: 'data/events/*.json',
    message: /source events matches no files/,
    fix: /add files matching it/,
    affected: { e_count: 'failed' },
    apply: (d) => rmSync(path.join(d, 'data/events/e1.json')),
  },
  {
    kind: 'a corrupt parquet file',
    code: 'E_SOURCE',
    where: 'project',
    file: 'data/orders/*.parquet',
    message: /cannot read source orders: .*o1\.parquet/,
    fix: /check that the files are valid parquet/,
    affected: { o_sum: 'failed', report: 'blocked' },
    watch: true,
    apply: (d) => w(d, 'data/orders/o1.parquet', 'PAR1 this is not parquet PAR1'),
  },
  {
    kind: 'a truncated parquet file',
    code: 'E_SOURCE',
    where: 'project',
    file: 'data/orders/*.parquet',
    message: /cannot read source orders: .*(magic bytes|footer)/i,
    fix: /valid parquet/,
    affected: { o_sum: 'failed', report: 'blocked' },
    apply: (d) => {
      const p = path.join(d, 'data/orders/o1.parquet');
      const b = readFileSync(p);
      writeFileSync(p, b.subarray(0, Math.floor(b.length / 2)));
    },
  },
  {
    kind: 'schema drift: a source column renamed',
    code: 'E_TASK_SQL',
    where: 'task',
    file: 'tasks/p_names.sql',
    message: /task p_names does not bind: Binder Error: Referenced column "name" not found/,
    fix: /fix the SQL against its inputs/,
    affected: { p_names: 'failed', report: 'blocked' },
    watch: true,
    apply: (d) => w(d, 'data/people.csv', PEOPLE.replace('id,name', 'id,full_name')),
  },
  {
    kind: 'schema drift: a source column dropped',
    code: 'E_TASK_SQL',
    where: 'task',
    file: 'tasks/o_sum.sql',
    message: /task o_sum does not bind: Binder Error: Referenced column "v" not found/,
    fix: /fix the SQL against its inputs/,
    affected: { o_sum: 'failed', report: 'blocked' },
    apply: (d) => writeOrders(d, 'range::BIGINT AS id, (range % 3)::BIGINT AS g'),
  },
  {
    kind: 'a CSV with a ragged row',
    code: 'E_SOURCE',
    where: 'project',
    file: 'data/people.csv',
    message: /source people is not a consistent CSV/,
    fix: /as many fields as the header/,
    affected: { p_names: 'failed', report: 'blocked' },
    apply: (d) => w(d, 'data/people.csv', 'id,name\n0,ann\n1,bob,extra,fields\n2\n'),
  },
  {
    kind: 'a CSV that is not UTF-8',
    code: 'E_SOURCE',
    where: 'project',
    file: 'data/people.csv',
    message: /cannot read source people: .*not utf-8 encoded/,
    fix: /valid csv/,
    affected: { p_names: 'failed', report: 'blocked' },
    apply: (d) => w(d, 'data/people.csv', Buffer.from('id,name\n0,ann\n1,b\xf6b\n', 'latin1')),
  },
  {
    kind: 'a JSON source with invalid JSON',
    code: 'E_SOURCE',
    where: 'project',
    file: 'data/events/*.json',
    message: /cannot read source events: .*Malformed JSON/,
    fix: /valid json/,
    affected: { e_count: 'failed' },
    watch: true,
    apply: (d) => w(d, 'data/events/e1.json', '[{"id": 1, "kind": "a"}, {"id": 2,'),
  },
  // ── Delta sources ──
  {
    kind: 'a truncated Delta commit line',
    code: 'E_DELTA',
    where: 'project',
    file: 'data/items/_delta_log/00000000000000000003.json',
    message: /log line is not valid JSON .*truncated or corrupt \(.*data\/items at version 3/,
    fix: /restore the log file/,
    deltaVersion: 3,
    affected: { i_total: 'failed' },
    watch: true,
    apply: async (d) => {
      await itemsAppend(d);
      const f = LOG(d, 3);
      const text = readFileSync(f, 'utf8');
      writeFileSync(f, text.slice(0, text.length - 25));
    },
  },
  {
    kind: 'a missing Delta commit',
    code: 'E_DELTA',
    where: 'project',
    file: 'data/items/_delta_log/00000000000000000003.json',
    message: /commit 3 is missing from the Delta log/,
    fix: /restore the missing commit/,
    deltaVersion: 3,
    affected: { i_total: 'failed' },
    apply: async (d) => {
      await itemsAppend(d);
      await itemsAppend(d);
      unlinkSync(LOG(d, 3));
    },
  },
  {
    kind: 'an unsupported Delta feature',
    code: 'E_DELTA_UNSUPPORTED',
    where: 'project',
    file: 'data/items',
    message: /unsupported Delta reader feature variantType in .*data\/items at version 3/,
    fix: /variant/,
    deltaVersion: 3,
    affected: { i_total: 'failed' },
    watch: true,
    apply: (d) =>
      w(
        d,
        path.relative(d, LOG(d, 3)),
        [
          { commitInfo: { timestamp: Date.now(), operation: 'SET TBLPROPERTIES' } },
          { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['variantType'], writerFeatures: ['variantType'] } },
        ]
          .map((a) => JSON.stringify(a))
          .join('\n') + '\n',
      ),
  },
  {
    kind: 'a Delta checkpoint with missing parts',
    code: 'E_DELTA',
    where: 'project',
    file: 'data/items/_delta_log',
    message: /cannot reconstruct version 3: commit 0 is missing .*checkpoint 3 has 1 of its 2 parts and is ignored/,
    fix: /restore the missing checkpoint part files/,
    deltaVersion: 3,
    affected: { i_total: 'failed' },
    apply: async (d) => {
      // A writer checkpoints v3 in two parts, then metadata cleanup deletes the commits before it;
      // one part never made it (a failed upload).
      const v = await itemsAppend(d);
      await withDuck((c) => writeCheckpoint(c, ITEMS(d), v));
      const log = path.join(ITEMS(d), '_delta_log');
      const pad = (n: number, k: number) => String(n).padStart(k, '0');
      renameSync(
        path.join(log, `${pad(v, 20)}.checkpoint.parquet`),
        path.join(log, `${pad(v, 20)}.checkpoint.${pad(1, 10)}.${pad(2, 10)}.parquet`),
      );
      rmSync(path.join(log, '_last_checkpoint'), { force: true });
      for (const f of readdirSync(log)) if (/^\d{20}\.checkpoint\.parquet$/.test(f)) unlinkSync(path.join(log, f));
      for (let i = 0; i < v; i++) unlinkSync(LOG(d, i));
    },
  },
  {
    kind: 'a Delta log with two metaData actions in one commit',
    code: 'E_DELTA',
    where: 'project',
    file: 'data/items/_delta_log/00000000000000000003.json',
    message: /commit 3 holds 2 metaData actions \(at most one is allowed\)/,
    fix: /restore the named file|conforming writer/,
    deltaVersion: 3,
    affected: { i_total: 'failed' },
    apply: (d) => {
      const meta = readFileSync(LOG(d, 0), 'utf8')
        .split('\n')
        .find((l) => l.includes('"metaData"'))!;
      w(
        d,
        path.relative(d, LOG(d, 3)),
        `${JSON.stringify({ commitInfo: { timestamp: Date.now(), operation: 'SET TBLPROPERTIES' } })}\n${meta}\n${meta}\n`,
      );
    },
  },
  {
    kind: 'a Delta data file missing (vacuumed)',
    code: 'E_DELTA',
    where: 'project',
    file: 'data/items/',
    message: /data file\(s\) referenced by the log are missing, e\.g\. part-.*\.parquet \(.*data\/items at version 2/,
    fix: /vacuumed or never copied/,
    deltaVersion: 2,
    affected: { i_total: 'failed' },
    apply: (d) => {
      for (const f of readdirSync(ITEMS(d))) if (f.endsWith('.parquet')) unlinkSync(path.join(ITEMS(d), f));
    },
  },
  {
    kind: 'a Delta source directory without _delta_log',
    code: 'E_DELTA',
    where: 'project',
    file: 'data/items',
    message: /not a Delta table: no _delta_log directory/,
    fix: /point the source at the table root/,
    affected: { i_total: 'failed' },
    apply: (d) => renameSync(path.join(ITEMS(d), '_delta_log'), path.join(ITEMS(d), '_delta_log.moved')),
  },
  {
    kind: 'a corrupt Delta checkpoint file (the commits before it cleaned up)',
    code: 'E_DELTA',
    where: 'project',
    file: 'data/items/_delta_log/00000000000000000002.checkpoint.parquet',
    message: /cannot read checkpoint file/,
    fix: /checkpoint is corrupt or incomplete; it can be deleted/,
    deltaVersion: 2,
    affected: { i_total: 'failed' },
    apply: (d) => {
      // With commits 0 and 1 still there the reader replays them instead; after metadata cleanup it cannot.
      w(d, path.relative(d, path.join(ITEMS(d), '_delta_log', `${String(2).padStart(20, '0')}.checkpoint.parquet`)), 'not parquet at all');
      for (const v of [0, 1]) unlinkSync(LOG(d, v));
    },
  },
  // ── the config ──
  {
    kind: 'a config syntax error',
    code: 'E_CONFIG_LOAD',
    where: 'config',
    file: 'watch.config.ts',
    message: /^syntax error: Unexpected token, expected ","$/,
    // The file is named with the line and column (`watch.config.ts:4:29`); the fix repeats them.
    fix: /^fix the syntax at line 4, column \d+$/,
    affected: {},
    watch: true,
    apply: (d) => w(d, 'watch.config.ts', CONFIG.replace("people: { format: 'csv',", "people: { format: 'csv'")),
  },
  {
    kind: 'a config value of the wrong type',
    code: 'E_CONFIG',
    where: 'config',
    file: 'watch.config.ts',
    message: /bad value for 'watch\.debounceMs': "fast"/,
    fix: /expected number/,
    affected: {},
    watch: true,
    apply: (d) => editConfig(d, 'debounceMs: 50', "debounceMs: 'fast'"),
  },
  {
    kind: 'an unknown config key',
    code: 'E_CONFIG',
    where: 'config',
    file: 'watch.config.ts',
    message: /unknown config key 'sorces'/,
    fix: /did you mean 'sources'\?/,
    affected: {},
    apply: (d) => editConfig(d, '  watch: {', '  sorces: {},\n  watch: {'),
  },
  {
    kind: 'an unknown source format',
    code: 'E_CONFIG',
    where: 'config',
    file: 'watch.config.ts',
    message: /bad value for 'sources\.orders\.format': "parket"/,
    fix: /did you mean 'parquet'\?/,
    affected: {},
    apply: (d) => editConfig(d, "format: 'parquet'", "format: 'parket'"),
  },
  {
    kind: 'a bad source name',
    code: 'E_CONFIG',
    where: 'config',
    file: 'watch.config.ts',
    message: /bad source name 'sources\.my-events'/,
    fix: /letters, digits and underscores/,
    affected: {},
    apply: (d) => editConfig(d, '    events: {', "    'my-events': { format: 'json', path: 'data/events/*.json' },\n    events: {"),
  },
  {
    kind: 'a config that throws',
    code: 'E_CONFIG_LOAD',
    where: 'config',
    file: 'watch.config.ts',
    message: /^the config threw: no config for you \(at .*watch\.config\.ts:1\)$/,
    fix: /^fix the code that throws .*export default/,
    affected: {},
    apply: (d) => w(d, 'watch.config.ts', `throw new Error('no config for you');\n${CONFIG}`),
  },
  {
    kind: 'a config that exports no object',
    code: 'E_CONFIG_LOAD',
    where: 'config',
    file: 'watch.config.ts',
    message: /config must export an object, got number/,
    fix: /defineConfig/,
    affected: {},
    apply: (d) => w(d, 'watch.config.ts', 'export default 42;\n'),
  },
  {
    kind: 'a config that never resolves',
    code: 'E_CONFIG',
    where: 'config',
    file: 'watch.config.ts',
    message: /^the config's default export did not resolve within 10 s$/,
    fix: /settle/,
    affected: {},
    watch: true,
    apply: (d) => w(d, 'watch.config.ts', `await new Promise(() => {});\n${CONFIG}`),
  },
  // ── relspec's own state ──
  {
    kind: 'a corrupt relspec.sqlite (garbage bytes)',
    code: 'E_STATE',
    where: 'state',
    file: 'state/relspec.sqlite',
    message: /^the state database is corrupt \(SQLITE_NOTADB: file is not a database\)$/,
    fix: /^move it aside \(mv relspec\.sqlite relspec\.sqlite\.bad.*relspec rebuilds its state from the sources$/,
    affected: {},
    apply: (d) => {
      const f = path.join(d, 'state/relspec.sqlite');
      writeFileSync(f, Buffer.alloc(readFileSync(f).length, 0x5a));
    },
    repair: (d) => renameSync(path.join(d, 'state/relspec.sqlite'), path.join(d, 'state/relspec.sqlite.bad')),
  },
  {
    kind: 'a truncated relspec.sqlite (cut to half)',
    code: 'E_STATE',
    where: 'state',
    file: 'state/relspec.sqlite',
    message: /^the state database is corrupt \(truncated: \d+ of \d+ bytes\)$/,
    fix: /^move it aside .*relspec rebuilds its state from the sources$/,
    affected: {},
    apply: (d) => {
      const f = path.join(d, 'state/relspec.sqlite');
      truncateSync(f, Math.floor(readFileSync(f).length / 2));
    },
    repair: (d) => renameSync(path.join(d, 'state/relspec.sqlite'), path.join(d, 'state/relspec.sqlite.bad')),
  },
  {
    kind: 'a corrupt warehouse.duckdb',
    code: 'E_STATE',
    where: 'state',
    file: 'state/warehouse.duckdb',
    message: /^the warehouse is corrupt \(IO Error: .*not a valid DuckDB database file!\)$/,
    fix: /^move it aside \(mv warehouse\.duckdb warehouse\.duckdb\.bad.*relspec rebuilds every output from the sources$/,
    affected: {},
    apply: (d) => {
      const f = path.join(d, 'state/warehouse.duckdb');
      writeFileSync(f, Buffer.alloc(readFileSync(f).length, 0x5a));
    },
    repair: (d) => renameSync(path.join(d, 'state/warehouse.duckdb'), path.join(d, 'state/warehouse.duckdb.bad')),
  },
  {
    kind: 'the tasks directory missing',
    code: 'E_TASK',
    where: 'config',
    file: 'tasks',
    message: /tasks directory not found/,
    fix: /create it, or set `tasks: 'DIR'`/,
    affected: {},
    apply: (d) => renameSync(path.join(d, 'tasks'), path.join(d, 'tasks.moved')),
  },
];

// ───────────────────────────────────────────── checks ─────────────────────────────────────────────

export interface CaseResult {
  kind: string;
  code: string;
  /** The error line as relspec printed it (for the README's message shapes). */
  line: string;
  problems: string[];
  ms: number;
}

interface RunJson {
  status: string;
  tasks: { task: string; status: string; error?: string; reason?: TaskReason }[];
  errors: { code: string; message: string; file?: string; fix?: string }[];
}

/** Every output relation (not the sources: a broken source's view may not read) with its rows. */
export async function outputs(dir: string): Promise<Record<string, string>> {
  const inst = await DuckDBInstance.create(path.join(dir, 'state/warehouse.duckdb'), { access_mode: 'READ_ONLY' });
  const c = await inst.connect();
  try {
    const rels = (
      await c.runAndReadAll(
        `SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name NOT IN (${internalSchemaList()})
         UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal AND view_name NOT LIKE '__view__%'`,
      )
    ).getRows() as [string, string][];
    const out: Record<string, string> = {};
    for (const [s, t] of rels.sort()) {
      if (s === 'main' && (SOURCES as readonly string[]).includes(t)) continue;
      out[`${s}.${t}`] = JSON.stringify((await c.runAndReadAll(`SELECT * FROM "${s}"."${t}" ORDER BY ALL`)).getRowsJson());
    }
    return out;
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

/** `CODE file: message — fix` (RelspecError.oneLine), the shape of every reported error. */
function parseLine(line: string): { code: string; file: string; message: string; fix: string } | undefined {
  const m = /^(E_[A-Z_]+) (.+?): (.*?)(?: — (.*))?$/.exec(line);
  return m ? { code: m[1]!, file: m[2]!, message: m[3]!, fix: m[4] ?? '' } : undefined;
}

function checkError(
  c: BadCase,
  dir: string,
  got: { code: string; file?: string; message: string; fix?: string } | undefined,
  problems: string[],
): void {
  if (!got) {
    problems.push('no error reported');
    return;
  }
  if (got.code !== c.code) problems.push(`code ${got.code}, expected ${c.code}`);
  const file = got.file ?? '';
  const want = path.join(dir, c.file);
  if (!(file === want || file.startsWith(want) || (c.file.endsWith('/') && file.startsWith(want))))
    problems.push(`names file ${file}, expected ${want}`);
  if (!c.message.test(got.message)) problems.push(`message ${JSON.stringify(got.message)} does not match ${c.message}`);
  if (!got.fix || !c.fix.test(got.fix)) problems.push(`fix ${JSON.stringify(got.fix ?? '')} does not match ${c.fix}`);
  if (c.deltaVersion !== undefined) {
    if (!got.message.includes(path.join(dir, 'data/items'))) problems.push('the Delta error does not name the table');
    if (typeof c.deltaVersion === 'number' && !new RegExp(`version ${c.deltaVersion}\\b`).test(got.message))
      problems.push(`the Delta error does not name version ${c.deltaVersion}`);
  }
}

/** The project after a good build: the reference every case returns to. */
export interface Baseline {
  dir: string;
  files: Map<string, Buffer | { link: string }>;
  outputs: Record<string, string>;
}

export async function buildBaseline(): Promise<Baseline> {
  // runCatalog and runWatchCatalog delete it when done.
  const dir = createTempTree({}, { prefix: 'relspec-badinput-' }).root;
  await createBase(dir);
  const r = cliSync(dir, ['run']);
  if (r.code !== 0) throw new Error(`base build failed: ${r.stderr}\n${r.stdout}`);
  // A checkpoint at the current version (for the corrupt-checkpoint case) is part of the base.
  await withDuck((c) => writeCheckpoint(c, ITEMS(dir), 2));
  const again = cliSync(dir, ['run']);
  if (again.code !== 0) throw new Error(`base rebuild failed: ${again.stderr}`);
  return { dir, files: snapshotFiles(dir), outputs: await outputs(dir) };
}

/** One case through `relspec run --json`, then the fix. The project must be at the baseline. */
export async function runCase(c: BadCase, base: Baseline, index: number): Promise<CaseResult> {
  const t0 = performance.now();
  const dir = base.dir;
  const problems: string[] = [];
  let line = '';
  // The canary is edited in the same step: it must build (other tasks proceed), except when the
  // run is refused as a whole (config errors).
  w(dir, 'tasks/canary.sql', `select ${index + 1} as x\n`);
  await c.apply(dir);
  const r = cliSync(dir, ['run', '--json']);
  if (c.where === 'config' || c.where === 'state') {
    if (r.code !== 2) problems.push(`exit ${r.code}, expected 2 (refused)`);
    const errs = r.stderr.split('\n').filter((l) => l.startsWith('relspec: '));
    line = errs.find((l) => l.includes(c.code))?.slice('relspec: '.length) ?? errs[0]?.slice('relspec: '.length) ?? r.stderr.trim();
    checkError(c, dir, parseLine(line), problems);
    if (/internal error|at .*\.js:\d+/.test(r.stderr)) problems.push(`a stack trace: ${r.stderr.slice(0, 300)}`);
    // (A corrupt warehouse cannot be read back: its outputs are checked after the repair.)
    const now = c.file.endsWith('.duckdb') ? base.outputs : await outputs(dir);
    if (JSON.stringify(now) !== JSON.stringify(base.outputs)) problems.push('outputs changed although the run was refused');
  } else {
    let out: RunJson | undefined;
    try {
      out = JSON.parse(r.stdout) as RunJson;
    } catch {
      problems.push(`no JSON (exit ${r.code}): ${r.stderr.slice(0, 500)}`);
    }
    if (out) {
      // A graph error (a cycle, a self-read, a name clash) exits 2 as `validate` does; a task's own failure 1.
      const want = c.code === 'E_GRAPH' ? 2 : 1;
      if (r.code !== want) problems.push(`exit ${r.code}, expected ${want}`);
      const status = new Map(out.tasks.map((t) => [t.task, t]));
      for (const [task, want] of Object.entries(c.affected)) {
        const got = status.get(task)?.status ?? 'not reported';
        if (got !== want) problems.push(`${task} is ${got}, expected ${want}`);
      }
      for (const t of out.tasks) {
        if ((t.status === 'failed' || t.status === 'blocked') && !(t.task in c.affected))
          problems.push(`${t.task} is ${t.status} too: ${t.error ?? JSON.stringify(t.reason)}`);
      }
      if (status.get('canary')?.status !== 'built')
        problems.push(`canary is ${status.get('canary')?.status ?? 'not reported'}, expected built (other tasks proceed)`);
      if (c.where === 'task') {
        const first = Object.entries(c.affected).find(([, s]) => s === 'failed')?.[0];
        line = (first && status.get(first)?.error) || '';
        checkError(c, dir, parseLine(line), problems);
        for (const [task, s] of Object.entries(c.affected)) {
          const reason = status.get(task)?.reason;
          if (s === 'blocked' && !(reason?.kind === 'upstream' && reason.status === 'failed'))
            problems.push(`${task} blocked without naming the upstream failure: ${JSON.stringify(reason)}`);
        }
      } else {
        const e = out.errors.find((x) => x.code === c.code) ?? out.errors[0];
        line = e ? `${e.code} ${e.file ?? ''}: ${e.message}${e.fix ? ` — ${e.fix}` : ''}` : '';
        checkError(c, dir, e, problems);
        // Readers of a broken source fail naming their own file and the source's reason.
        for (const [task, s] of Object.entries(c.affected)) {
          if (s !== 'failed') continue;
          const err = status.get(task)?.error ?? '';
          if (c.code.startsWith('E_SOURCE') || c.code.startsWith('E_DELTA')) {
            if (!err.includes(`tasks/${task}.sql`) || !err.includes('cannot be read'))
              problems.push(`${task}'s error does not name its file and the unreadable source: ${err}`);
          }
        }
      }
      // Nothing is lost: every output of the last good build is there, with the same rows (the canary changed).
      const now = await outputs(dir);
      for (const [rel, rows] of Object.entries(base.outputs)) {
        if (rel === 'main.canary') continue;
        if (!(rel in now)) problems.push(`output ${rel} is gone`);
        else if (now[rel] !== rows) problems.push(`output ${rel} changed: ${now[rel]!.slice(0, 120)}`);
      }
      if (now['main.canary'] !== JSON.stringify([[index + 1]]))
        problems.push(`canary holds ${now['main.canary']}, expected [[${index + 1}]]`);
    }
  }
  // The fix: the files as they were. A run recovers; every task is fresh; the outputs are the baseline's.
  restoreFiles(dir, base.files);
  c.repair?.(dir);
  const fixed = cliSync(dir, ['run', '--json']);
  if (fixed.code !== 0) problems.push(`after the fix: exit ${fixed.code} ${fixed.stderr.slice(0, 300)} ${fixed.stdout.slice(0, 600)}`);
  // What `relspec status` shows (in-process: the same function, without another process start).
  const db = openStateDb(path.join(dir, 'state'), { readonly: true });
  try {
    const stale = status(new Store(db)).tasks.filter((t) => t.state !== 'fresh');
    if (stale.length > 0)
      problems.push(`after the fix, stale: ${stale.map((t) => `${t.task} (${t.reason ? staleText(t.reason) : ''})`).join(', ')}`);
  } finally {
    db.close();
  }
  const after = await outputs(dir);
  if (JSON.stringify(after) !== JSON.stringify(base.outputs)) {
    const diff = Object.keys({ ...after, ...base.outputs }).filter((k) => after[k] !== base.outputs[k]);
    problems.push(`after the fix the outputs differ from the last good build: ${diff.join(', ')}`);
  }
  return { kind: c.kind, code: c.code, line: line.split(dir + '/').join(''), problems, ms: performance.now() - t0 };
}

/** Every case (or `only` those), in order, on one project brought back to the baseline after each. */
export async function runCatalog(
  opts: { only?: (c: BadCase, i: number) => boolean; log?: (l: string) => void } = {},
): Promise<{ results: CaseResult[]; ms: number }> {
  const t0 = performance.now();
  let base = await buildBaseline();
  const results: CaseResult[] = [];
  try {
    for (const [i, c] of CATALOG.entries()) {
      if (opts.only && !opts.only(c, i)) continue;
      const r = await runCase(c, base, i);
      results.push(r);
      opts.log?.(
        `${r.problems.length ? 'FAIL' : 'ok  '} ${c.kind} → ${c.code} (${(r.ms / 1000).toFixed(1)}s)${r.problems.map((p) => `\n       ${p}`).join('')}`,
      );
      if (r.problems.length > 0) {
        // Start the next case from a fresh baseline.
        rmSync(base.dir, { recursive: true, force: true });
        base = await buildBaseline();
      }
    }
  } finally {
    rmSync(base.dir, { recursive: true, force: true });
  }
  return { results, ms: performance.now() - t0 };
}

// ───────────────────────────────────────────── through relspec watch ─────────────────────────────────────────────

export interface WatchCaseResult {
  kind: string;
  problems: string[];
  ms: number;
}

const isRun = (e: Entry) => e.tag === 'run' && e.event === 'finished';
const taskStatus = (e: Entry, task: string) =>
  (e.tasks as { task: string; status: string }[] | undefined)?.find((t) => t.task === task)?.status;

/**
 * The watch subset: one daemon for all cases. Introduce the bad input; the daemon logs the error
 * (with the code and the file) and the affected tasks' failures; fix it; a run recovers them.
 */
export async function runWatchCatalog(
  opts: { only?: (c: BadCase) => boolean; log?: (l: string) => void } = {},
): Promise<{ results: WatchCaseResult[]; ms: number; daemonExit: string }> {
  const t0 = performance.now();
  const base = await buildBaseline();
  const results: WatchCaseResult[] = [];
  let d: DaemonProc | undefined;
  let daemonExit = 'running';
  try {
    d = spawnDaemon(base.dir);
    await d.waitFor(isReady, { timeoutMs: 60_000 });
    for (const [i, c] of CATALOG.entries()) {
      if (!(opts.only ?? ((x) => x.watch === true))(c)) continue;
      const ts = performance.now();
      const problems: string[] = [];
      let m = d.mark();
      const m0 = m;
      w(base.dir, 'tasks/canary.sql', `select ${i + 1} as x\n`);
      await c.apply(base.dir);
      try {
        if (c.where === 'config') {
          const invalid = await d.waitFor((e) => e.tag === 'config' && e.event === 'invalid', { from: m, timeoutMs: 30_000 });
          const lines = d.entries.slice(m, d.entries.indexOf(invalid)).filter((e) => e.tag === 'config' && e.event === 'error');
          const hit = lines.find((e) => e.message.startsWith(c.code) && e.message.includes(path.join(base.dir, c.file)));
          if (!hit) problems.push(`no config error line with ${c.code} and ${c.file}: ${lines.map((e) => e.message).join(' | ')}`);
          // The previous config keeps running: the canary edit of the same burst is built.
          await d.waitFor((e) => isRun(e) && taskStatus(e, 'canary') === 'built', { from: m, timeoutMs: 30_000 });
        } else {
          // The run that saw the bad input: the affected tasks failed (or blocked); the canary was
          // built by it or by an earlier run of the same burst (the edits may land in two batches).
          const first = Object.entries(c.affected).find(([, s]) => s === 'failed')?.[0];
          const run = await d.waitFor(
            (e) => isRun(e) && (first ? taskStatus(e, first) === 'failed' : taskStatus(e, 'canary') === 'built'),
            { from: m, timeoutMs: 30_000 },
          );
          for (const [task, want] of Object.entries(c.affected))
            if (taskStatus(run, task) !== want) problems.push(`${task} is ${taskStatus(run, task)} in the daemon's run, expected ${want}`);
          if (!d.entries.slice(m, d.entries.indexOf(run) + 1).some((e) => isRun(e) && taskStatus(e, 'canary') === 'built'))
            problems.push('the canary was not built: other tasks did not proceed');
          const logged = d.entries
            .slice(m, d.entries.indexOf(run) + 1)
            .filter((e) => (e.tag === 'task' && e.event === 'failed') || e.event === 'project_error');
          const hit = logged.find((e) => e.message.includes(c.code) && e.message.includes(path.join(base.dir, c.file)));
          if (!hit) problems.push(`no logged error with ${c.code} and ${c.file}: ${logged.map((e) => e.message).join(' | ')}`);
        }
        // The fix: back to the baseline; a run recovers every affected task.
        m = d.mark();
        restoreFiles(base.dir, base.files);
        const recovered = await d.waitFor((e) => isRun(e) && (e.status === 'ok' || e.status === 'noop'), { from: m, timeoutMs: 30_000 });
        if (!d.entries.slice(m, d.entries.indexOf(recovered) + 1).some((e) => isRun(e) && taskStatus(e, 'canary') === 'built')) {
          problems.push('the fix did not rebuild the canary');
          if (process.env.RELSPEC_TORTURE_DEBUG)
            console.log(
              d.entries
                .slice(m0)
                .map((x) => `${x.tag} ${x.event} ${x.message}`)
                .join('\n'),
            );
        }
        for (const task of Object.keys(c.affected)) {
          const st = cliSync(base.dir, ['why', task, '--json']);
          if (st.code === 0 && ['failed', 'blocked'].includes((JSON.parse(st.stdout) as { status: string }).status))
            problems.push(`${task} still ${(JSON.parse(st.stdout) as { status: string }).status} after the fix`);
        }
      } catch (e) {
        problems.push(String(e instanceof Error ? e.message.split('\n')[0] : e));
        if (process.env.RELSPEC_TORTURE_DEBUG)
          console.log(
            d.entries
              .slice(m)
              .map((x) => `${x.tag} ${x.event} ${x.message}`)
              .join('\n'),
          );
        restoreFiles(base.dir, base.files);
      }
      if (d.proc.exitCode !== null || d.proc.signalCode !== null) {
        problems.push(`the daemon exited (${d.proc.exitCode ?? d.proc.signalCode}): ${d.stderr().slice(0, 300)}`);
        results.push({ kind: c.kind, problems, ms: performance.now() - ts });
        break;
      }
      results.push({ kind: c.kind, problems, ms: performance.now() - ts });
      opts.log?.(`${problems.length ? 'FAIL' : 'ok  '} watch: ${c.kind}${problems.map((p) => `\n       ${p}`).join('')}`);
    }
    // Still up, and every task fresh once the last fix is in.
    if (d.proc.exitCode === null && d.proc.signalCode === null) {
      const st = cliSync(base.dir, ['status', '--json']);
      const stale =
        st.code === 0
          ? (JSON.parse(st.stdout) as { tasks: { task: string; state: string }[] }).tasks.filter((t) => t.state !== 'fresh')
          : [];
      if (st.code !== 0 || stale.length > 0)
        results.push({ kind: 'final status', problems: [`status: ${st.stderr} stale: ${stale.map((t) => t.task).join(', ')}`], ms: 0 });
      const exit = await d.stop();
      daemonExit = `exit ${exit.code ?? exit.signal}`;
      if (exit.code !== 0) results.push({ kind: 'daemon stop', problems: [`SIGTERM exit ${exit.code ?? exit.signal}`], ms: 0 });
      const now = await outputs(base.dir);
      if (JSON.stringify(now) !== JSON.stringify(base.outputs))
        results.push({ kind: 'final outputs', problems: ['the outputs differ from the last good build after the watch session'], ms: 0 });
    } else daemonExit = `died: ${d.proc.exitCode ?? d.proc.signalCode}`;
  } finally {
    if (d && d.proc.exitCode === null && d.proc.signalCode === null) await d.stop();
    rmSync(base.dir, { recursive: true, force: true });
  }
  return { results, ms: performance.now() - t0, daemonExit };
}
