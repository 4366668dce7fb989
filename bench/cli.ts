import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Row } from './report.js';

const CLI = path.resolve(import.meta.dirname, '../bin/relspec.js');
// The child reports its own CPU time (user + system, µs) on exit: what start-up costs the machine, not only the wall clock.
const CPU_PROBE = `data:text/javascript,process.on('exit',()=>process.stderr.write('cpu '+JSON.stringify(process.cpuUsage())+'\\n'))`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function sample(args: string[], runs: number): { wallMs: number; cpuMs: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, ['--import', CPU_PROBE, ...args], { encoding: 'utf8' });
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
