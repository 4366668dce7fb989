import { existsSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { spawnCli, spawnDaemon, isReady, type DaemonProc, type Proc } from '../helpers/process.js';
import { events, parseUiLine, request, until, type UiAddress } from './httpHelpers.js';

/**
 * The page's API through real servers and real requests: `relspec ui` over a state directory, and
 * `relspec watch` serving the same while it builds. Needs dist/ (npm test builds it first).
 */
const CONFIG = `export default { sources: { people: { format: 'csv', path: 'data/people.csv' } }, watch: { debounceMs: 50 } }`;
const people = (n: number) => 'id,name\n' + Array.from({ length: n }, (_, i) => `${i},p${i}`).join('\n') + '\n';
const FILES = {
  'watch.config.ts': CONFIG,
  'data/people.csv': people(3),
  'tasks/names.sql': 'select id, upper(name) as name from people',
  'tasks/cnt.sql': 'select count(*) as n from names',
};
const cliJson = (p: TempProject, args: string[]): unknown => {
  const r = p.cli([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

/** Every listening TCP socket on `port`, as its local address in /proc/net notation (Linux). */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((f) =>
    existsSync(f)
      ? readFileSync(f, 'utf8')
          .split('\n')
          .slice(1)
          .map((l) => l.trim().split(/\s+/))
          .filter((c) => c[1]?.endsWith(`:${hexPort}`) && c[3] === '0A')
          .map((c) => c[1]!.split(':')[0]!)
      : [],
  );
}

const refused = (host: string, port: number) =>
  new Promise<string>((resolve) => {
    const s = net.connect({ host, port });
    s.on('connect', () => (s.destroy(), resolve('connected')));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });

describe('relspec ui: the API over a state directory', () => {
  let p: TempProject;
  let ui: Proc;
  let addr: UiAddress;

  beforeAll(async () => {
    p = tempProject(FILES);
    expect(p.cli(['run']).code).toBe(0);
    ui = spawnCli(p.dir, ['ui']);
    const i = await ui.waitLine((l) => l.startsWith('[ui] '), 0, 30_000);
    expect(i, ui.stderr()).toBeGreaterThanOrEqual(0);
    addr = parseUiLine(ui.lines[i]!);
  }, 60_000);
  afterAll(async () => {
    await ui?.stop();
    p?.cleanup();
  });

  it('prints its URL and writes it, with its pid, to state/daemon.json (mode 0600)', () => {
    const file = path.join(p.dir, 'state/daemon.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url: addr.url, port: addr.port, token: addr.token, pid: ui.pid });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('answers 401 without a token or with a wrong one, on the API and the page', async () => {
    // One character off; not 'x' + the rest, which is the token itself when it starts with 'x' (1 in 64).
    const wrong = (addr.token[0] === 'x' ? 'y' : 'x') + addr.token.slice(1);
    for (const pathname of ['/api/status', '/api/graph', '/api/runs', '/api/why/cnt', '/api/events', '/']) {
      expect((await request(addr, pathname, { token: null })).status, pathname).toBe(401);
      expect((await request(addr, pathname, { token: wrong })).status, pathname).toBe(401);
    }
    expect((await request(addr, `/api/status?token=wrong`, { token: null })).status).toBe(401);
    const q = await request(addr, '/api/query', { method: 'POST', token: null, body: { sql: 'select 1' } });
    expect(q.status).toBe(401);
    expect(q.json()).toMatchObject({ error: { code: 'E_AUTH' } });
    // The page takes it from its URL.
    const page = await request(addr, `/?token=${addr.token}`, { token: null });
    expect(page.status).toBe(200);
    expect(page.body.toString()).toContain('<svg id="graph"');
  });

  it('answers 403 to a Host other than 127.0.0.1 or localhost with its port (DNS rebinding), token or not', async () => {
    for (const host of ['evil.example', `evil.example:${addr.port}`, `127.0.0.1:${addr.port + 1}`, '127.0.0.1', `0.0.0.0:${addr.port}`]) {
      const r = await request(addr, '/api/status', { host });
      expect(r.status, host).toBe(403);
      expect(r.json(), host).toMatchObject({ error: { code: 'E_FORBIDDEN' } });
    }
    expect((await request(addr, '/api/status', { host: `localhost:${addr.port}` })).status).toBe(200);
  });

  it('sends no CORS headers, not even to a preflight', async () => {
    const headers = { origin: 'http://evil.example', 'access-control-request-method': 'POST' };
    for (const r of [await request(addr, '/api/status', { headers }), await request(addr, '/api/query', { method: 'OPTIONS', headers })]) {
      expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
  });

  it('listens on the loopback address only', async () => {
    if (existsSync('/proc/net/tcp')) expect(listeners(addr.port)).toEqual(['0100007F']);
    const external = Object.values(os.networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === 'IPv4')
      .map((a) => a!.address);
    for (const host of external) expect(await refused(host, addr.port), host).toBe('ECONNREFUSED');
  });

  it('status, why and runs are the JSON of the CLI --json', async () => {
    expect((await request(addr, '/api/status')).json()).toEqual(cliJson(p, ['status']));
    expect((await request(addr, '/api/why/cnt')).json()).toEqual(cliJson(p, ['why', 'cnt']));
    expect((await request(addr, '/api/why/cnt?run=1')).json()).toEqual(cliJson(p, ['why', 'cnt', '--run', '1']));
    expect((await request(addr, '/api/runs')).json()).toEqual(cliJson(p, ['history']));
    const run = (await request(addr, '/api/runs/1')).json<{ runId: number; tasks: { task: string; status: string }[] }>();
    expect(run).toMatchObject((cliJson(p, ['history']) as { runs: object[] }).runs.at(-1)!);
    expect(run.tasks.map((t) => [t.task, t.status])).toEqual([
      ['names', 'built'],
      ['cnt', 'built'],
    ]);
    expect((await request(addr, '/api/runs/99')).status).toBe(404);
    expect((await request(addr, '/api/why/nope')).json()).toMatchObject({ error: { code: 'E_SELECT' } });
  });

  it('why as text is what the CLI prints', async () => {
    const { lines } = (await request(addr, '/api/why/cnt?format=text')).json<{ lines: string[] }>();
    expect(lines.join('\n') + '\n').toBe(p.cli(['why', 'cnt']).stdout);
  });

  it('the graph carries each task last status; a task its SQL and required columns', async () => {
    const g = (await request(addr, '/api/graph')).json<{ nodes: object[]; status: Record<string, object>; running: string[] }>();
    expect(g).toMatchObject(JSON.parse(p.cli(['graph', '--format', 'json']).stdout) as object);
    expect(g.status).toMatchObject({ cnt: { lastStatus: 'built', lastRun: 1, state: 'fresh' }, names: { lastStatus: 'built' } });
    expect(g.running).toEqual([]);
    expect((await request(addr, '/api/tasks/names')).json()).toMatchObject({
      task: 'names',
      output: 'names',
      sql: 'select id, upper(name) as name from people',
      inputs: [{ name: 'people', columns: ['id', 'name'] }],
    });
  });

  it('a query answers as `relspec query --json` does, or as an Arrow IPC stream', async () => {
    const sql = 'select id, name, id * 1.5 as x, id > 0 as pos from names order by id';
    const r = await request(addr, '/api/query', { method: 'POST', body: { sql } });
    expect(r.status).toBe(200);
    expect(r.json()).toEqual(cliJson(p, ['query', sql]));
    const a = await request(addr, '/api/query', {
      method: 'POST',
      body: { sql },
      headers: { accept: 'application/vnd.apache.arrow.stream' },
    });
    expect(a.headers['content-type']).toBe('application/vnd.apache.arrow.stream');
    const t = tableFromIPC(a.body);
    expect(t.schema.fields.map((f) => [f.name, String(f.type)])).toEqual([
      ['id', 'Int64'],
      ['name', 'Utf8'],
      ['x', 'Utf8'],
      ['pos', 'Bool'],
    ]);
    expect(t.toArray().map((row) => ({ ...row.toJSON() }))).toEqual([
      { id: 0n, name: 'P0', x: '0.0', pos: false },
      { id: 1n, name: 'P1', x: '1.5', pos: true },
      { id: 2n, name: 'P2', x: '3.0', pos: true },
    ]);
  });

  it('refuses anything but one read-only query with 400 E_QUERY, and nothing changes', async () => {
    const before = p.cli(['show', 'names']).stdout;
    const attached = path.join(p.dir, 'other.duckdb');
    for (const sql of [
      'drop table names',
      'insert into names values (9, 9)',
      'create table t as select 1',
      `attach '${attached}' as other`,
      'delete from names',
      'select 1; drop table names',
      "copy names to 'out.csv'",
    ]) {
      const r = await request(addr, '/api/query', { method: 'POST', body: { sql } });
      expect(r.status, sql).toBe(400);
      expect(r.json(), sql).toMatchObject({ error: { code: 'E_QUERY' } });
    }
    expect((await request(addr, '/api/query', { method: 'POST', body: { nosql: 1 } })).status).toBe(400);
    expect(p.cli(['show', 'names']).stdout).toBe(before);
    expect(existsSync(attached)).toBe(false);
    expect(existsSync(path.join(p.dir, 'out.csv'))).toBe(false);
    expect((await request(addr, '/api/runs')).json<{ runs: unknown[] }>().runs).toHaveLength(1);
  });

  it('serves the page assets from the package', async () => {
    for (const name of ['app.js', 'style.css', 'dagre.min.js']) {
      const r = await request(addr, `/assets/${name}`, { token: null });
      expect(r.status, name).toBe(200);
      expect(r.body.length).toBeGreaterThan(100);
    }
    expect((await request(addr, '/assets/nope.js', { token: null })).status).toBe(404);
  });

  // Last: it adds a run.
  it('a run by another process reaches the page as a run_finished event', async () => {
    const sse = events(addr);
    await sse.opened;
    p.write('data/people.csv', people(4));
    expect(p.cli(['run']).code).toBe(0);
    await until(() => sse.items.some((e) => e.event === 'run_finished'), 'run_finished', 10_000);
    sse.close();
    expect(sse.items.find((e) => e.event === 'run_finished')!.data).toMatchObject({
      runId: 2,
      status: 'ok',
      trigger: 'cli',
      summary: { built: 2 },
    });
  });
});

describe('relspec watch serves the page and API while it builds', () => {
  let p: TempProject;
  let d: DaemonProc;
  beforeAll(() => {
    p = tempProject(FILES);
  });
  afterAll(async () => {
    await d?.stop();
    p?.cleanup();
  });

  it('prints the URL, streams run and task events, answers queries as of the last run, and removes daemon.json at stop', async () => {
    d = spawnDaemon(p.dir);
    await d.waitFor(isReady, { timeoutMs: 60_000 });
    const line = d.entries.find((e) => e.tag === 'ui' && e.event === 'listening')!;
    const addr = parseUiLine(`[ui] ${String(line.message)}`);
    expect(JSON.parse(readFileSync(path.join(p.dir, 'state/daemon.json'), 'utf8'))).toMatchObject({
      port: addr.port,
      token: addr.token,
      pid: d.pid,
    });
    expect((await request(addr, '/api/status', { token: null })).status).toBe(401);
    expect((await request(addr, '/api/status')).json()).toEqual(cliJson(p, ['status']));

    const sse = events(addr);
    await sse.opened;
    const m = d.entries.length;
    p.write('data/people.csv', people(5));
    await d.nextRun(m, 20_000);
    await until(() => sse.items.some((e) => e.event === 'run_finished'), 'run_finished');
    sse.close();
    const kinds = sse.items.map((e) => [e.event, e.data.task ?? e.data.trigger ?? null]);
    expect(kinds).toEqual([
      ['hello', null],
      ['run_started', 'watch'],
      ['task_started', 'names'],
      ['task_finished', 'names'],
      ['task_started', 'cnt'],
      ['task_finished', 'cnt'],
      ['run_finished', 'watch'],
    ]);
    expect(sse.items[3]!.data).toMatchObject({ status: 'built', rows: 5, causes: ['input_changed'] });
    expect(sse.items[6]!.data).toMatchObject({ status: 'ok', summary: { built: 2 } });

    const q = await request(addr, '/api/query', { method: 'POST', body: { sql: 'select n from cnt' } });
    expect(q.json()).toMatchObject({ rows: [['5']], asOfRun: 2, running: false });
    const refusedQuery = await request(addr, '/api/query', { method: 'POST', body: { sql: 'drop table cnt' } });
    expect(refusedQuery.status).toBe(400);
    expect((await request(addr, '/api/query', { method: 'POST', body: { sql: 'select n from cnt' } })).json()).toMatchObject({
      rows: [['5']],
    });

    await d.stop();
    expect(existsSync(path.join(p.dir, 'state/daemon.json'))).toBe(false);
    expect(await refused('127.0.0.1', addr.port)).toBe('ECONNREFUSED');
  }, 90_000);
});
