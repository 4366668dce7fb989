import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Row } from './report.js';
import { pct, people, startServed, writeSmallProject, type UiAddress } from './serve.js';

/** Wall-clock time in ms with sub-millisecond resolution, on the clock the daemon's ISO times use. */
const nowMs = () => performance.timeOrigin + performance.now();

interface Arrival {
  event: string;
  data: Record<string, unknown>;
  at: number;
}

/** `/api/events` with the Bearer token, each event stamped with its arrival time as its chunk is read. */
function subscribe(ui: UiAddress, onEvent: (a: Arrival) => void): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port: ui.port,
        path: '/api/events',
        headers: { host: `127.0.0.1:${ui.port}`, authorization: `Bearer ${ui.token}`, accept: 'text/event-stream' },
      },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`/api/events answered ${res.statusCode}`));
        let buf = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          const at = nowMs();
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data) onEvent({ event, data: JSON.parse(data) as Record<string, unknown>, at });
          }
        });
        resolve(req);
      },
    );
    req.on('error', reject);
  });
}

/**
 * Delay from a task finishing to its `task_finished` event on /api/events: `edits` source edits on
 * a 3-task project under `relspec watch`, every built task's event arrival (this process's clock)
 * minus the `time` it carries, which the daemon stamps as run() reports the task done (the same
 * moment its `--json-log` line is written). Same machine, same wall clock.
 */
export async function benchSseDelay(log: (s: string) => void, edits: number): Promise<Row[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'relspec-bench-sse-'));
  try {
    writeSmallProject(dir);
    const s = await startServed(dir);
    const delays: number[] = [];
    let waiter: { runs: number; resolve: () => void } | undefined;
    let runsSeen = 0;
    const req = await subscribe(s.ui, (a) => {
      if (a.event === 'task_finished' && a.data.status === 'built') delays.push(a.at - Date.parse(String(a.data.time)));
      if (a.event === 'run_finished' && ++runsSeen === waiter?.runs) waiter.resolve();
    });
    try {
      log(`  SSE: ${edits} source edits, 3 tasks built each`);
      for (let i = 1; i <= edits; i++) {
        const done = new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('no run_finished event within 30 s of an edit')), 30_000);
          waiter = { runs: runsSeen + 1, resolve: () => (clearTimeout(t), resolve()) };
        });
        writeFileSync(path.join(dir, 'data', 'people.csv'), people(100 + i));
        await done;
      }
    } finally {
      req.destroy();
      await s.d.stop();
    }
    if (delays.length === 0) throw new Error('no task_finished events arrived');
    log(`  SSE delay: median ${pct(delays, 0.5).toFixed(2)} ms, p90 ${pct(delays, 0.9).toFixed(2)} ms over ${delays.length} events`);
    return [
      {
        metric: `task finished → its SSE event on /api/events, median of ${delays.length} events`,
        value: pct(delays, 0.5),
        unit: 'ms',
        anchor: `p90 ${pct(delays, 0.9).toFixed(2)} ms; the event's own time is whole ms, so up to 1 ms is rounding`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
