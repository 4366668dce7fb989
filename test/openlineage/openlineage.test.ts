import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/openlineage/index.js';
import { CLI, tempProject, type TempProject } from '../helpers/project.js';
import { specPresent, specValidator } from './spec.js';

/**
 * OpenLineage events from real runs (issue 16 part 1), delivered to a real local HTTP server and a
 * JSON-lines file; every event is checked against the specification's JSON Schemas where ../shared has them.
 *
 *   orders.parquet → totals (customer_id, amount) → top;  bad fails at run time
 */
let p: TempProject;
let server: http.Server;
let url: string;
const received: RunEvent[] = [];
/** The next this-many POSTs answer 500. */
let failNext = 0;
let requests = 0;

const config = (u: string, extra = '') =>
  `export default { sources: { orders: { format: 'parquet', path: 'data/*.parquet' } }, openlineage: { url: '${u}', file: 'lineage/events.jsonl', namespace: 'shop'${extra} } };\n`;
const writeOrders = (amount: string, id = 'range') =>
  p.parquet('data/orders.parquet', `select ${id} as id, range % 3 as customer_id, (${amount})::DOUBLE as amount from range(10)`);
/** The CLI without blocking this process: the HTTP server above answers the child's POSTs (spawnSync would starve it). */
const cli = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: p.dir, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
const run = async () => {
  received.length = 0;
  const r = await cli(['run', '--json']);
  return {
    ...r,
    out: JSON.parse(r.stdout) as { runId: number; openlineage?: { sent: number; failed: number; dropped: number; retries: number } },
  };
};
const fileEvents = () =>
  readFileSync(path.join(p.dir, 'lineage/events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RunEvent);
const of = (task: string, type?: string) => received.filter((e) => e.job.name === task && (!type || e.eventType === type));

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests++;
      if (failNext > 0) {
        failNext--;
        res.writeHead(500).end();
        return;
      }
      received.push(JSON.parse(body) as RunEvent);
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/lineage`;
  p = tempProject({
    'watch.config.ts': config(url),
    'tasks/totals.sql': 'select customer_id, sum(amount) as total from orders group by all\n',
    'tasks/top.sql': 'select customer_id from totals order by total desc limit 1\n',
    'tasks/bad.sql': "select error('boom') as x from orders\n",
  });
  await writeOrders('range * 1.5');
});
afterAll(async () => {
  p?.cleanup();
  await new Promise((r) => server.close(r));
});

describe('events of a run', () => {
  it('START and COMPLETE (or FAIL) per task, one task-run id each, a parent run shared by all', async () => {
    const { code, out } = await run();
    expect(code).toBe(1); // bad failed
    expect(received.map((e) => `${e.job.name} ${e.eventType}`).sort()).toEqual([
      'bad FAIL',
      'bad START',
      'top COMPLETE',
      'top START',
      'totals COMPLETE',
      'totals START',
    ]);
    for (const t of ['totals', 'top', 'bad']) {
      const ids = new Set(of(t).map((e) => e.run.runId));
      expect(ids.size, t).toBe(1);
      expect([...ids][0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    const parents = new Set(received.map((e) => JSON.stringify(e.run.facets!.parent)));
    expect(parents.size).toBe(1);
    expect(received.every((e) => e.job.namespace === 'shop')).toBe(true);
    expect(out.openlineage).toMatchObject({ sent: 12, failed: 0, dropped: 0 }); // 6 by HTTP, 6 to the file
    expect(fileEvents().map((e) => e.run.runId + e.eventType)).toEqual(
      expect.arrayContaining(received.map((e) => e.run.runId + e.eventType)),
    );
  });

  it('carries datasets, schema, column lineage, versions, SQL and the error', () => {
    const [done] = of('top', 'COMPLETE');
    expect(done!.inputs.map((d) => d.name)).toEqual(['totals']);
    expect(done!.inputs[0]!.namespace).toMatch(/^duckdb:\/\/.*warehouse\.duckdb$/);
    expect(done!.outputs[0]!.facets!.schema).toMatchObject({ fields: [{ name: 'customer_id' }] });
    expect(done!.outputs[0]!.facets!.columnLineage).toMatchObject({
      fields: {
        customer_id: {
          inputFields: [
            { name: 'totals', field: 'customer_id' },
            { name: 'totals', field: 'total' },
          ],
        },
      },
      dataset: [
        { name: 'totals', field: 'customer_id', transformations: [{ type: 'INDIRECT' }] },
        { name: 'totals', field: 'total', transformations: [{ type: 'INDIRECT' }] },
      ],
    });
    expect(done!.job.facets!.sql).toMatchObject({ query: expect.stringContaining('order by total desc') });
    const [totals] = of('totals', 'COMPLETE');
    expect(totals!.inputs[0]).toMatchObject({ namespace: 'file', name: path.join(p.dir, 'data/*.parquet') });
    expect(totals!.inputs[0]!.facets!.version).toMatchObject({ datasetVersion: expect.any(String) });
    const [fail] = of('bad', 'FAIL');
    expect(fail!.run.facets!.errorMessage).toMatchObject({ message: expect.stringContaining('boom') });
  });

  it.skipIf(!specPresent)('every event (HTTP and file) is valid against the specification and its facet schemas', () => {
    const validate = specValidator();
    const events = fileEvents();
    expect(events.length).toBeGreaterThanOrEqual(6);
    for (const e of events) expect(validate(e), `${e.job.name} ${e.eventType}`).toEqual([]);
    // And the checker does catch a bad one.
    expect(validate({ ...events[0]!, eventType: 'DONE' as never, run: { runId: 'nope' } }).length).toBeGreaterThan(0);
  });
});

it('a rebuild says why: the relspec_rebuild facet has the input_changed cause with tokens and its root', async () => {
  await writeOrders('range * 2.5');
  await run();
  const [done] = of('totals', 'COMPLETE');
  const facet = done!.run.facets!.relspec_rebuild as unknown as {
    causes: { kind: string; input?: string; from?: string; to?: string; root?: string }[];
    roots: { id: string; kind: string }[];
    refresh: { mode: string; key?: string[]; of?: number; reason?: { kind: string } };
  };
  const cause = facet.causes.find((c) => c.kind === 'input_changed')!;
  expect(cause).toMatchObject({ input: 'orders', from: expect.any(String), to: expect.any(String) });
  expect(cause.from).not.toBe(cause.to);
  expect(facet.roots.map((r) => [r.id, r.kind])).toEqual([[cause.root, 'source_changed']]);
  // Key-scoped on customer_id, but a parquet source has no change rows: refreshed in full, and says so.
  expect(facet.refresh).toEqual({ mode: 'full', key: ['customer_id'], of: 3, reason: { kind: 'changes_unknown', input: 'orders' } });
  expect(of('top', 'COMPLETE')[0]!.run.facets!.relspec_rebuild).toMatchObject({ causes: [{ kind: 'input_changed', input: 'totals' }] });
});

it('skipped tasks emit nothing, unless emitSkipped: then OTHER with the cut-off', async () => {
  await writeOrders('range * 2.5', 'range + 100'); // only id changes: totals does not read it
  await run();
  expect(of('totals')).toEqual([]);
  p.write('watch.config.ts', config(url, ', emitSkipped: true'));
  await writeOrders('range * 2.5', 'range + 200');
  await run();
  const [other] = of('totals', 'OTHER');
  expect(other!.run.facets!.relspec_rebuild).toMatchObject({ skipped: { kind: 'cut_off' } });
  p.write('watch.config.ts', config(url));
});

it('delivery retries with backoff; an endpoint that is down fails nothing but is counted in status', async () => {
  failNext = 2;
  const before = requests;
  await writeOrders('range * 3.5');
  const { out } = await run();
  expect(out.openlineage).toMatchObject({ failed: 0, dropped: 0, retries: 2 });
  expect(requests - before).toBe(of('totals').length + of('top').length + of('bad').length + 2);

  const dead = http.createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const deadPort = (dead.address() as AddressInfo).port;
  await new Promise((r) => dead.close(r));
  p.write('watch.config.ts', config(`http://127.0.0.1:${deadPort}/lineage`));
  await writeOrders('range * 4.5');
  const r = await run();
  expect(r.code).toBe(1); // bad fails as before; delivery does not change the outcome
  expect(r.out.openlineage!.failed + r.out.openlineage!.dropped).toBeGreaterThan(0);
  const text = await cli(['run']);
  expect(text.stderr).toMatch(/warning W_OPENLINEAGE: \d+ events not delivered \(.*ECONNREFUSED.*\)/);
  const st = JSON.parse(p.cli(['status', '--json']).stdout) as { openlineage: { failed: number; lastError: string } };
  expect(st.openlineage.lastError).toMatch(/ECONNREFUSED/);
  expect(p.cli(['status']).stdout).toMatch(/^openlineage: \d+ sent, \d+ failed/m);
});
