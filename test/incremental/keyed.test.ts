import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTable } from '../../src/delta/write/index.js';
import { run, type RunOutcome } from '../../src/incremental/run.js';
import { Warehouse } from '../../src/engine/warehouse.js';
import { EVENTS_CONFIG, createEvents, eventsTable, writeEvents } from '../helpers/keyedEvents.js';
import { tempProject, withDuck, type TempProject } from '../helpers/project.js';

/**
 * Key-scoped refresh end to end: a Delta source of 100 paths, a per-path aggregate, a task joining
 * it back to the source on the key, and readers that are not key-scoped. After each per-key change
 * the key-scoped tasks refresh only the changed keys, and every output and token equals a clean build.
 */
let p: TempProject;

const rowsOf = (keys: readonly number[], salt: number) =>
  `SELECT 'src/f' || k || '.ts' AS path, i::BIGINT AS line, (k * 7 + i * ${salt}) % 97 AS v
   FROM unnest([${keys.join(',')}]) u(k), range(10) r(i)`;

const write = (mode: 'append' | 'replace', sql: string) => writeEvents(p.dir, mode, sql);

const go = async (dir = p.dir) => run({ configPath: 'watch.config.ts', cwd: dir });
const refreshOf = (o: RunOutcome, task: string) => o.tasks.find((t) => t.task === task)?.refresh;

/** Every output's rows (sorted) and every output's tokens, to compare with a clean build. */
async function snapshot(dir: string): Promise<{ rows: Record<string, unknown[]>; tokens: Record<string, unknown> }> {
  const wh = await Warehouse.open(path.join(dir, 'state'));
  const rows: Record<string, unknown[]> = {};
  try {
    for (const t of ['per_path', 'joined', 'top', 'hot']) {
      const r = await wh.conn.runAndReadAll(`SELECT * FROM ${t} ORDER BY ALL`);
      rows[t] = r.getRows().map((x) => JSON.stringify(x, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    }
  } finally {
    wh.close();
  }
  const db = new Database(path.join(dir, 'state/relspec.sqlite'), { readonly: true });
  const tokens = Object.fromEntries(
    (db.prepare(`SELECT name, tokens FROM evidence WHERE kind = 'output' ORDER BY name`).all() as { name: string; tokens: string }[]).map(
      (r) => [r.name, JSON.parse(r.tokens) as unknown],
    ),
  );
  db.close();
  return { rows, tokens };
}

/** The outputs that have a table of change rows (engine/keyed.ts CHANGES_SCHEMA). */
async function changeTables(): Promise<string[]> {
  const wh = await Warehouse.open(path.join(p.dir, 'state'));
  try {
    const r = await wh.conn.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE schema_name = 'relspec_changes' ORDER BY 1`);
    return r.getRows().map((x) => String(x[0]));
  } finally {
    wh.close();
  }
}

async function cleanBuild(): Promise<ReturnType<typeof snapshot>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relspec-keyed-clean-'));
  try {
    cpSync(p.dir, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}state`) });
    // The config names the table relative to itself: the copy reads its own copy of the table.
    const o = await go(dir);
    expect(o.status).toBe('ok');
    return await snapshot(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  p = tempProject({
    'watch.config.ts': EVENTS_CONFIG,
    'tasks/per_path.sql': 'select path, count(*) as n, sum(v) as total from events group by path',
    'tasks/joined.sql': 'select e.path, e.line, e.v, p.total from events e join per_path p on p.path = e.path where e.v > 10',
    'tasks/top.sql': 'select path, total from per_path order by total desc, path limit 5',
    'tasks/hot.sql': '-- @key path\nselect path, n from per_path where total > 400',
  });
  await createEvents(
    p.dir,
    rowsOf(
      Array.from({ length: 100 }, (_, i) => i),
      3,
    ),
  );
});
afterAll(() => p.cleanup());

