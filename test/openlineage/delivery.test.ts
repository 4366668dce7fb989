import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Delivery, type RunEvent } from '../../src/openlineage/index.js';
import { resolveConfig } from '../../src/config/validate.js';
import { createTempTree } from '../helpers/tempTree.js';

/** A real local endpoint: answers each POST with the next status of `statuses` (then 200), keeps the bodies. */
async function endpoint(statuses: number[] = [], delayMs = 0) {
  const bodies: RunEvent[] = [];
  let posts = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      posts++;
      const status = statuses.shift() ?? 200;
      if (status === 200) bodies.push(JSON.parse(body) as RunEvent);
      setTimeout(() => res.writeHead(status, { 'content-type': 'application/json' }).end('{}'), delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/lineage`;
  servers.push(server);
  return { url, bodies, posts: () => posts };
}
const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const event = (n: number): RunEvent => ({
  eventType: 'COMPLETE',
  eventTime: new Date(0).toISOString(),
  producer: 'https://github.com/relspec/relspec',
  schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
  run: { runId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}` },
  job: { namespace: 'relspec', name: `t${n}` },
  inputs: [],
  outputs: [],
});

describe('Delivery', () => {
  it('500 twice then 200: the event arrives, two retries counted, nothing failed', async () => {
    const ep = await endpoint([500, 500]);
    const d = new Delivery({ url: ep.url, backoffMs: 5 });
    d.emit(event(1));
    d.emit(event(2));
    const counts = await d.flush(2000);
    expect(counts).toEqual({ sent: 2, failed: 0, dropped: 0, retries: 2 });
    expect(ep.bodies.map((e) => e.job.name)).toEqual(['t1', 't2']);
    expect(ep.posts()).toBe(4);
  });

  it('a server that keeps failing: the event is counted failed after maxAttempts, with the last error', async () => {
    const ep = await endpoint([503, 503, 503]);
    const errors: string[] = [];
    const d = new Delivery({ url: ep.url, backoffMs: 1, maxAttempts: 3, onError: (m) => errors.push(m) });
    d.emit(event(1));
    const counts = await d.flush(2000);
    expect(counts).toMatchObject({ sent: 0, failed: 1, retries: 2, lastError: expect.stringContaining('HTTP 503') });
    expect(errors).toHaveLength(1);
  });

  it('a dead URL never throws: emit returns at once, flush gives up within its deadline', async () => {
    const ep = await endpoint();
    const dead = ep.url; // closed below: connections are refused
    await new Promise((r) => servers.pop()!.close(r));
    const d = new Delivery({ url: dead, backoffMs: 50 });
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) d.emit(event(i));
    expect(performance.now() - t0).toBeLessThan(50);
    const counts = await d.flush(300);
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(counts.sent).toBe(0);
    expect(counts.failed + counts.dropped).toBe(5);
    expect(counts.lastError).toMatch(/ECONNREFUSED|not delivered/);
  });

  it('the queue is bounded: overflow drops the oldest and counts them', async () => {
    const ep = await endpoint([], 30); // slow: the queue fills while the first POST waits
    const d = new Delivery({ url: ep.url, maxQueue: 3 });
    for (let i = 0; i < 10; i++) d.emit(event(i));
    const counts = await d.flush(2000);
    expect(counts.dropped).toBe(6);
    expect(counts.sent).toBe(4);
    // The first was already on the wire; of the rest, the newest three were kept.
    expect(ep.bodies.map((e) => e.job.name)).toEqual(['t0', 't7', 't8', 't9']);
  });

  it('the file sink appends one JSON line per event', async () => {
    const tree = createTempTree({});
    try {
      const file = path.join(tree.root, 'out/lineage.jsonl');
      const d = new Delivery({ file });
      d.emit(event(1));
      d.emit(event(2));
      expect(await d.flush(100)).toMatchObject({ sent: 2, failed: 0 });
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as RunEvent).job.name)).toEqual(['t1', 't2']);
    } finally {
      tree.dispose();
    }
  });
});

describe('openlineage config', () => {
  const errorsOf = (raw: unknown): string => {
    try {
      resolveConfig(raw, '/p', 'cfg.ts');
      return '';
    } catch (e) {
      return String((e as Error).message);
    }
  };
  it('resolves file against the config directory and fills defaults; absent url and file: no events', () => {
    const c = resolveConfig({ openlineage: { file: 'ol/events.jsonl' } }, '/proj', '/proj/watch.config.ts');
    expect(c.openlineage).toEqual({ file: path.resolve('/proj/ol/events.jsonl'), namespace: 'relspec', emitSkipped: false });
    expect(resolveConfig({ openlineage: { namespace: 'x' } }, '/proj').openlineage).toBeUndefined();
  });
  it('rejects a url that is not http(s) and names a mistyped key', () => {
    expect(errorsOf({ openlineage: { url: 'ftp://host/x' } })).toContain('openlineage.url');
    expect(errorsOf({ openlineage: { url: 'http://localhost:5000/api/v1/lineage' } })).toBe('');
    expect(errorsOf({ openlineage: { emitSkiped: true, file: 'x' } })).toContain("did you mean 'openlineage.emitSkipped'");
  });
});
