import { spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/incremental/run.js';
import { Warehouse } from '../../src/engine/warehouse.js';
import { writingMark } from '../../src/incremental/keyedRefresh.js';
import type { Refresh } from '../../src/records/types.js';
import { EVENTS_CONFIG, createEvents, writeEvents } from '../helpers/keyedEvents.js';
import { CLI, tempProject, type TempProject } from '../helpers/project.js';
import { copyWithoutState, stateRows } from '../helpers/warehouse.js';

/**
 * A key-scoped write killed (SIGKILL) by a real `relspec run` process: the next run cannot trust the
 * stored trace (the output may hold the new rows of the changed keys under the old tokens), so it
 * refreshes that task in full with reason `interrupted_write`, its outputs and tokens equal a clean
 * build, the mark is cleared, and the next change is key-scoped again.
 *
 * The kill point: the process is killed as soon as the state shows the task's `writing:` mark,
 * which is set just before the keyed write and cleared in the transaction that stores its trace
 * (keyedBuild.ts, build.ts). One key holds most of the rows (300k), so that window is the delete and
 * insert of those rows in DuckDB: about 2 s here, ample for a 5 ms poll to land in it.
 */
let p: TempProject;
const BIG = 300_000;

/** Ten keys: `k0` with BIG rows, k1…k9 with ten each; `salt` changes the values. */
const rowsOf = (keys: readonly number[], salt: number) =>
  `SELECT 'k' || k AS path, i::BIGINT AS line, ((k * 7 + i * ${salt}) % 97)::INTEGER AS v
   FROM unnest([${keys.join(',')}]) u(k), range(CASE WHEN k = 0 THEN ${BIG} ELSE 10 END) r(i)`;
const replace = (keys: readonly number[], salt: number) => writeEvents(p.dir, 'replace', rowsOf(keys, salt));

const OUTPUTS = ['per_line', 'per_path'];

function runJson(): Map<string, Refresh | undefined> {
  const r = p.cli(['run', '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout) as { tasks: { task: string; refresh?: Refresh }[] };
  return new Map(out.tasks.map((t) => [t.task, t.refresh]));
}

/** Per output a row count and an order-independent hash of its rows, and every output's tokens. */
async function snapshot(dir: string) {
  const wh = await Warehouse.open(path.join(dir, 'state'));
  const rows: Record<string, unknown> = {};
  try {
    for (const t of OUTPUTS) {
      rows[t] = (await wh.conn.runAndReadAll(`SELECT count(*), sum(hash(COLUMNS(*))::HUGEINT) FROM ${t}`)).getRowsJson();
    }
  } finally {
    wh.close();
  }
  const tokens = stateRows<{ name: string; tokens: string }>(dir, `SELECT name, tokens FROM evidence WHERE kind = 'output' ORDER BY name`);
  return { rows, tokens: Object.fromEntries(tokens.map((t) => [t.name, JSON.parse(t.tokens) as unknown])) };
}

async function expectEqualToClean() {
  const copy = copyWithoutState(p.dir);
  expect((await run({ configPath: 'watch.config.ts', cwd: copy })).status).toBe('ok');
  expect(await snapshot(p.dir)).toEqual(await snapshot(copy));
}

const mark = (task: string) =>
  stateRows<{ value: string }>(p.dir, `SELECT value FROM meta WHERE key = '${writingMark(task)}'`)[0]?.value ?? '';

/** Starts `relspec run` and SIGKILLs it the moment `task`'s write mark is set; resolves when it is dead. */
async function killDuringWrite(task: string): Promise<{ signal: NodeJS.Signals | null; sawMark: boolean }> {
  const child = spawn(process.execPath, [CLI, 'run'], { cwd: p.dir, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  let done = false;
  void exited.then(() => (done = true));
  const db = new Database(path.join(p.dir, 'state/relspec.sqlite'), { readonly: true, fileMustExist: true });
  const q = db.prepare(`SELECT value FROM meta WHERE key = ?`);
  let sawMark = false;
  try {
    while (!done && !sawMark) {
      sawMark = ((q.get(writingMark(task)) as { value: string } | undefined)?.value ?? '') !== '';
      if (sawMark) child.kill('SIGKILL');
      else await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    db.close();
  }
  return { signal: await exited, sawMark };
}

beforeAll(async () => {
  p = tempProject({
    'watch.config.ts': EVENTS_CONFIG,
    // Both key-scoped on path: per_line on the source, per_path on per_line (its change rows). The
    // declared key keeps per_line on path (else the finest proven key, line, would be chosen).
    'tasks/per_line.sql': '-- @key path\nselect path, line, v * 2 as w, hash(path, line, v) as h from events',
    'tasks/per_path.sql': 'select path, count(*) as n, sum(w) as total from per_line group by path',
  });
  await createEvents(p.dir, rowsOf([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3));
  const cold = runJson();
  expect(cold.get('per_line')).toMatchObject({ mode: 'full', key: ['path'], of: 10, reason: { kind: 'first_build' } });
});
afterAll(() => p.cleanup());

describe('a key-scoped write killed by SIGKILL', () => {
  it('the next run refreshes that task in full (interrupted_write), equal to a clean build; the mark is cleared', async () => {
    // One key of ten: per_line refreshes by key, rewriting k0's 300k rows.
    await replace([0], 5);
    const killed = await killDuringWrite('per_line');
    expect(killed).toEqual({ signal: 'SIGKILL', sawMark: true });
    expect(mark('per_line')).not.toBe('');

    const next = runJson();
    expect(next.get('per_line')).toMatchObject({ mode: 'full', key: ['path'], of: 10, reason: { kind: 'interrupted_write' } });
    // Its upstream refreshed in full: per_path has no change rows to follow.
    expect(next.get('per_path')).toMatchObject({ mode: 'full', reason: { kind: 'changes_unknown', input: 'per_line' } });
    expect(mark('per_line')).toBe('');
    await expectEqualToClean();
  });

  it('a third change is key-scoped again', async () => {
    await replace([3], 11);
    const next = runJson();
    expect(next.get('per_line')).toMatchObject({ mode: 'keys', key: ['path'], keys: 1, of: 10, rows: 10 });
    expect(next.get('per_path')).toMatchObject({ mode: 'keys', key: ['path'], keys: 1, of: 10, rows: 1 });
    await expectEqualToClean();
  });
});
