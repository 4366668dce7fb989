import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSnapshot, snapshotQuery } from '../../src/delta/index.js';
import { writerTag } from '../../src/delta/write/owner.js';
import { parquetFiles as listParquet, referencedFiles } from '../helpers/deltaFiles.js';
import { tempProject, withDuck } from '../helpers/project.js';
import { sleep, spawnCli } from '../helpers/process.js';

/**
 * Issue 11 item 10: a `relspec run` SIGKILLed while it writes a `@materialize delta` output leaves
 * part files no commit references. The next commit to that table removes exactly those — not the
 * removed files time travel still reads, not the change data files, not the files of a writer that
 * is still running, not a recent file another engine may be about to commit.
 */

const ROWS = 2_000_000;
const p = tempProject({
  'watch.config.ts': 'export default { sources: {} }',
  'tasks/big.sql': `-- @materialize delta\nselect r as id, (hash(r + 0) % 1000000)::BIGINT as h from range(${ROWS}) t(r)`,
});
afterAll(() => p.cleanup());
const table = path.join(p.dir, 'state/outputs/big');

const parquetFiles = () => listParquet(table);
const referenced = () => referencedFiles(table);
const versions = () => readdirSync(path.join(table, '_delta_log')).filter((n) => /^\d{20}\.json$/.test(n)).length;
let edit = 0;
const editTask = () =>
  p.write('tasks/big.sql', `-- @materialize delta\nselect r as id, (hash(r + ${++edit}) % 1000000)::BIGINT as h from range(${ROWS}) t(r)`);

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('orphaned data files of killed Delta output writes', () => {
  it('a run killed mid-write leaves unreferenced part files; the next commit removes exactly those', { timeout: 300_000 }, async () => {
    expect(p.cli(['run']).code).toBe(0);
    let orphans: string[] = [];
    // Kill as soon as a new part file appears (the write is under way, the commit not yet made).
    for (let attempt = 0; attempt < 8 && orphans.length === 0; attempt++) {
      editTask();
      const before = new Set(parquetFiles());
      const proc = spawnCli(p.dir, ['run']);
      while (!proc.done() && !parquetFiles().some((f) => !before.has(f))) await sleep(2);
      await sleep(attempt * 20);
      await proc.kill9();
      const refs = referenced();
      orphans = parquetFiles().filter((f) => !refs.has(f));
    }
    expect(orphans.length).toBeGreaterThan(0);

    // Files the sweep must keep although no commit names them: a live writer's, a recent foreign one.
    const sleeper = spawn('sleep', ['120']);
    const [host] = /^w([0-9a-f]{8})x/.exec(writerTag())!.slice(1);
    const live = p.write(`state/outputs/big/part-${randomUUID()}-w${host}x${sleeper.pid}.parquet`, 'not yet committed');
    const foreign = p.write(`state/outputs/big/part-00000-${randomUUID()}-c000.snappy.parquet`, 'another engine, still writing');
    const dead = p.write(`state/outputs/big/_change_data/cdc-${randomUUID()}-w${host}x${deadPid()}.parquet`, 'a dead writer');
    try {
      const keep = [...referenced()].filter((f) => statSync(f, { throwIfNoEntry: false }));
      const versionsBefore = versions();
      const r = p.cli(['run']);
      expect(r.code).toBe(0);
      expect(versions()).toBeGreaterThan(versionsBefore);
      const now = new Set(parquetFiles());
      for (const f of [...orphans, dead]) expect(now.has(f), `${f} removed`).toBe(false);
      for (const f of [...keep, live, foreign]) expect(now.has(f), `${f} kept`).toBe(true);
      // Exactly: what is left is what some commit names, plus the two files whose writers may be running.
      const refs = referenced();
      expect([...now].filter((f) => !refs.has(f)).sort()).toEqual([live, foreign].sort());
    } finally {
      sleeper.kill('SIGKILL');
    }

    // Every version still reads back (time travel over the removed files).
    const n = versions();
    await withDuck(async (c) => {
      for (let v = 1; v < n; v++) {
        const snap = await loadSnapshot(c, table, { version: v });
        const rows = (await c.runAndReadAll(`SELECT count(*) FROM (${await snapshotQuery(c, snap)})`)).getRows();
        expect(Number(rows[0]![0]), `version ${v}`).toBe(ROWS);
      }
    });
  });

  it('a rebuild that commits nothing (same rows) still sweeps', async () => {
    const [host] = /^w([0-9a-f]{8})x/.exec(writerTag())!.slice(1);
    const dead = p.write(`state/outputs/big/part-${randomUUID()}-w${host}x${deadPid()}.parquet`, 'a dead writer');
    const v = versions();
    // A semantic edit (the plan changes) with the same rows: the output is rebuilt, nothing committed.
    p.write(
      'tasks/big.sql',
      `-- @materialize delta\nselect * from (select r as id, (hash(r + ${edit}) % 1000000)::BIGINT as h from range(${ROWS}) t(r)) where true`,
    );
    expect(p.cli(['run']).code).toBe(0);
    expect(versions()).toBe(v);
    expect(statSync(dead, { throwIfNoEntry: false })).toBeUndefined();
  });

  it('a file whose owner cannot be known is removed once older than the retention, like VACUUM would', async () => {
    const old = p.write(`state/outputs/big/part-00001-${randomUUID()}-c000.snappy.parquet`, 'old foreign leftover');
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000);
    utimesSync(old, eightDaysAgo, eightDaysAgo);
    editTask();
    expect(p.cli(['run']).code).toBe(0);
    expect(statSync(old, { throwIfNoEntry: false })).toBeUndefined();
  });
});
