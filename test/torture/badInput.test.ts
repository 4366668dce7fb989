/**
 * The bad input catalog (badInputs.ts): its npm-test slice runs a sample of the kinds through
 * `relspec run --json` and a few through one real `relspec watch`; `npm run torture` (or
 * RELSPEC_BAD_INPUT=all) runs every kind both ways where marked.
 */
import { describe, expect, it } from 'vitest';
import { CATALOG, runCatalog, runWatchCatalog } from './badInputs.js';

const ALL = process.env.RELSPEC_BAD_INPUT === 'all';
/** A sample across task files, file sources, Delta and the config. */
const SLICE = new Set([
  'unparsable SQL',
  'an empty task file (an existing task emptied)',
  'an output name clashing with a source',
  'a runtime SQL error: a bad cast of the data',
  'a CSV with a ragged row',
  'a truncated Delta commit line',
  'a Delta data file missing (vacuumed)',
  'an unknown config key',
  'a truncated relspec.sqlite (cut to half)',
]);
const WATCH_SLICE = new Set([
  'a bad header option (@materialize banana) on an existing task',
  'a corrupt parquet file',
  'an unsupported Delta feature',
  'a config syntax error',
]);

describe('bad input catalog', () => {
  it('has at least 30 kinds, each with a code, a file, a message shape and a fix', () => {
    expect(CATALOG.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CATALOG.map((c) => c.kind)).size).toBe(CATALOG.length);
    for (const c of CATALOG) {
      expect(c.code).toMatch(/^E_[A-Z_]+$/);
      expect(c.file).not.toBe('');
    }
    for (const k of [...SLICE, ...WATCH_SLICE]) expect(CATALOG.some((c) => c.kind === k)).toBe(true);
  });

  it(
    `${ALL ? 'every kind' : `${SLICE.size} kinds`} through relspec run --json: clear error, others proceed, nothing lost, recovery`,
    { timeout: 60_000 + (ALL ? CATALOG.length : SLICE.size) * 20_000 },
    async () => {
      const r = await runCatalog({ only: ALL ? undefined : (c) => SLICE.has(c.kind), log: (l) => console.log(l) });
      expect(r.results.length).toBe(ALL ? CATALOG.length : SLICE.size);
      expect(r.results.filter((x) => x.problems.length > 0).map((x) => `${x.kind}: ${x.problems.join('; ')}`)).toEqual([]);
    },
  );

  it(
    `${ALL ? 'the watch subset' : `${WATCH_SLICE.size} kinds`} through one relspec watch: logged, fixed, recovered, the daemon stays up`,
    { timeout: 120_000 },
    async () => {
      const r = await runWatchCatalog({ only: ALL ? (c) => c.watch === true : (c) => WATCH_SLICE.has(c.kind), log: (l) => console.log(l) });
      expect(r.results.filter((x) => x.problems.length > 0).map((x) => `${x.kind}: ${x.problems.join('; ')}`)).toEqual([]);
      expect(r.daemonExit).toBe('exit 0');
    },
  );
});
