import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { run } from '../src/incremental/run.js';
import { setConcurrency } from './engine.js';
import { generateProject } from './gen.js';
import type { Row } from './report.js';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** A wide graph: N tasks that each read sources only (aggregates, a join, a window), so all are ready at once. */
function writeWideTasks(dir: string, n: number): void {
  rmSync(path.join(dir, 'tasks'), { recursive: true, force: true });
  mkdirSync(path.join(dir, 'tasks'), { recursive: true });
  for (let i = 0; i < n; i++) {
    const sql = [
      `select user_id % ${7 + (i % 13)} as k, sum(amount) as v, kind as g, count(*) as n from events where id % ${2 + (i % 5)} <> 0 group by all`,
      `select o.user_id as k, sum(o.amount * u.tier) as v, u.g from orders o join (select user_id, max(tier) as tier, min(country) as g from users group by user_id) u using (user_id) where o.qty > ${i % 50} group by all`,
      `select user_id as k, avg(amount) over (partition by kind order by id rows between ${1 + (i % 4)} preceding and current row) as v, kind as g from events where id % ${3 + (i % 7)} = 0`,
    ][i % 3]!;
    writeFileSync(path.join(dir, 'tasks', `w${String(i).padStart(5, '0')}.sql`), `${sql}\n`);
  }
}

/**
 * issue 15 part 1: a cold build of N independent tasks at engine.concurrency 1 against the default
 * (the CPU count), fresh state each time, alternating which goes first; median of `reps`.
 */
export async function benchWideConcurrency(n: number, reps: number, rows: number, log: (s: string) => void): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), `relspec-bench-wide-${n}-`));
  try {
    await generateProject({ dir, tasks: 0, seed: 5, rows });
    writeWideTasks(dir, n);
    const configPath = path.join(dir, 'watch.config.ts');
    const cpus = availableParallelism();
    const times: Record<'one' | 'dflt', number[]> = { one: [], dflt: [] };
    for (let i = 0; i < reps; i++) {
      for (const which of i % 2 === 0 ? (['one', 'dflt'] as const) : (['dflt', 'one'] as const)) {
        setConcurrency(configPath, which === 'one' ? 1 : undefined);
        rmSync(path.join(dir, 'state'), { recursive: true, force: true });
        const t0 = performance.now();
        const out = await run({ configPath });
        const ms = performance.now() - t0;
        const built = out.tasks.filter((t) => t.status === 'built').length;
        if (built !== n) throw new Error(`wide graph: ${built}/${n} built (${out.tasks.find((t) => t.error)?.error ?? ''})`);
        times[which].push(ms);
        log(`  rep ${i + 1}: concurrency ${which === 'one' ? 1 : `${cpus} (default)`}: ${ms.toFixed(0)} ms`);
      }
    }
    const [one, dflt] = [median(times.one), median(times.dflt)];
    const k = n >= 1000 ? `${n / 1000}k` : String(n);
    const of = reps > 1 ? `, median of ${reps}` : '';
    return [
      {
        metric: `wide graph, ${k} independent tasks over ${rows.toLocaleString('en')}-row sources: cold build at concurrency 1 / default (${cpus} CPUs)`,
        value: one / dflt,
        unit: '×',
        anchor: 'speed-up; at most the CPU count',
      },
      { metric: `  cold build at engine.concurrency 1${of}`, value: one, unit: 'ms' },
      { metric: `  cold build at the default engine.concurrency (${cpus})${of}`, value: dflt, unit: 'ms' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
