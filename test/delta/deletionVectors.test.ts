import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeletionVectorDescriptor } from '../../src/delta/actions.js';
import { decodeRoaringArray, dvFilePath, dvUniqueId, loadDeletionVector, z85Decode } from '../../src/delta/deletionVectors.js';
import { CORPUS, HAS_CORPUS, relspecErrorOf, tempTable } from './helpers.js';
import { dvFile, serializeDv, uuidToZ85, z85Encode } from './encode.js';

const W = { table: '/t', version: 1 };

describe('Z85', () => {
  it('decodes the ZeroMQ reference vector', () => {
    // ZeroMQ RFC 32: bytes 86 4F D2 6F B5 59 F7 5B encode to "HelloWorld".
    expect(Buffer.from(z85Decode('HelloWorld')).toString('hex')).toBe('864fd26fb559f75b');
  });
  it('round-trips with an independent encoder and rejects bad input', () => {
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => (i * 37) & 0xff);
    expect(Buffer.from(z85Decode(z85Encode(bytes)))).toEqual(Buffer.from(bytes));
    expect(() => z85Decode('abcd')).toThrow(/multiple of 5/);
    expect(() => z85Decode('abc"e')).toThrow(/invalid Z85/);
  });
});

describe('RoaringBitmapArray decoding', () => {
  const cases: [string, number[], ('array' | 'bitmap' | 'run')?][] = [
    ['empty', []],
    ['array container', [0, 3, 17, 65535]],
    ['several containers', [1, 70000, 140000, 200001, 300000]],
    ['bitmap container', Array.from({ length: 5000 }, (_, i) => i * 3)],
    ['run containers (cookie 12347, < 4 containers, no offsets)', [5, 6, 7, 8, 100, 101, 70000, 70001]],
    ['run containers with offsets (>= 4 containers)', [1, 2, 65537, 65538, 131073, 196609, 262145, 262146]],
    ['rows beyond 2^32 (second bucket)', [7, 2 ** 32 + 1, 2 ** 32 + 9]],
  ];
  for (const [name, values, kind] of cases) {
    it(name, () => {
      expect(decodeRoaringArray(serializeDv(values, kind ?? (name.startsWith('run') ? 'run' : undefined)))).toEqual(values);
    });
  }
  it('rejects a wrong magic and truncated data with an explanation', () => {
    const good = serializeDv([1, 2, 3]);
    const bad = Buffer.from(good);
    bad.writeUInt32LE(1681511376, 0); // the legacy big-endian "native" format's magic
    expect(() => decodeRoaringArray(bad)).toThrow(/bad bitmap magic/);
    expect(() => decodeRoaringArray(good.subarray(0, good.length - 2))).toThrow(/truncated/);
  });
});

describe('deletion vector storage', () => {
  it('resolves u paths with and without a random prefix (UUID in the last 20 Z85 chars)', () => {
    const uuid = '8aebe228-b96c-4831-b0b6-22882eb9a3d3';
    const z = uuidToZ85(uuid);
    expect(z).toHaveLength(20);
    const dv = (p: string): DeletionVectorDescriptor => ({
      storageType: 'u',
      pathOrInlineDv: p,
      offset: 1,
      sizeInBytes: 1,
      cardinality: 1,
    });
    expect(dvFilePath('/t', dv(z), W)).toBe(`/t/deletion_vector_${uuid}.bin`);
    expect(dvFilePath('/t', dv(`ab${z}`), W)).toBe(`/t/ab/deletion_vector_${uuid}.bin`);
    expect(dvUniqueId(dv(z))).toBe(`u${z}@1`);
  });

  it('reads u, p and i storage, verifying size, checksum and cardinality', async () => {
    const t = tempTable();
    try {
      const rows = [0, 2, 4];
      const bitmap = serializeDv(rows);
      const uuid = '00112233-4455-6677-8899-aabbccddeeff';
      t.write(`xy/deletion_vector_${uuid}.bin`, dvFile(bitmap));
      const u: DeletionVectorDescriptor = {
        storageType: 'u',
        pathOrInlineDv: `xy${uuidToZ85(uuid)}`,
        offset: 1,
        sizeInBytes: bitmap.length,
        cardinality: 3,
      };
      expect(await loadDeletionVector(t.dir, u, W)).toEqual(rows);
      // Offset absent: byte 0 is the format version, so the DV starts at 1 (kernel-rs behaviour).
      expect(await loadDeletionVector(t.dir, { ...u, offset: undefined }, W)).toEqual(rows);
      const abs = t.write('elsewhere/dv.bin', dvFile(bitmap));
      expect(await loadDeletionVector(t.dir, { ...u, storageType: 'p', pathOrInlineDv: `file://${abs}` }, W)).toEqual(rows);
      const inline: DeletionVectorDescriptor = {
        storageType: 'i',
        pathOrInlineDv: z85Encode(bitmap),
        sizeInBytes: bitmap.length,
        cardinality: 3,
      };
      expect(await loadDeletionVector(t.dir, inline, W)).toEqual(rows);

      expect((await relspecErrorOf(() => loadDeletionVector(t.dir, { ...u, cardinality: 4 }, W))).message).toMatch(/cardinality 4/);
      expect((await relspecErrorOf(() => loadDeletionVector(t.dir, { ...u, sizeInBytes: 7 }, W))).message).toMatch(/sizeInBytes 7/);
      t.write('elsewhere/bad.bin', dvFile(bitmap, true));
      const bad = await relspecErrorOf(() =>
        loadDeletionVector(t.dir, { ...u, storageType: 'p', pathOrInlineDv: path.join(t.dir, 'elsewhere/bad.bin') }, W),
      );
      expect(bad.code).toBe('E_DELTA');
      expect(bad.message).toMatch(/checksum mismatch/);
      const missing = await relspecErrorOf(() =>
        loadDeletionVector(t.dir, { ...u, pathOrInlineDv: uuidToZ85('ffffffff-4455-6677-8899-aabbccddeeff') }, W),
      );
      expect(missing.message).toMatch(/is missing/);
    } finally {
      t.cleanup();
    }
  });

  it.skipIf(!HAS_CORPUS)('decodes the DAT deletion_vectors DV to its recorded cardinality', async () => {
    const dv: DeletionVectorDescriptor = {
      storageType: 'u',
      pathOrInlineDv: 'ITfmIXOK!>U^L:if1E+a',
      offset: 1,
      sizeInBytes: 40,
      cardinality: 4,
    };
    const table = path.join(CORPUS, 'dat-v0.0.3/deletion_vectors/delta');
    expect(dvFilePath(table, dv, W)).toBe(path.join(table, 'deletion_vector_8aebe228-b96c-4831-b0b6-22882eb9a3d3.bin'));
    const rows = await loadDeletionVector(table, dv, W);
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r >= 0 && r < 5)).toBe(true);
  });
});
