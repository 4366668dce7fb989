import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import type { RunEvent } from '../../src/openlineage/index.js';
import { tempProject, type TempProject } from '../helpers/project.js';
import { spawnDaemon, isReady, type DaemonProc } from '../helpers/process.js';

/**
 * The daemon keeps one delivery across runs (src/openlineage/sink.ts): a run hands its events over and
 * finishes without waiting for a slow endpoint; the events still arrive and later runs count them.
 */
let p: TempProject | undefined;
let d: DaemonProc | undefined;
const servers: http.Server[] = [];
afterEach(async () => {
  await d?.stop();
  p?.cleanup();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

it('watch: events of every run arrive at a slow endpoint, runs do not wait for it, status sums the counts', async () => {
  const bodies: RunEvent[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    // 400 ms per POST: a run of 2 events that waited for delivery would take ≥ 800 ms longer.
    req.on('end', () => setTimeout(() => (bodies.push(JSON.parse(body) as RunEvent), res.writeHead(200).end()), 400));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lineage`;
  p = tempProject({
    'watch.config.ts': `export default { sources: { a: { format: 'csv', path: 'a.csv' } }, openlineage: { url: '${url}' } };\n`,
    'a.csv': 'x\n1\n2\n',
    'tasks/t.sql': 'select sum(x) as s from a\n',
  });
  d = spawnDaemon(p.dir);
  await d.waitFor(isReady, { timeoutMs: 60_000 });
  const m = d.mark();
  p.write('a.csv', 'x\n1\n2\n3\n');
  const done = await d.nextRun(m);
  // From the watcher's batch to the run's last log line: no wait for the endpoint in between.
  const batch = d.entries.slice(m).find((e) => e.tag === 'watch' && e.event === 'batch')!;
  expect(Date.parse(done.time) - Date.parse(batch.time)).toBeLessThan(700);
  await expect.poll(() => bodies.length, { timeout: 10_000 }).toBe(4);
  expect(bodies.map((e) => `${e.job.name} ${e.eventType}`)).toEqual(['t START', 't COMPLETE', 't START', 't COMPLETE']);
  // The counts so far reach the state with the next run.
  const m2 = d.mark();
  p.write('a.csv', 'x\n5\n');
  await d.nextRun(m2);
  const st = JSON.parse(p.cli(['status', '--json']).stdout) as { openlineage: { sent: number; failed: number } };
  expect(st.openlineage.failed).toBe(0);
  expect(st.openlineage.sent).toBeGreaterThanOrEqual(4);
});
