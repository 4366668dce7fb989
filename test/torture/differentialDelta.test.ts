/**
 * The differential generator's Delta half (test/helpers/differential.ts): sources that are Delta
 * tables written by relspec's writer, edited by appends, updates and deletes by key, MERGEs of
 * equal rows, overwrites and added columns. The default differential slice
 * (test/incremental/differential.test.ts) already runs Delta scenarios; this checks that the
 * generator does produce them, and runs one scenario with a Delta source to its end.
 */
import { describe, expect, it } from 'vitest';
import { Rand, applyRandomStep, formatDiff, generateModel, invalidity, runScenario, writeProject } from '../helpers/differential.js';
import { createTempTree } from '../helpers/tempTree.js';

describe('differential generator: Delta sources', () => {
  it('about 40% of sources are Delta tables (with a rid key), and the model stays valid', () => {
    let delta = 0;
    let all = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const m = generateModel(new Rand(seed));
      expect(invalidity(m)).toBeNull();
      for (const s of m.sources) {
        all++;
        if (s.delta) {
          delta++;
          expect(s.columns.map((c) => c.name)).toEqual(['k', 'v', 'g', 'note', 'rid']);
          expect(new Set(s.delta.rows.map((r) => r[4])).size).toBe(s.delta.rows.length);
        }
      }
    }
    expect(delta / all).toBeGreaterThan(0.25);
    expect(delta / all).toBeLessThan(0.6);
    // Without Delta the generator is the parquet-only one.
    expect(generateModel(new Rand(5), { delta: false }).sources.every((s) => !s.delta)).toBe(true);
  });

  it('steps cover every kind of Delta commit', { timeout: 120_000 }, async () => {
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 60 && kinds.size < 11; seed++) {
      const r = new Rand(seed);
      const m = generateModel(r);
      if (!m.sources.some((s) => s.delta)) continue;
      const tree = createTempTree({}, { prefix: 'relspec-diffgen-' });
      const dir = tree.root;
      try {
        await writeProject(dir, m);
        for (let i = 0; i < 12; i++) {
          const step = await applyRandomStep(r, m, dir, false);
          if (step.kind.startsWith('delta_')) kinds.add(step.kind);
        }
      } finally {
        tree.dispose();
      }
    }
    expect([...kinds].sort()).toEqual([
      'delta_add_column',
      'delta_delete',
      'delta_insert',
      'delta_keys',
      'delta_merge_same',
      'delta_output_schema',
      'delta_output_switch',
      'delta_overwrite',
      'delta_rewritten_commit',
      'delta_unread',
      'delta_update',
    ]);
  });

  it(
    'scenarios with a commit completed after it was read, and with schema changes of a delta output: every step equals a clean build',
    { timeout: 400_000 },
    async () => {
      // The steps depend on the seed alone (runs draw nothing): find seeds by applying steps without runs.
      const STEPS = 10;
      const completes = (d: string) => d.includes('complete the half-written commit');
      const schema = (d: string) => /delta output \S+: (add|drop|change) column/.test(d);
      const found: { completes?: number; schema?: number } = {};
      for (let seed = 300; seed < 400 && (found.completes === undefined || found.schema === undefined); seed++) {
        const r = new Rand(seed);
        const m = generateModel(r);
        const tree = createTempTree({}, { prefix: 'relspec-diffgen-' });
        const dir = tree.root;
        try {
          await writeProject(dir, m);
          const ds: string[] = [];
          for (let i = 0; i < STEPS; i++) ds.push((await applyRandomStep(r, m, dir)).description);
          if (ds.some(completes)) found.completes ??= seed;
          if (ds.some(schema)) found.schema ??= seed;
        } finally {
          tree.dispose();
        }
      }
      expect(found.completes).toBeDefined();
      expect(found.schema).toBeDefined();
      for (const [what, seed] of Object.entries(found)) {
        const res = await runScenario({ seed: seed!, steps: STEPS });
        console.log(`${what} seed ${seed}: ${res.log.map((l) => l.kind).join(', ')}`);
        expect(res.diffs.map(formatDiff)).toEqual([]);
        expect(res.log.some((l) => (what === 'completes' ? completes : schema)(l.action))).toBe(true);
      }
    },
  );

  it('a scenario over a Delta source: every step equals a clean build', { timeout: 180_000 }, async () => {
    const seed = [...Array(50).keys()]
      .map((i) => 200 + i)
      .find((s) => generateModel(new Rand(s)).sources.filter((x) => x.delta).length >= 2)!;
    const res = await runScenario({ seed, steps: 8 });
    const deltaSteps = res.log.filter((l) => l.kind.startsWith('delta_')).length;
    console.log(
      `seed ${seed}: ${res.sources} sources, ${res.tasks} tasks, ${res.stepsRun} steps (${deltaSteps} Delta commits) in ${(res.ms / 1000).toFixed(1)}s`,
    );
    expect(res.diffs.map(formatDiff)).toEqual([]);
    expect(res.stepsRun).toBe(8);
  });
});