describe('key-scoped refresh', () => {
  it('a first build runs in full and counts the keys', async () => {
    const o = await go();
    expect(o.status).toBe('ok');
    expect(refreshOf(o, 'per_path')).toEqual({ mode: 'full', key: ['path'], of: 100, reason: { kind: 'first_build' } });
    expect(refreshOf(o, 'top')?.mode).toBe('full');
    expect(refreshOf(o, 'top')?.reason?.kind).toBe('not_key_scoped');
  });

  it('an update of one key refreshes one key of each key-scoped task, equal to a clean build', async () => {
    await write('replace', rowsOf([7], 5));
    const o = await go();
    expect(o.status).toBe('ok');
    expect(refreshOf(o, 'per_path')).toMatchObject({ mode: 'keys', key: ['path'], keys: 1, of: 100, rows: 1 });
    // Two inputs moved: the source (its change rows) and per_path (its refresh's change rows).
    expect(refreshOf(o, 'joined')).toMatchObject({ mode: 'keys', key: ['path'], keys: 1 });
    expect(refreshOf(o, 'top')).toMatchObject({ mode: 'full', reason: { kind: 'not_key_scoped', refusal: { kind: 'limit' } } });
    expect(await snapshot(p.dir)).toEqual(await cleanBuild());
    // Change rows only where a key-scoped task reads them: per_path's (joined, hot), not joined's or hot's.
    expect(await changeTables()).toEqual(['per_path']);
  });

  it('new and deleted keys keep the key count', async () => {
    await write('replace', rowsOf([100, 101], 2));
    await withDuck((c) =>
      writeTable(c, eventsTable(p.dir), {
        mode: 'replace',
        sql: rowsOf([], 1),
        keys: ['path'],
        deleteKeysSql: `SELECT 'src/f3.ts' AS path`,
      }),
    );
    const o = await go();
    expect(refreshOf(o, 'per_path')).toMatchObject({ mode: 'keys', keys: 3, of: 100 });
    const again = await go();
    expect(again.status).toBe('noop');
    await write('replace', rowsOf([5], 9));
    const o2 = await go();
    // 100 - 1 + 2 keys after the last refresh.
    expect(refreshOf(o2, 'per_path')).toMatchObject({ mode: 'keys', keys: 1, of: 101 });
    expect(await snapshot(p.dir)).toEqual(await cleanBuild());
  });

  it('too many changed keys: in full, with the fraction as the reason', async () => {
    await write(
      'replace',
      rowsOf(
        Array.from({ length: 40 }, (_, i) => i + 10),
        11,
      ),
    );
    const o = await go();
    expect(refreshOf(o, 'per_path')).toMatchObject({ mode: 'full', reason: { kind: 'too_many_keys', keys: 40, of: 101, threshold: 0.3 } });
    expect(await snapshot(p.dir)).toEqual(await cleanBuild());
  });

  it('a changed key that holds most of the rows: in full, with the rows as the reason', async () => {
    const big = (salt: number) => `SELECT 'src/f7.ts' AS path, i::BIGINT AS line, (49 + i * ${salt}) % 97 AS v FROM range(3000) r(i)`;
    await write('replace', big(13));
    const grow = await go();
    // f7 held 10 of ~1,000 rows before this commit: by key, though it now holds most of them.
    expect(refreshOf(grow, 'joined')).toMatchObject({ mode: 'keys', keys: 1 });
    expect(await snapshot(p.dir)).toEqual(await cleanBuild());
    await write('replace', big(17));
    const o = await go();
    expect(refreshOf(o, 'per_path')).toMatchObject({ mode: 'keys', keys: 1 });
    const r = refreshOf(o, 'joined');
    expect(r).toMatchObject({ mode: 'full', reason: { kind: 'too_many_rows', threshold: 0.3 } });
    const reason = r!.reason as { rows: number; of: number };
    expect(reason.rows / reason.of).toBeGreaterThan(0.6);
    expect(await snapshot(p.dir)).toEqual(await cleanBuild());
  });
});
