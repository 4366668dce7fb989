import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Row } from './report.js';
import { pct, startServed, timedCli, writeSmallProject } from './serve.js';

const SQL = 'select count(*) from names';

/**
 * One request straight to STATE/daemon.sock (src/serve/protocol.ts: one newline-delimited JSON
 * request per connection, one answer line): the daemon's answer without a CLI process around it.
 */
function socketQuery(sock: string, sql: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c = net.createConnection(sock);
    let buf = '';
    c.setEncoding('utf8');
    c.on('connect', () => c.write(JSON.stringify({ type: 'query', sql }) + '\n'));
    c.on('data', (chunk: string) => {
      buf += chunk;
      const i = buf.indexOf('\n');
      if (i < 0) return;
      const ms = performance.now() - t0;
      c.destroy();
      const m = JSON.parse(buf.slice(0, i)) as { type: string; result?: { rows: unknown[][] } };
      if (m.type !== 'result' || m.result?.rows[0]?.[0] === undefined) reject(new Error(`unexpected answer: ${buf.slice(0, i)}`));
      else resolve(ms);
    });
    c.on('error', reject);
  });
}

async function cliQueries(dir: string, n: number, env: NodeJS.ProcessEnv): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await timedCli(dir, ['query', SQL, '--json'], env);
    if (r.code !== 0) throw new Error(`relspec query failed (${r.code}): ${r.stdout}${r.stderr}`);
    const rows = (JSON.parse(r.stdout) as { rows: unknown[][] }).rows;
    if (rows[0]?.[0] === undefined) throw new Error(`relspec query answered no count: ${r.stdout}`);
    ms.push(r.ms);
  }
  return ms;
}

/**
 * `relspec query "select count(*) from names"` on a 3-task project: n CLI processes answered by a
 * running `relspec watch` over its socket, n requests straight to the socket (the answer without
 * process start-up), then n CLI processes with no daemon (RELSPEC_NO_DAEMON=1: DuckDB opened by
 * the CLI itself), all real processes.
 */
export async function benchDaemonQuery(log: (s: string) => void, n: number): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'relspec-bench-query-'));
  try {
    writeSmallProject(dir);
    const s = await startServed(dir);
    let viaDaemon: number[];
    let socket: number[];
    try {
      log(`  relspec query through the daemon, ${n} processes`);
      viaDaemon = await cliQueries(dir, n, {});
      log(`  the same query straight to daemon.sock, ${n} requests`);
      const sock = path.join(s.stateDir, 'daemon.sock');
      await socketQuery(sock, SQL); // the first answer opens the daemon's read connection
      socket = [];
      for (let i = 0; i < n; i++) socket.push(await socketQuery(sock, SQL));
    } finally {
      await s.d.stop();
    }
    log(`  relspec query with no daemon (RELSPEC_NO_DAEMON=1), ${n} processes`);
    const direct = await cliQueries(dir, n, { RELSPEC_NO_DAEMON: '1' });
    const p50 = pct(viaDaemon, 0.5);
    const d50 = pct(direct, 0.5);
    log(
      `  query p50: daemon ${p50.toFixed(0)} ms, socket ${pct(socket, 0.5).toFixed(2)} ms, direct ${d50.toFixed(0)} ms (${(d50 / p50).toFixed(2)}×)`,
    );
    return [
      {
        metric: `relspec query through the daemon, p50 of ${n} processes`,
        value: p50,
        unit: 'ms',
        anchor: `${SQL}; 3-task project`,
      },
      { metric: '  relspec query through the daemon, p90', value: pct(viaDaemon, 0.9), unit: 'ms' },
      {
        metric: `  daemon.sock alone (no process start-up), p50 of ${n} requests`,
        value: pct(socket, 0.5),
        unit: 'ms',
        anchor: `p90 ${pct(socket, 0.9).toFixed(2)} ms`,
      },
      {
        metric: `  relspec query with no daemon (RELSPEC_NO_DAEMON=1), p50`,
        value: d50,
        unit: 'ms',
        anchor: `p90 ${pct(direct, 0.9).toFixed(0)} ms; direct / daemon ${(d50 / p50).toFixed(2)}×`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
