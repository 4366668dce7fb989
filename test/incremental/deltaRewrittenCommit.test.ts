import { appendFileSync, copyFileSync, cpSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';

/**
 * docs/ARCHITECTURE.md invariant 8: a commit file completed after it was read. A non-atomic writer (or a copy in
 * progress) shows `N.json` with its add actions and not yet its removes; relspec reads that as
 * version N. Once the file is complete, the same version means different rows: the fingerprint of
 * the consumed commit must turn that into a root change — real files, the real CLI.
 */

const TABLE = 'data/events é[1]';
let p: TempProject;
const log = (v: number) => path.join(p.dir, TABLE, '_delta_log', `${String(v).padStart(20, '0')}.json`);
const line = (o: object) => JSON.stringify(o) + '\n';

async function part(name: string, ids: number[], factor: number): Promise<object> {
  const file = await p.parquet(
    `${TABLE}/${name}`,
    `select id::BIGINT as id, (id * ${factor})::BIGINT as amount from unnest([${ids.join(',')}]) u(id)`,
  );
  const size = readFileSync(file).length;
  return {
    add: {
      path: encodeURIComponent(name),
      partitionValues: {},
      size,
      modificationTime: 0,
      dataChange: true,
      stats: JSON.stringify({ numRecords: ids.length }),
    },
  };
}

const run = (extra: string[] = []) => {
  const r = p.cli(['run', '--json', ...extra]);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as {
    status: string;
    tasks: { task: string; status: string }[];
    changes: { kind: string; rewritten?: { version: number }[] }[];
  };
};
const built = (o: ReturnType<typeof run>) =>
  o.tasks
    .filter((t) => t.status === 'built')
    .map((t) => t.task)
    .sort();
const show = (proj: TempProject, name: string) => JSON.parse(proj.cli(['show', name, '--json']).stdout).rows as Record<string, unknown>[];

/** A clean build of a copy of the project (no state): what "fresh" must equal. */
function cleanBuild(name: string): Record<string, unknown>[] {
  const copy = tempProject();
  try {
    cpSync(p.dir, copy.dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}state`) });
    // The config names the table relatively: the copy reads its own copy of the table.
    expect(copy.cli(['run']).code).toBe(0);
    return show(copy, name);
  } finally {
    copy.cleanup();
  }
}

let full = '';
beforeAll(async () => {
  p = tempProject({
    'watch.config.ts': `export default { sources: { events: { format: 'delta', path: ${JSON.stringify(TABLE)} } } }`,
    'tasks/total.sql': 'select count(*) as n, sum(amount) as total from events',
    'tasks/ids.sql': 'select id from events',
  });
  const a = await part('part-0 a.parquet', [1, 2, 3], 10);
  const meta = {
    metaData: {
      id: 'rewritten-commit-table',
      format: { provider: 'parquet', options: {} },
      schemaString: JSON.stringify({
        type: 'struct',
        fields: [
          { name: 'id', type: 'long', nullable: true, metadata: {} },
          { name: 'amount', type: 'long', nullable: true, metadata: {} },
        ],
      }),
      partitionColumns: [],
      configuration: {},
      createdTime: 0,
    },
  };
  p.write(
    `${TABLE}/_delta_log/${String(0).padStart(20, '0')}.json`,
    line({ commitInfo: { timestamp: 0, operation: 'CREATE TABLE' } }) +
      line({ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }) +
      line(meta) +
      line(a),
  );
  const b = await part('part-1 b.parquet', [1, 2, 3, 4], 100);
  const head = line({ commitInfo: { timestamp: 1, operation: 'WRITE' } }) + line(b);
  full = head + line({ remove: { path: encodeURIComponent('part-0 a.parquet'), deletionTimestamp: 1, dataChange: true } });
  // The half commit: every line valid, the remove not written yet.
  writeFileSync(log(1), head);
});
afterAll(() => p.cleanup());

describe('a Delta commit completed after it was read', () => {
  it('the half commit is read as version 1', () => {
    const o = run();
    expect(o.status).toBe('ok');
    expect(show(p, 'total')).toEqual([{ n: '7', total: '1060' }]);
  });

  it('completing the file in place (same version) rebuilds, equal to a clean build, and why names the commit', () => {
    appendFileSync(log(1), full.slice(readFileSync(log(1), 'utf8').length));
    const o = run();
    expect(built(o)).toEqual(['ids', 'total']);
    const ch = o.changes.find((c) => c.kind === 'delta_commits');
    expect(ch?.rewritten?.map((r) => r.version)).toEqual([1]);
    expect(show(p, 'total')).toEqual([{ n: '4', total: '1000' }]);
    expect(show(p, 'total')).toEqual(cleanBuild('total'));
    expect(show(p, 'ids')).toEqual(cleanBuild('ids'));
    const why = p.cli(['why', 'total']);
    expect(why.code).toBe(0);
    expect(why.stdout).toContain('commit 1 (');
    expect(why.stdout).toContain('00000000000000000001.json');
    expect(why.stdout).toContain('rewritten after it was read');
    // Fresh now: the next run is a noop.
    expect(built(run())).toEqual([]);
    const status = p.cli(['status']);
    expect(status.stdout).not.toContain('stale:');
    expect(status.stdout).toContain('2 fresh, 0 stale');
  });

  it('a commit replaced by an identical copy (cp -p, atomic rename) builds nothing', () => {
    const tmp = log(1) + '.copy';
    copyFileSync(log(1), tmp);
    spawnSync('cp', ['-p', log(1), tmp]);
    renameSync(tmp, log(1)); // new inode and ctime, same bytes
    const o = run();
    expect(o.status).toBe('noop');
    expect(built(o)).toEqual([]);
    expect(o.changes).toEqual([]);
  });

  it('a rewrite that leaves the read columns equal rebuilds nothing (the scan decides)', () => {
    // Same rows, different bytes: a commitInfo field added at the end.
    appendFileSync(log(1), line({ txn: { appId: 'late-writer', version: 1 } }));
    const o = run();
    expect(o.changes.find((c) => c.kind === 'delta_commits')?.rewritten?.map((r) => r.version)).toEqual([1]);
    expect(built(o)).toEqual([]);
  });

  it('a commit cut off mid-line stays an E_DELTA error', () => {
    writeFileSync(log(2), line({ commitInfo: { timestamp: 2, operation: 'WRITE' } }) + '{"add": {"path": "x.parq');
    const r = p.cli(['run']);
    expect(r.stdout + r.stderr).toContain('E_DELTA');
  });
});
