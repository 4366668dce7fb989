import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeltaReadCache, loadSnapshot, snapshotQuery } from '../../src/delta/index.js';
import { metaData, protocol, tableBuilder } from './builder.js';
import { openDuck, relspecErrorOf } from './helpers.js';

let conn: DuckDBConnection;
let close: () => void;
beforeAll(async () => {
  ({ conn, close } = await openDuck());
});
afterAll(() => close());

/**
 * The read cache has an owner: reads given the same DeltaReadCache share what it learned about
 * immutable files, a read given none learns afresh. Seen through a data file whose footer is made
 * unreadable behind the cache's back (same size, same mtime: the cache's key still matches).
 */
describe('DeltaReadCache', () => {
  it('is shared by the reads its owner passes it to, and only by those', async () => {
    const b = tableBuilder(conn);
    try {
      const f = await b.file('part-0.parquet', 'SELECT 1::INT AS x');
      b.log(0, [protocol(), metaData([['x', 'integer']]), f]);
      const snap = await loadSnapshot(conn, b.dir);
      // A whole-second mtime, so that setting it again restores it exactly.
      const file = path.join(b.dir, 'part-0.parquet');
      const stamp = Math.floor(Date.now() / 1000) - 60;
      utimesSync(file, stamp, stamp);
      const cache = new DeltaReadCache();
      const sql = await snapshotQuery(conn, snap, { cache });

      writeFileSync(file, Buffer.alloc(readFileSync(file).length, 0x5a));
      utimesSync(file, stamp, stamp);

      // Another database (DuckDB keeps parquet metadata of its own per database).
      const other = await openDuck();
      try {
        expect(await snapshotQuery(other.conn, snap, { cache })).toBe(sql);
        expect((await relspecErrorOf(() => snapshotQuery(other.conn, snap))).message).toMatch(/cannot read data file footers/);
        expect((await relspecErrorOf(() => snapshotQuery(other.conn, snap, { cache: new DeltaReadCache() }))).message).toMatch(
          /cannot read data file footers/,
        );
      } finally {
        other.close();
      }
    } finally {
      b.cleanup();
    }
  });
});
