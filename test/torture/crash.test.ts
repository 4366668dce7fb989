/**
 * The crash torture's npm-test slice: a few seeded SIGKILLs of real `relspec run` / `relspec watch`
 * processes (see crash.ts). The full suite (200 kills) runs in `npm run torture`; widen this one with
 *   RELSPEC_CRASH_KILLS=40 RELSPEC_CRASH_SEED=7 npx vitest run test/torture/crash.test.ts
 */
import { describe, expect, it } from 'vitest';
import { KILL_MODES, runCrashSuite } from './crash.js';

// Seed 11's first three cycles: 4 kills over run-heavy, run-random, watch-startup and run-sqlite.
const KILLS = Number(process.env.RELSPEC_CRASH_KILLS ?? 4);
const SEED = Number(process.env.RELSPEC_CRASH_SEED ?? 11);

describe('crash torture (slice)', () => {
  it(
    `${KILLS} SIGKILLs from seed ${SEED}: every restart converges to a clean build, status and history stay consistent`,
    { timeout: 60_000 + KILLS * 30_000 },
    async () => {
      const s = await runCrashSuite({ kills: KILLS, seed: SEED, log: (l) => console.log(l) });
      console.log(
        `crash slice: ${s.kills} kills (${Object.entries(s.byMode)
          .map(([m, n]) => `${m} ${n}`)
          .join(
            ', ',
          )}), ${s.missed} missed, ${s.cycles} cycles, ${s.crashedRuns} runs recorded as crashed, ${s.corruptions} corruptions in ${(s.ms / 1000).toFixed(1)}s`,
      );
      expect(s.problems).toEqual([]);
      expect(s.corruptions).toBe(0);
      expect(s.kills).toBe(KILLS);
      // The kills did hit runs: some were recorded, and closed as crashed by the next process.
      expect(s.crashedRuns).toBeGreaterThan(0);
    },
  );

  it('knows its kill moments', () => {
    expect(KILL_MODES).toEqual(['run-random', 'run-heavy', 'run-sqlite', 'watch-startup', 'watch-edit']);
  });
});
