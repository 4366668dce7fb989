import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempProject } from '../helpers/project.js';

const CORPUS = path.resolve(ROOT, '../shared/delta-corpus/delta-rs/data');
const present = existsSync(CORPUS);
if (!present) console.log(`skipping relspec delta CLI tests: ${CORPUS} is absent`);

describe.skipIf(!present)('relspec delta', () => {
  const p = tempProject();
  const cli = (...args: string[]) => p.cli(args);

  it('inspect --json', () => {
    const r = cli('delta', 'inspect', `${CORPUS}/cdf-table`, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      version: 3,
      protocol: { minReaderVersion: 1, minWriterVersion: 4 },
      partitionColumns: ['birthday'],
      schema: [
        { name: 'id', type: 'INTEGER' },
        { name: 'name', type: 'VARCHAR' },
        { name: 'birthday', type: 'DATE' },
      ],
      numFiles: 9,
      numRows: 9,
    });
  });

  it('inspect --version time-travels', () => {
    expect(JSON.parse(cli('delta', 'inspect', `${CORPUS}/cdf-table`, '--version', '0', '--json').stdout)).toMatchObject({
      version: 0,
      numRows: 10,
    });
  });

  it('changes --json gives counts per change type per version', () => {
    const j = JSON.parse(cli('delta', 'changes', `${CORPUS}/cdf-table`, '--from', '1', '--to', '3', '--json').stdout);
    expect(j.versions.map((v: { version: number; operation: string; counts: object }) => [v.version, v.operation, v.counts])).toEqual([
      [1, 'UPDATE', { insert: 0, delete: 0, update_preimage: 3, update_postimage: 3 }],
      [2, 'UPDATE', { insert: 0, delete: 0, update_preimage: 3, update_postimage: 3 }],
      [3, 'DELETE', { insert: 0, delete: 1, update_preimage: 0, update_postimage: 0 }],
    ]);
  });

  it('changes --rows prints the change rows', () => {
    const j = JSON.parse(cli('delta', 'changes', `${CORPUS}/cdf-table`, '--from', '3', '--rows', '--json').stdout);
    expect(j.rows).toEqual([expect.objectContaining({ name: 'Dennis', _change_type: 'delete', _commit_version: '3' })]);
  });

  it('history lists every version with its operation', () => {
    const j = JSON.parse(cli('delta', 'history', `${CORPUS}/cdf-table`, '--json').stdout);
    expect(j.versions.map((v: { version: number; operation: string }) => `${v.version}:${v.operation}`)).toEqual([
      '0:WRITE',
      '1:UPDATE',
      '2:UPDATE',
      '3:DELETE',
    ]);
  });

  it('a failure exits 2 with one line naming the table, the version and the rule', () => {
    const r = cli('delta', 'changes', `${CORPUS}/delta-0.8.0`, '--from', '0');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^relspec: E_DELTA .*delta-0\.8\.0: change data feed is not enabled .* at version 0/);
    const missing = cli('delta', 'inspect', `${CORPUS}/no-such-table`);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/not a Delta table: no _delta_log directory/);
  });
});
