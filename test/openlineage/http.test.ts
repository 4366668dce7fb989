import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../src/incremental/run.js';
import type { RunEvent } from '../../src/openlineage/index.js';
import { tempProject, type TempProject } from '../helpers/project.js';
import { specPresent, specValidator } from './spec.js';

/**
 * Real runs delivering to a real local endpoint (node:http, port 0). run() is awaited in this process so
 * the server can answer while the run sends; `relspec status` is the built CLI (`npx tsc -p tsconfig.json`).
 */
let p: TempProject;
const servers: http.Server[] = [];
afterEach(async () => {
  p?.cleanup();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function endpoint(statuses: number[] = []) {
  const bodies: RunEvent[] = [];
  let posts = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      posts++;
      const status = statuses.shift() ?? 200;
      if (status === 200) {
        expect(req.headers['content-type']).toBe('application/json');
        bodies.push(JSON.parse(body) as RunEvent);
      }
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/lineage`, bodies, posts: () => posts };
}

async function project(url: string) {
  p = tempProject({
    'watch.config.ts': `export default { sources: { orders: { format: 'parquet', path: 'data/orders.parquet' } }, openlineage: { url: '${url}' } };\n`,
    'tasks/totals.sql': 'select customer_id, sum(amount) as total from orders group by all\n',
    'tasks/top.sql': 'select customer_id from totals order by total desc limit 1\n',
    'tasks/bad.sql': "select error('boom') as x from orders\n",
  });
  await p.parquet('data/orders.parquet', 'select range as id, range % 3 as customer_id, range::DOUBLE as amount from range(10)');
}

describe('OpenLineage over HTTP', () => {
  it('500 twice then 200: every event arrives (valid against the spec), the retries are counted in status', async () => {
    const ep = await endpoint([500, 500]);
    await project(ep.url);
    const out = await run({ configPath: 'watch.config.ts', cwd: p.dir });
    expect(out.status).toBe('failed'); // bad
    expect(out.lineage).toEqual({ sent: 6, failed: 0, dropped: 0, retries: 2 });
    expect(ep.posts()).toBe(8);
    expect(ep.bodies.map((e) => `${e.job.name} ${e.eventType}`).sort()).toEqual([
      'bad FAIL',
      'bad START',
      'top COMPLETE',
      'top START',
      'totals COMPLETE',
      'totals START',
    ]);
    if (specPresent) {
      const validate = specValidator();
      expect(ep.bodies.flatMap((e) => validate(e))).toEqual([]);
    }
    const st = JSON.parse(p.cli(['status', '--json']).stdout) as { openlineage?: unknown };
    expect(st.openlineage).toEqual({ sent: 6, failed: 0, dropped: 0, retries: 2 });
  });

  it('a dead URL: the run succeeds as it would without it, one warning line, status shows the failures', async () => {
    const ep = await endpoint();
    await new Promise((r) => servers.pop()!.close(r)); // nothing listens there now
    await project(ep.url);
    p.rm('tasks/bad.sql');
    const t0 = performance.now();
    const r = p.cli(['run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/built/);
    expect(r.stderr.match(/W_OPENLINEAGE/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/ECONNREFUSED/);
    // The ~2 s flush limit plus the run (not every retry's backoff); loose: a loaded machine is slow.
    expect(performance.now() - t0).toBeLessThan(30_000);
    const st = JSON.parse(p.cli(['status', '--json']).stdout) as {
      openlineage: { sent: number; failed: number; dropped: number; lastError: string };
    };
    expect(st.openlineage.sent).toBe(0);
    expect(st.openlineage.failed + st.openlineage.dropped).toBe(4);
    expect(st.openlineage.lastError).toMatch(/ECONNREFUSED/);
    expect(p.cli(['status']).stdout).toMatch(/^openlineage: 0 sent, \d+ failed, \d+ dropped/m);
  });
});
