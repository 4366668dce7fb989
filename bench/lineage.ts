import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { descendants, generations, graphSignature, sourceId } from '../src/graph/index.js';
import { loadProject } from '../src/project/load.js';
import { openStateDb } from '../src/state/db.js';
import { generateProject } from './gen.js';
import type { Row } from './report.js';

const time = async <T>(fn: () => Promise<T> | T): Promise<[T, number]> => {
  const t = performance.now();
  const v = await fn();
  return [v, performance.now() - t];
};

/** Cold and warm lineage + graph build, and graph operations, on a synthetic project of N tasks. */
export async function benchLineage(n: number, log: (s: string) => void, reuse?: (dir: string) => Promise<void>): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), `relspec-bench-${n}-`));
  try {
    await generateProject({ dir, tasks: n, seed: 7 });
    const cfg = path.join(dir, 'watch.config.ts');
    const db = openStateDb(path.join(dir, 'state'));
    const [cold, coldMs] = await time(() => loadProject({ configPath: cfg, db }));
    if (cold.errors.length > 0) throw new Error(`synthetic project has errors: ${cold.errors[0]!.oneLine()}`);
    log(
      `  ${n} tasks cold: ${coldMs.toFixed(0)} ms (${JSON.stringify(cold.timings, (_, v) => (typeof v === 'number' ? Math.round(v) : v))}) stats ${JSON.stringify(cold.lineage.stats)}`,
    );
    db.close();
    const db2 = openStateDb(path.join(dir, 'state'));
    const [warm, warmMs] = await time(() => loadProject({ configPath: cfg, db: db2 }));
    db2.close();
    log(`  ${n} tasks warm: ${warmMs.toFixed(0)} ms stats ${JSON.stringify(warm.lineage.stats)}`);
    const g = warm.graph;
    const [gens, genMs] = await time(() => generations(g));
    const [desc, descMs] = await time(() => descendants(g, [sourceId('events')]));
    const [, sigMs] = await time(() => graphSignature(g));
    log(`  ${n} tasks: ${gens.length} generations, ${desc.size} descendants of events`);
    const k = n >= 1000 ? `${n / 1000}k` : String(n);
    // The project and its lineage cache stay for the next bench (invalidation at this size).
    await reuse?.(dir);
    return [
      {
        metric: `lineage + graph, cold, ${k} tasks`,
        value: coldMs,
        unit: 'ms',
        goal: n === 10000 ? '≤ 1 s' : undefined,
        ok: n === 10000 ? coldMs <= 1000 : undefined,
        anchor: n >= 10000 ? 'dbt Rust parser: 10k models parsed < 600 ms (no column lineage)' : undefined,
      },
      { metric: `  of which column lineage (DESCRIBE + EXPLAIN), cold, ${k}`, value: cold.timings.lineageMs, unit: 'ms' },
      { metric: `lineage + graph, warm (cached), ${k} tasks`, value: warmMs, unit: 'ms', anchor: 'no EXPLAIN on restart' },
      { metric: `generations, ${k} tasks`, value: genMs, unit: 'ms' },
      { metric: `descendants of a source, ${k} tasks (${desc.size} found)`, value: descMs, unit: 'ms' },
      { metric: `graph signature, ${k} tasks`, value: sigMs, unit: 'ms' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
