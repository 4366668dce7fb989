import { existsSync, rmSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { commitInfo, metaData, protocol, tableBuilder } from '../delta/builder.js';
import { scrub, tempProject, type TempProject } from '../helpers/project.js';

/**
 * Pinned Delta sources (`options.version` / `options.timestamp`) through the real CLI: a hand-built
 * table whose commit files carry chosen mtimes (the commit timestamps without In-Commit Timestamps).
 */
let inst: DuckDBInstance;
let conn: DuckDBConnection;
let t: ReturnType<typeof tableBuilder>;
let p: TempProject;

const DAY = (d: number) => new Date(Date.UTC(2024, 0, d));
const config = (options: string) =>
  `export default { sources: { items: { format: 'delta', path: ${JSON.stringify(t.dir)}, options: ${options} } } }`;

/** Commit `v` adding the row id = v + 1, committed at 2024-01-(v+1) 00:00 UTC. */
async function commit(v: number): Promise<void> {
  const file = await t.file(`part-${v}.parquet`, `select ${v + 1}::BIGINT as id`);
  t.log(v, [...(v === 0 ? [protocol(1, 2), metaData([['id', 'long']])] : []), commitInfo(v === 0 ? 'CREATE TABLE' : 'WRITE'), file]);
  const f = path.join(t.dir, '_delta_log', `${String(v).padStart(20, '0')}.json`);
  utimesSync(f, DAY(v + 1), DAY(v + 1));
}

const run = () => p.cli(['run']);
const total = () => {
  const r = p.cli(['show', 'total', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { rows: { n: string; s: string }[] }).rows[0];
};
const err = (r: { stderr: string }) => scrub(r.stderr.trim(), t.dir);

beforeAll(async () => {
  inst = await DuckDBInstance.create(':memory:');
  conn = await inst.connect();
  t = tableBuilder(conn);
  for (let v = 0; v <= 2; v++) await commit(v);
  p = tempProject({
    'watch.config.ts': config('{ version: 1 }'),
    'tasks/total.sql': 'select count(*)::BIGINT as n, sum(id)::BIGINT as s from items',
  });
});
afterAll(() => {
  t.cleanup();
  p.cleanup();
  conn.closeSync();
  inst.closeSync();
});

describe('a pinned Delta source', () => {
  it('reads the pinned version, and keeps reading it after the table moves on', async () => {
    const first = run();
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(total()).toEqual({ n: '2', s: '3' });
    await commit(3);
    const again = run();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toMatch(/built=1/);
    expect(total()).toEqual({ n: '2', s: '3' });
    expect(p.cli(['why', 'total']).stdout).not.toMatch(/delta:items@3/);
  });

  it('an edited pin rebuilds with the source change from the old version to the new', () => {
    p.write('watch.config.ts', config('{ version: 2 }'));
    const r = run();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/built=1/);
    expect(total()).toEqual({ n: '3', s: '6' });
    const why = p.cli(['why', 'total', '--json']);
    expect(why.code, why.stderr).toBe(0);
    expect(why.stdout).toContain('delta:items@2');
    expect(JSON.stringify(JSON.parse(why.stdout))).toMatch(/"fromVersion":1,"toVersion":2/);
  });

  it('a timestamp pin reads the latest commit at or before it', () => {
    p.write('watch.config.ts', config("{ timestamp: '2024-01-02T12:00:00Z' }"));
    expect(run().code).toBe(0);
    expect(total()).toEqual({ n: '2', s: '3' }); // version 1, committed 2024-01-02
    p.write('watch.config.ts', config("{ timestamp: '2024-01-03' }")); // exactly version 2's commit time, UTC
    expect(run().code).toBe(0);
    expect(total()).toEqual({ n: '3', s: '6' });
  });

  it('a pin moved back to an older version rebuilds from that version', () => {
    p.write('watch.config.ts', config('{ version: 1 }'));
    const r = run();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/built=1/);
    expect(total()).toEqual({ n: '2', s: '3' });
  });

  it('out-of-range pins: one line, exit 2, the range and the fix', () => {
    p.write('watch.config.ts', config('{ version: 9 }'));
    let r = run();
    expect(r.code).toBe(2);
    expect(err(r)).toMatchInlineSnapshot(
      `"error E_CONFIG <dir>: sources.items.options.version 9 is past the latest version 3 of Delta table <dir> (available: versions 0 to 3) — set sources.items.options.version to a version between 0 and 3"`,
    );
    p.write('watch.config.ts', config("{ timestamp: '2023-12-31T00:00:00Z' }"));
    r = run();
    expect(r.code).toBe(2);
    expect(err(r)).toMatchInlineSnapshot(
      `"error E_CONFIG <dir>: sources.items.options.timestamp 2023-12-31T00:00:00Z is before the oldest retained commit of Delta table <dir> (available: 2024-01-01T00:00:00.000Z (version 0) to 2024-01-04T00:00:00.000Z (version 3)) — set sources.items.options.timestamp between 2024-01-01T00:00:00.000Z and 2024-01-04T00:00:00.000Z, or pin a version"`,
    );
    p.write('watch.config.ts', config("{ timestamp: '2024-02-01T00:00:00Z' }"));
    r = run();
    expect(r.code).toBe(2);
    expect(err(r)).toMatch(
      /timestamp 2024-02-01T00:00:00Z is after the latest commit of Delta table <dir> \(available: .* \(version 3\)\)/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a pin before the oldest version the retained log rebuilds', async () => {
    // A checkpoint at version 2, then commits 0 and 1 removed (metadata cleanup).
    const adds = [];
    for (let v = 0; v <= 2; v++) adds.push(await t.file(`part-${v}.parquet`, `select ${v + 1}::BIGINT as id`));
    await t.checkpoint(2, [protocol(1, 2), metaData([['id', 'long']]), ...adds]);
    for (const v of [0, 1]) rmSync(path.join(t.dir, '_delta_log', `${String(v).padStart(20, '0')}.json`));
    p.write('watch.config.ts', config('{ version: 1 }'));
    const r = run();
    expect(r.code).toBe(2);
    expect(err(r)).toMatchInlineSnapshot(
      `"error E_CONFIG <dir>: sources.items.options.version 1 is before the oldest version the retained log of Delta table <dir> rebuilds (available: versions 2 to 3; older commits were removed by metadata cleanup) — set sources.items.options.version to a version between 2 and 3"`,
    );
    p.write('watch.config.ts', config('{ version: 2 }'));
    expect(run().code).toBe(0);
    expect(total()).toEqual({ n: '3', s: '6' });
  });
});

describe('relspec delta inspect --timestamp', () => {
  it('resolves like a timestamp pin', () => {
    const r = p.cli(['delta', 'inspect', t.dir, '--timestamp', '2024-01-03T23:59:59Z', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ version: 2, timestamp: '2024-01-03T00:00:00.000Z', numRows: 3 });
    const bad = p.cli(['delta', 'inspect', t.dir, '--timestamp', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(err(bad)).toMatchInlineSnapshot(
      `"relspec: E_USAGE <dir>: --timestamp "yesterday" is not an ISO-8601 timestamp — e.g. 2024-05-01T12:00:00Z"`,
    );
    const both = p.cli(['delta', 'inspect', t.dir, '--timestamp', '2024-01-03', '--version', '1']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--version and --timestamp both given/);
  });
});

const ICT_TABLE = path.resolve(import.meta.dirname, '../../../shared/delta-corpus/delta-rs/data/cdc_ict_table');
const ictPresent = existsSync(ICT_TABLE);
if (!ictPresent) console.log(`skipping the In-Commit Timestamps pin test: ${ICT_TABLE} is absent`);

describe.skipIf(!ictPresent)('a timestamp pin on a table with In-Commit Timestamps', () => {
  // The corpus copy's mtimes are its extraction time (2026-12); only commitInfo.inCommitTimestamp
  // places the commits in July 2026, so these resolve only if ICT is used. Version 1's ICT is
  // back-dated to 2023 on purpose (CDF-EXPECTED.md): the latest commit at or before a July instant is still chosen by ICT.
  const inspect = (ts: string) => p.cli(['delta', 'inspect', ICT_TABLE, '--timestamp', ts, '--json']);
  it.each([
    ['2026-07-12T16:36:52.175Z', 2],
    ['2026-07-12T16:36:53Z', 2],
    ['2026-07-12T16:36:53.881Z', 3],
  ])('%s → version %i', (ts, version) => {
    const r = inspect(ts);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ version });
  });
  it('an instant before the first commit (by ICT) is an error naming the ICT range', () => {
    const r = inspect('2026-07-12T16:36:40Z');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('available: 2026-07-12T16:36:43.271Z (version 0) to 2026-07-12T16:36:53.881Z (version 3)');
  });
  it('a source pinned by timestamp reads that version', () => {
    const q = tempProject({
      'watch.config.ts': `export default { sources: { ict: { format: 'delta', path: ${JSON.stringify(ICT_TABLE)}, options: { timestamp: '2026-07-12T16:36:53Z' } } } }`,
      'tasks/n.sql': 'select count(*)::BIGINT as n from ict',
    });
    try {
      expect(q.cli(['run']).code).toBe(0);
      const rows = (JSON.parse(q.cli(['show', 'n', '--json']).stdout) as { rows: { n: string }[] }).rows;
      expect(rows).toEqual([{ n: '2' }]); // catalog.json: 2 rows at version 2
    } finally {
      q.cleanup();
    }
  });
});
