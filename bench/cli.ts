import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Row } from './report.js';

const CLI = path.resolve(import.meta.dirname, '../bin/relspec.js');
// The child reports its own CPU time (user + system, µs) on exit: what start-up costs the machine, not only the wall clock.
const CPU_PROBE = `data:text/javascript,process.on('exit',()=>process.stderr.write('cpu '+JSON.stringify(process.cpuUsage())+'\\n'))`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function sample(args: string[], runs: number, cwd?: string): { wallMs: number; cpuMs: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, ['--import', CPU_PROBE, ...args], { encoding: 'utf8', cwd });
    wall.push(performance.now() - t);
    const m = /^cpu (.*)$/m.exec(r.stderr);
    if (!m) throw new Error(`no CPU report from ${args.join(' ')}: ${r.stderr}`);
    const u = JSON.parse(m[1]!) as { user: number; system: number };
    cpu.push((u.user + u.system) / 1000);
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

/**
 * `relspec --help` start-up (real process, dist/ build): the commands are lazy-imported, so help
 * loads neither DuckDB nor TypeScript. Bare `node` start-up is the floor it is compared with.
 */
export function benchCliStartup(log: (s: string) => void, runs: number): Row[] {
  log(`  node start-up and relspec --help, ${runs} runs each`);
  const node = sample(['-e', '0'], runs);
  const help = sample([CLI, '--help'], runs);
  const anchor = `bare node: ${node.wallMs.toFixed(0)} ms wall, ${node.cpuMs.toFixed(0)} ms CPU; median of ${runs}`;
  return [
    { metric: 'relspec --help, wall', value: help.wallMs, unit: 'ms', anchor },
    {
      metric: '  relspec --help, CPU (user + system)',
      value: help.cpuMs,
      unit: 'ms',
      anchor: 'eager imports (DuckDB, TypeScript) cost ~1 s',
    },
  ];
}

/**
 * The SQLite read commands on a small state (one source, three tasks, one run), each against bare
 * `node -e 0` in the same run: the target is 3× (issue 13: "a fast CLI").
 */
export function benchCliReads(log: (s: string) => void, runs: number): Row[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'relspec-bench-cli-'));
  try {
    mkdirSync(path.join(dir, 'tasks'));
    mkdirSync(path.join(dir, 'data'));
    writeFileSync(path.join(dir, 'data', 'orders.csv'), 'id,amount\n1,10\n2,20\n');
    writeFileSync(path.join(dir, 'tasks', 'a.sql'), 'select id, amount from orders');
    writeFileSync(path.join(dir, 'tasks', 'b.sql'), 'select sum(amount) as total from a');
    writeFileSync(path.join(dir, 'tasks', 'c.sql'), 'select total * 2 as twice from b');
    writeFileSync(
      path.join(dir, 'watch.config.ts'),
      "export default { sources: { orders: { format: 'csv', path: 'data/*.csv' } }, tasks: 'tasks', state: 'state' };\n",
    );
    const first = spawnSync(process.execPath, [CLI, 'run'], { cwd: dir, encoding: 'utf8' });
    if (first.status !== 0) throw new Error(`relspec run failed in the bench project: ${first.stderr}`);
    log(`  relspec status / why / history on a 3-task state vs node -e 0, ${runs} runs each`);
    const node = sample(['-e', '0'], runs);
    const rows: Row[] = [];
    for (const args of [['status'], ['why', 'c'], ['history']]) {
      const r = sample([CLI, ...args], runs, dir);
      rows.push({
        metric: `relspec ${args[0]}, wall / bare node`,
        value: r.wallMs / node.wallMs,
        unit: '×',
        anchor: `${r.wallMs.toFixed(0)} ms vs ${node.wallMs.toFixed(0)} ms (median of ${runs}); target ≤ 3×`,
      });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
