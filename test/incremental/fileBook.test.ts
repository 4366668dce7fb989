import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileBook, MISSING } from '../../src/incremental/fileInputs.js';
import { statFile } from '../../src/util/fileStat.js';
import { openStateDb, type Db } from '../../src/state/db.js';
import { useTempTree } from '../helpers/tempTree.js';

/** The per-file signature cache behind files read by tasks: real files, a real state database. */
let dir: string;
let db: Db;
beforeEach(() => {
  dir = useTempTree({}, { prefix: 'relspec-fb-' }).root;
  db = openStateDb(path.join(dir, 'state'));
});
afterEach(() => {
  db.close();
});

describe('FileBook', () => {
  it('hashes a file once, persists its signature, and trusts it while the signature holds', async () => {
    const f = path.join(dir, 'side.csv');
    writeFileSync(f, 'k,w\n1,2\n');
    const first = new FileBook(db);
    const h = await first.token(f);
    expect(h).toMatch(/^[0-9a-f]{24}$/);
    first.flush();
    // Same signature on record with another hash: a later run believes the record (no read).
    const sig = (await statFile(f)).signature;
    db.prepare('UPDATE file_stats SET hash = ? WHERE path = ?').run('sentinel', f);
    expect(await new FileBook(db).token(f)).toBe('sentinel');
    expect(db.prepare('SELECT signature FROM file_stats WHERE path = ?').get(f)).toEqual({ signature: sig });
    // Any write moves the signature (ctime at least): hashed again.
    writeFileSync(f, 'k,w\n1,2\n');
    expect(await new FileBook(db).token(f)).toBe(h);
  });

  it('a missing file is MISSING', async () => {
    expect(await new FileBook(db).token(path.join(dir, 'nope.csv'))).toBe(MISSING);
  });
});
