import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ResolvedConfig, ResolvedSource } from '../../src/config/types.js';
import { globalIgnore, isTempName, targetIgnored, watchTargets } from '../../src/daemon/targets.js';
import { startWatcher, type WatchEvent, type Watcher } from '../../src/daemon/watcher.js';
import { tempProject, type TempProject } from '../helpers/project.js';

function config(root: string, sources: Record<string, Pick<ResolvedSource, 'format' | 'path'>>, ignore: string[] = []): ResolvedConfig {
  return {
    configFile: path.join(root, 'watch.config.ts'),
    root,
    sources: Object.fromEntries(Object.entries(sources).map(([name, s]) => [name, { name, options: {}, ...s }])),
    tasksDir: path.join(root, 'tasks'),
    stateDir: path.join(root, 'state'),
    keepRuns: 100,
    outputsDir: path.join(root, 'state/outputs'),
    engine: {},
    watch: { debounceMs: 100, ignore },
  };
}

describe('watch targets (path computation)', () => {
  const root = '/proj';
  const c = config(root, {
    orders: { format: 'parquet', path: '/proj/data/orders/*.parquet' },
    deep: { format: 'json', path: '/proj/data/events/**/*.json' },
    people: { format: 'csv', path: '/proj/data/people.csv' },
    lake: { format: 'delta', path: '/proj/lake/trips' },
  });
  const targets = watchTargets(c);
  const by = (name: string) => targets.find((t) => t.source === name)!;

  it('watches the tasks dir, the config file via its directory, each glob base and each Delta _delta_log', () => {
    expect(targets.map((t) => [t.kind, t.source ?? null, t.root, t.maxDepth])).toEqual([
      ['task', null, '/proj/tasks', Infinity],
      ['config', null, '/proj', 0],
      ['source', 'orders', '/proj/data/orders', 0],
      ['source', 'deep', '/proj/data/events', Infinity],
      ['source', 'people', '/proj/data', 0],
      ['source', 'lake', '/proj/lake/trips/_delta_log', 0],
    ]);
  });

  it('filters files with picomatch on the glob, commits for Delta, *.sql for tasks', () => {
    expect(by('orders').match('/proj/data/orders/a.parquet')).toBe(true);
    expect(by('orders').match('/proj/data/orders/a.csv')).toBe(false);
    expect(by('deep').match('/proj/data/events/2024/01/x.json')).toBe(true);
    expect(by('people').match('/proj/data/people.csv')).toBe(true);
    expect(by('people').match('/proj/data/other.csv')).toBe(false);
    expect(by('lake').match('/proj/lake/trips/_delta_log/00000000000000000007.json')).toBe(true);
    expect(by('lake').match('/proj/lake/trips/_delta_log/00000000000000000010.checkpoint.parquet')).toBe(true);
    expect(by('lake').match('/proj/lake/trips/_delta_log/_last_checkpoint')).toBe(true);
    expect(by('lake').match('/proj/lake/trips/_delta_log/.00000000000000000008.json.crc')).toBe(false);
    expect(by('lake').match('/proj/lake/trips/part-0001.parquet')).toBe(false);
    const tasks = targets[0]!;
    expect(tasks.match('/proj/tasks/marts/a.sql')).toBe(true);
    expect(tasks.match('/proj/tasks/.hidden/a.sql')).toBe(false);
    expect(tasks.match('/proj/tasks/a.sql.swp')).toBe(false);
    expect(targets[1]!.match('/proj/watch.config.ts')).toBe(true);
    expect(targets[1]!.match('/proj/other.ts')).toBe(false);
  });

  it('editor temp files are ignored', () => {
    for (const n of ['a.sql.swp', '.a.sql.swx', 'a.sql~', '.#a.sql', '#a.sql#', 'a.tmp', '4913']) expect(isTempName(n), n).toBe(true);
    for (const n of ['a.sql', 'people.csv', '00000000000000000001.json']) expect(isTempName(n), n).toBe(false);
  });

  it("ignores relspec's own state and outputs, node_modules, .git and watch.ignore", () => {
    const ign = globalIgnore(config(root, {}, ['data/scratch']));
    for (const p of [
      '/proj/state/relspec.sqlite-wal',
      '/proj/state/relspec.sqlite-shm',
      '/proj/state/warehouse.duckdb.wal',
      '/proj/state/outputs/x/part.parquet',
      '/proj/node_modules/a',
      '/proj/data/scratch/x.csv',
    ]) {
      expect(ign(p), p).toBe(true);
    }
    expect(ign('/proj/data/x.csv')).toBe(false);
    // A tasks dir at the project root still never descends into state/.
    const t = { ...targets[0]!, root: '/proj' };
    const f = targetIgnored(t, globalIgnore(c));
    expect(f('/proj/state')).toBe(true);
    expect(f('/proj')).toBe(false);
    expect(f('/')).toBe(false); // an ancestor, watched while the root is missing
  });
});

