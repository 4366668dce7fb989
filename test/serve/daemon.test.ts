import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';
import { isReady, spawnDaemon, type DaemonProc } from '../helpers/process.js';

/**
 * While `relspec watch` runs it owns the warehouse; the CLI's reads and runs go through its socket
 * (src/serve) and print what direct mode prints. Real processes: the built CLI (dist/) and daemon.
 */
const FILES = {
  'watch.config.ts': `export default {
  sources: { people: { format: 'csv', path: 'data/people.csv' } },
  watch: { debounceMs: 100 },
}`,
  'data/people.csv': 'id,name\n1,ann\n2,bob\n3,"c, d"\n',
  'tasks/names.sql': 'select id, upper(name) as name from people',
  'tasks/cnt.sql': 'select count(*) as n from people',
};

const projects: TempProject[] = [];
let d: DaemonProc | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
  for (const p of projects.splice(0)) p.cleanup();
});

function project(): TempProject {
  const p = tempProject(FILES);
  projects.push(p);
  return p;
}

/** Durations and run numbers differ between two runs; everything else must not. */
const norm = (s: string) => s.replace(/\d+\.\d+s/g, '#s').replace(/\brun \d+/g, 'run #');

/** `validate --json` reports how long each step took: the one field that may differ between two answers. */
function comparable(r: { code: number; stdout: string; stderr: string }): object {
  const timed = /"timingsMs"/.test(r.stdout) ? (JSON.parse(r.stdout) as { timingsMs?: unknown; lineage?: { ms?: unknown } }) : undefined;
  if (!timed) return r;
  delete timed.timingsMs;
  delete timed.lineage?.ms;
  return { ...r, stdout: timed };
}

const READS: string[][] = [
  ['show', 'names'],
  ['show', 'people', '--json', '--limit', '2'],
  ['plan'],
  ['graph', '--format', 'json'],
  ['graph'],
  ['validate'],
  ['validate', '--json'],
  ['lineage'],
  ['query', 'select * from names order by id', '--csv'],
  ['run', '--select', 'nope'],
];

describe('the daemon answers the CLI', () => {
  it('show, plan, graph, validate, lineage, query and run print what direct mode prints; the socket is 0600', async () => {
    const p = project();
    expect(p.cli(['run']).code).toBe(0);
    const direct = READS.map((args) => p.cli(args));
    const twin = project();
    expect(twin.cli(['run']).code).toBe(0);
    const directRun = twin.cli(['run', '--full-refresh']);

    d = spawnDaemon(p.dir);
    await d.waitFor(isReady);
    const sock = path.join(p.dir, 'state', 'daemon.sock');
    expect(statSync(sock).isSocket()).toBe(true);
    expect(statSync(sock).mode & 0o777).toBe(0o600);
    // Direct access is refused while the daemon holds the warehouse: these answers came through the socket.
    expect(p.cli(['show', 'names'], { env: { RELSPEC_NO_DAEMON: '1' } }).stderr).toMatch(/E_STATE .*cannot open the warehouse read-only/);

    READS.forEach((args, i) => {
      const r = p.cli(args);
      expect({ args, ...comparable(r) }).toEqual({ args, ...comparable(direct[i]!) });
    });

    const q = p.cli(['query', 'select id, name from names order by id', '--json']);
    expect(q.code).toBe(0);
    expect(JSON.parse(q.stdout)).toEqual({
      columns: [
        { name: 'id', type: 'BIGINT' },
        { name: 'name', type: 'VARCHAR' },
      ],
      rows: [
        ['1', 'ANN'],
        ['2', 'BOB'],
        ['3', 'C, D'],
      ],
      truncated: false,
      asOfRun: 2,
      running: false,
    });

    const m = d.mark();
    const viaDaemon = p.cli(['run', '--full-refresh']);
    expect(viaDaemon.code).toBe(directRun.code);
    expect(norm(viaDaemon.stdout)).toBe(norm(directRun.stdout));
    expect(viaDaemon.stderr).toBe(directRun.stderr);
    expect(viaDaemon.stdout).toMatch(/^run 3 ok: built=2/m);
    // The daemon ran it in its own loop and logged it like any run.
    expect(await d.nextRun(m)).toMatchObject({ trigger: 'cli', built: 2 });
  }, 180_000);

  it('a refused query through the daemon is exit 2 E_QUERY (JSON with --json) and changes nothing', async () => {
    const p = project();
    d = spawnDaemon(p.dir);
    await d.waitFor(isReady);
    const before = p.cli(['show', 'names']);
    const r = p.cli(['query', 'drop table names']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'relspec: E_QUERY refused: DROP statement — relspec query runs one read-only query: SELECT, WITH, FROM-first or VALUES\n',
    );
    const j = p.cli(['query', 'insert into names values (9, $$x$$)', '--json']);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toEqual({
      error: {
        code: 'E_QUERY',
        file: null,
        message: 'refused: INSERT statement',
        fix: 'relspec query runs one read-only query: SELECT, WITH, FROM-first or VALUES',
      },
    });
    expect(p.cli(['show', 'names'])).toEqual(before);
  });

  it('after kill -9 the CLI finds the stale socket and reads the state directly', async () => {
    const p = project();
    d = spawnDaemon(p.dir);
    await d.waitFor(isReady);
    const served = p.cli(['show', 'names']);
    expect(served.code).toBe(0);
    await d.kill9();
    d = undefined;
    expect(existsSync(path.join(p.dir, 'state', 'daemon.sock'))).toBe(true);
    expect(p.cli(['show', 'names'])).toEqual(served);
    const q = p.cli(['query', 'select count(*) as n from people']);
    expect(q).toMatchObject({ code: 0, stderr: '' });
    expect(q.stdout).toContain('(1 row; as of run 1)');
    // A new daemon removes the leftover socket and listens again.
    d = spawnDaemon(p.dir);
    await d.waitFor(isReady);
    expect(p.cli(['show', 'names'])).toEqual(served);
  });

  it('a config reload that moves the state moves the socket and daemon.json with it', async () => {
    const p = project();
    d = spawnDaemon(p.dir);
    await d.waitFor(isReady);
    const served = p.cli(['show', 'names']);
    expect(existsSync(path.join(p.dir, 'state', 'daemon.json'))).toBe(true);
    const m = d.mark();
    p.write('watch.config.ts', FILES['watch.config.ts'].replace('watch: {', "state: 'state2',\n  watch: {"));
    await d.nextRun(m, 30_000);
    expect(existsSync(path.join(p.dir, 'state2', 'daemon.sock'))).toBe(true);
    expect(existsSync(path.join(p.dir, 'state2', 'daemon.json'))).toBe(true);
    expect(existsSync(path.join(p.dir, 'state', 'daemon.sock'))).toBe(false);
    expect(existsSync(path.join(p.dir, 'state', 'daemon.json'))).toBe(false);
    // The daemon holds state2's warehouse: only its socket can answer this.
    expect(norm(p.cli(['show', 'names']).stdout)).toBe(norm(served.stdout));
  });
});
