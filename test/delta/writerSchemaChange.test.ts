import { afterAll, describe, expect, it } from 'vitest';
import { createTable, writeTable } from '../../src/delta/write/index.js';
import { loadSnapshot, snapshotQuery, tableChanges } from '../../src/delta/index.js';
import { withDuck } from '../helpers/project.js';
import { tempTable } from './helpers.js';

/** writer/evolve.ts: an overwrite with a new schema in one commit, the protocol raised only when needed. */
const t = tempTable();
afterAll(() => t.cleanup());

describe('overwrite with a new schema', () => {
  it('keeps the table id, raises the protocol for a timestamp_ntz column, keeps CDF, old versions readable', () =>
    withDuck(async (c) => {
      await createTable(c, t.dir, { schema: [{ name: 'id', type: 'BIGINT' }] });
      await writeTable(c, t.dir, { mode: 'append', sql: 'select * from range(3) r(id)' });
      const before = await loadSnapshot(c, t.dir);
      expect(before.protocol).toEqual({ minReaderVersion: 1, minWriterVersion: 4 });
      const r = await writeTable(c, t.dir, {
        mode: 'overwrite',
        schema: [
          { name: 'id', type: 'BIGINT' },
          { name: 'at', type: 'TIMESTAMP' },
        ],
        sql: "select id, TIMESTAMP '2024-01-01 00:00:00' + to_days(id::INTEGER) as at from range(2) r(id)",
      });
      expect(r.version).toBe(2);
      expect(r.cdcFiles).toEqual([]);
      const after = await loadSnapshot(c, t.dir);
      expect(after.metadata.id).toBe(before.metadata.id);
      expect(after.protocol.minReaderVersion).toBe(3);
      expect(after.protocol.readerFeatures).toEqual(['timestampNtz']);
      expect(after.protocol.writerFeatures).toEqual(expect.arrayContaining(['timestampNtz', 'changeDataFeed', 'appendOnly', 'invariants']));
      expect((await c.runAndReadAll(`SELECT count(*) FROM (${await snapshotQuery(c, after)})`)).getRowsJson()).toEqual([['2']]);
      const old = await loadSnapshot(c, t.dir, { version: 1 });
      expect(old.schema.fields.map((f) => f.name)).toEqual(['id']);
      expect((await c.runAndReadAll(`SELECT count(*) FROM (${await snapshotQuery(c, old)})`)).getRowsJson()).toEqual([['3']]);
      const ch = await tableChanges(c, t.dir, 2, 2);
      expect((await c.runAndReadAll(`SELECT _change_type, count(*) FROM (${ch.sql}) GROUP BY ALL ORDER BY ALL`)).getRowsJson()).toEqual([
        ['delete', '3'],
        ['insert', '2'],
      ]);
    }));

  it('a new schema with another mode is refused; the same schema is an ordinary overwrite', () =>
    withDuck(async (c) => {
      await expect(
        writeTable(c, t.dir, { mode: 'append', schema: [{ name: 'x', type: 'INTEGER' }], sql: 'select 1 as x' }),
      ).rejects.toThrow(/mode overwrite only/);
      const snap = await loadSnapshot(c, t.dir);
      const r = await writeTable(c, t.dir, {
        mode: 'overwrite',
        schema: snap.schema,
        sql: `SELECT * FROM (${await snapshotQuery(c, snap)})`,
      });
      expect(r.cdcFiles.length).toBeGreaterThan(0); // no schema change: the overwrite writes its change data
    }));
});
