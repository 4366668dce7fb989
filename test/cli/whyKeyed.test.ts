import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_CONFIG, createEvents, writeEvents } from '../helpers/keyedEvents.js';
import { scrub, tempProject, type TempProject } from '../helpers/project.js';

/**
 * `relspec why` on key-scoped refreshes, each CLI call a separate process (from dist/: build first):
 * a refresh by key says how many keys of how many and the rows it recomputed; a refresh in full
 * says why (too many changed keys, or the proof's refusal of the task).
 *
 *   events (Delta, 10 paths) → per_path (key path) → top (LIMIT), odd (join not on the key),
 *                                                      doubled (a declared key the proof refuses)
 */
let p: TempProject;

const rowsOf = (keys: readonly number[], salt: number) =>
  `SELECT 'src/f' || k || '.ts' AS path, i::BIGINT AS line, ((k * 7 + i * ${salt}) % 97)::INTEGER AS v
   FROM unnest([${keys.join(',')}]) u(k), range(10) r(i)`;
const replace = (keys: readonly number[], salt: number) => writeEvents(p.dir, 'replace', rowsOf(keys, salt));

const cli = (...args: string[]) => {
  const r = p.cli(args);
  return { ...r, stdout: scrub(r.stdout, p.dir), stderr: scrub(r.stderr, p.dir) };
};
const runCli = () => {
  const r = cli('run');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
};
/** Change tokens (`10 rows #a1b2c3d4`) vary with DuckDB's hash: scrub them, keeping the row count. */
const why = (task: string) => {
  const r = cli('why', task);
  expect(r.code).toBe(0);
  return r.stdout.replace(/ #[0-9a-f]{8}\b/g, ' #<tok>').replace(/\b[0-9a-f]{12}\b/g, '<fp>');
};

beforeAll(async () => {
  p = tempProject({
    'watch.config.ts': EVENTS_CONFIG,
    'tasks/per_path.sql': 'select path, count(*) as n, sum(v) as total from events group by path',
    'tasks/top.sql': 'select path, total from per_path order by total desc, path limit 3',
    'tasks/odd.sql': 'select e.path, e.v, p.path as peer from events e join per_path p on p.n = e.line + 1',
    'tasks/doubled.sql': '-- @key t2\nselect path, total * 2 as t2 from per_path',
  });
  await createEvents(p.dir, rowsOf([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3));
  runCli();
});
afterAll(() => p.cleanup());

describe('relspec why after key-scoped refreshes', () => {
  it('one key of ten changed: per_path refreshed 1 of 10 keys; the others in full with the refusal', async () => {
    await replace([4], 5);
    runCli();
    expect(why('per_path')).toMatchInlineSnapshot(`
      "per_path was built in run 2 because:
        input events(path, v) changed 100 rows #<tok> → 100 rows #<tok>
          ← source events changed: Delta version 1 → 2 (1 commit: MERGE; 10 inserted, 10 deleted, 0 updated)
        refreshed 1 of 10 keys (path), 1 row recomputed
      "
    `);
    expect(why('top')).toMatchInlineSnapshot(`
      "top was built in run 2 because:
        input per_path(path, total) changed 10 rows #<tok> → 10 rows #<tok>
          ← per_path was built in run 2 because:
            input events(path, v) changed 100 rows #<tok> → 100 rows #<tok>
              ← source events changed: Delta version 1 → 2 (1 commit: MERGE; 10 inserted, 10 deleted, 0 updated)
            refreshed 1 of 10 keys (path), 1 row recomputed
        refreshed in full: not key-scoped: LIMIT reads other keys
      "
    `);
    expect(why('odd')).toMatchInlineSnapshot(`
      "odd was built in run 2 because:
        input events(line, path, v) changed 100 rows #<tok> → 100 rows #<tok>
          ← source events changed: Delta version 1 → 2 (1 commit: MERGE; 10 inserted, 10 deleted, 0 updated)
        refreshed in full: not key-scoped: inner join, not on the key
      "
    `);
    expect(why('doubled')).toMatchInlineSnapshot(`
      "doubled was built in run 2 because:
        input per_path(path, total) changed 10 rows #<tok> → 10 rows #<tok>
          ← per_path was built in run 2 because:
            input events(path, v) changed 100 rows #<tok> → 100 rows #<tok>
              ← source events changed: Delta version 1 → 2 (1 commit: MERGE; 10 inserted, 10 deleted, 0 updated)
            refreshed 1 of 10 keys (path), 1 row recomputed
        refreshed in full: the declared key (t2) does not hold: t2 is not carried unchanged from every input
      "
    `);
  });

  it('four keys of ten changed: per_path refreshed in full, too many keys', async () => {
    await replace([1, 2, 3, 4], 7);
    runCli();
    expect(why('per_path')).toMatchInlineSnapshot(`
      "per_path was built in run 3 because:
        input events(path, v) changed 100 rows #<tok> → 100 rows #<tok>
          ← source events changed: Delta version 2 → 3 (1 commit: MERGE; 40 inserted, 40 deleted, 0 updated)
        refreshed in full: 4 of 10 keys changed (over 30%: a full refresh is cheaper)
      "
    `);
  });
});