describe('watcher (real chokidar, real files)', () => {
  let p: TempProject;
  let w: Watcher | undefined;
  afterEach(async () => {
    await w?.close();
    p?.cleanup();
  });

  async function watch(sources: Record<string, Pick<ResolvedSource, 'format' | 'path'>>) {
    const events: WatchEvent[] = [];
    const errors: Error[] = [];
    w = await startWatcher(config(p.dir, sources), { onEvent: (e) => events.push(e), onError: (e) => errors.push(e) });
    return { events, errors };
  }
  const until = async (f: () => boolean, ms = 5000) => {
    const t0 = Date.now();
    while (!f()) {
      if (Date.now() - t0 > ms) throw new Error('timeout');
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('a rename-save of a task is a task change; temp files, state and outputs are silent', async () => {
    p = tempProject({ 'watch.config.ts': 'export default {}', 'tasks/a.sql': 'select 1', 'data/people.csv': 'id\n1\n' });
    const { events } = await watch({ people: { format: 'csv', path: path.join(p.dir, 'data/people.csv') } });
    mkdirSync(path.join(p.dir, 'state/outputs'), { recursive: true });
    p.write('state/relspec.sqlite-wal', 'x');
    p.write('state/warehouse.duckdb.wal', 'x');
    p.write('state/outputs/o.parquet', 'x');
    p.write('tasks/4913', '');
    p.write('tasks/a.sql.swp', 'x');
    p.write('data/other.csv', 'x');
    p.write('tasks/a.sql.tmp', 'select 2');
    renameSync(path.join(p.dir, 'tasks/a.sql.tmp'), path.join(p.dir, 'tasks/a.sql'));
    await until(() => events.length > 0);
    await new Promise((r) => setTimeout(r, 300)); // anything else would have arrived by now
    expect(events.map((e) => [e.kind, path.relative(p.dir, e.path)])).toEqual([['task', 'tasks/a.sql']]);
    writeFileSync(path.join(p.dir, 'data/people.csv'), 'id\n2\n');
    await until(() => events.length > 1);
    expect(events[1]).toMatchObject({ kind: 'source', source: 'people' });
  });

  it('watches a Delta source _delta_log, even one that does not exist yet', async () => {
    p = tempProject({ 'watch.config.ts': 'export default {}', 'tasks/a.sql': 'select 1' });
    const { events } = await watch({ lake: { format: 'delta', path: path.join(p.dir, 'lake/trips') } });
    expect(w!.paths).toContain(path.join(p.dir, 'lake/trips/_delta_log'));
    p.write('lake/trips/_delta_log/00000000000000000000.json', '{}\n');
    await until(() => events.some((e) => e.source === 'lake'));
    const n = events.length;
    // A writer's temp commit file, then its rename into place: one commit event.
    p.write('lake/trips/_delta_log/_commit_abc.json.tmp', '{}\n');
    renameSync(
      path.join(p.dir, 'lake/trips/_delta_log/_commit_abc.json.tmp'),
      path.join(p.dir, 'lake/trips/_delta_log/00000000000000000001.json'),
    );
    await until(() => events.length > n);
    expect(events.slice(n).map((e) => path.basename(e.path))).toEqual(['00000000000000000001.json']);
    expect(events.every((e) => e.kind === 'source' && e.source === 'lake')).toBe(true);
  });
});
