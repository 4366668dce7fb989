import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnWatch, type LogLine } from './daemon.js';
import { generateProject } from './gen.js';
import type { Row } from './report.js';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))]!;
const cpuTicks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (100 Hz)
};

/**
 * Change-to-fresh latency of `relspec watch`: from a write to a source file until the last output of
 * a 5-task chain is committed (its `built` log line, written after the trace), over `edits` edits;
 * then idle CPU of the daemon over `idleSeconds`.
 */
export async function benchWatch(log: (s: string) => void, edits = 50, idleSeconds = 60): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'relspec-bench-watch-'));
  mkdirSync(path.join(dir, 'tasks'));
  mkdirSync(path.join(dir, 'data'));
  writeFileSync(path.join(dir, 'watch.config.ts'), `export default { sources: { src: { format: 'csv', path: 'data/src.csv' } } }\n`);
  const csv = (i: number) => 'k,v\n' + Array.from({ length: 100 }, (_, k) => `${k},${k * i}`).join('\n') + '\n';
  writeFileSync(path.join(dir, 'data/src.csv'), csv(0));
  for (let i = 1; i <= 5; i++)
    writeFileSync(path.join(dir, 'tasks', `t${i}.sql`), `select k, v + 1 as v from ${i === 1 ? 'src' : `t${i - 1}`}\n`);
  const d = spawnWatch(dir);
  const next = async (test: (e: LogLine) => boolean, ms?: number) => (await d.next(test, ms)).at;
  try {
    await next((e) => String(e.message ?? '').startsWith('watching'), 60_000);
    const latencies: number[] = [];
    for (let i = 1; i <= edits; i++) {
      const done = next((e) => e.event === 'built' && e.task === 't5');
      const finished = next((e) => e.tag === 'run' && e.event === 'finished');
      const t0 = performance.now();
      writeFileSync(path.join(dir, 'data/src.csv'), csv(i));
      latencies.push((await done) - t0);
      await finished;
    }
    await new Promise((r) => setTimeout(r, 2000));
    const before = cpuTicks(d.child.pid!);
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const idleCpu = (cpuTicks(d.child.pid!) - before) / 100 / idleSeconds;
    log(
      `  watch: ${edits} edits, p50 ${pct(latencies, 0.5).toFixed(0)} ms, p95 ${pct(latencies, 0.95).toFixed(0)} ms; idle CPU ${(idleCpu * 100).toFixed(2)}% over ${idleSeconds} s`,
    );
    return [
      {
        metric: `watch: change → fresh, 5-task chain, p50 over ${edits} edits (debounce 100 ms)`,
        value: pct(latencies, 0.5),
        unit: 'ms',
        goal: '≤ 300 ms',
        ok: pct(latencies, 0.5) <= 300,
      },
      { metric: `watch: change → fresh, p95`, value: pct(latencies, 0.95), unit: 'ms' },
      { metric: `watch: idle CPU over ${idleSeconds} s`, value: idleCpu * 100, unit: '%', goal: '≈ 0', ok: idleCpu < 0.005 },
    ];
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** RSS of a fresh process holding a loaded project of `n` tasks (config, lineage, graph). */
export async function benchRss(n: number, log: (s: string) => void): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'relspec-bench-rss-'));
  try {
    await generateProject({ dir, tasks: n, seed: 3, rows: 100 });
    const script = `
      const { loadProject } = await import(${JSON.stringify(path.resolve(import.meta.dirname, '../dist/project/load.js'))});
      const { openStateDb } = await import(${JSON.stringify(path.resolve(import.meta.dirname, '../dist/state/db.js'))});
      const db = openStateDb(${JSON.stringify(path.join(dir, 'state'))});
      const t = performance.now();
      const p = await loadProject({ configPath: ${JSON.stringify(path.join(dir, 'watch.config.ts'))}, db });
      globalThis.gc?.();
      console.log(JSON.stringify({ rss: process.memoryUsage().rss, ms: performance.now() - t, tasks: p.tasks.length }));`;
    const runOnce = () =>
      JSON.parse(
        spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' })
          .stdout.trim()
          .split('\n')
          .pop()!,
      ) as { rss: number; ms: number; tasks: number };
    runOnce(); // cold: fills the lineage cache
    const warm = runOnce();
    log(`  rss: ${warm.tasks} tasks loaded (warm) in ${warm.ms.toFixed(0)} ms, RSS ${(warm.rss / 2 ** 20).toFixed(0)} MiB`);
    return [
      { metric: `RSS with ${n / 1000}k tasks loaded (config, lineage, graph)`, value: warm.rss / 2 ** 20, unit: 'MiB' },
      { metric: `warm restart: load ${n / 1000}k tasks from the lineage cache`, value: warm.ms, unit: 'ms' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
