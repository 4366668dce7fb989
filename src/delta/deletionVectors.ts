import { open } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { DeletionVectorDescriptor } from './actions.js';
import { DeltaReadCache } from './read/cache.js';
import { deltaError, firstLine, resolveDataPath, type Where } from './util.js';

/**
 * Deletion vectors (Delta protocol, **Deletion Vectors**, **Deletion Vector Descriptor Schema**,
 * **Deletion Vector Format**, **Deletion Vector File Storage Format**). A DV is the set of 0-based
 * physical row indexes of one data file that "*must not* be returned".
 */

const Z85_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const Z85_DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < Z85_ALPHABET.length; i++) Z85_DECODE[Z85_ALPHABET.charCodeAt(i)] = i;

/** Z85 (ZeroMQ base85): every 5 characters encode 4 big-endian bytes. */
export function z85Decode(s: string): Uint8Array {
  if (s.length % 5 !== 0) throw new Error(`Z85 string length ${s.length} is not a multiple of 5`);
  const out = new Uint8Array((s.length / 5) * 4);
  for (let i = 0, o = 0; i < s.length; i += 5, o += 4) {
    let v = 0;
    for (let j = 0; j < 5; j++) {
      const c = s.charCodeAt(i + j);
      const d = c < 128 ? Z85_DECODE[c] : -1;
      if (d < 0) throw new Error(`invalid Z85 character ${JSON.stringify(s[i + j])}`);
      v = v * 85 + d;
    }
    if (v > 0xffffffff) throw new Error('Z85 block overflows 32 bits');
    out[o] = v >>> 24;
    out[o + 1] = (v >>> 16) & 0xff;
    out[o + 2] = (v >>> 8) & 0xff;
    out[o + 3] = v & 0xff;
  }
  return out;
}

/**
 * Storage type `u`: `<random prefix><20-char Z85 UUID>` → `<table>/<prefix>/deletion_vector_<uuid>.bin`.
 * `p`: an absolute path (URI). `i` has no file.
 */
export function dvFilePath(tableDir: string, dv: DeletionVectorDescriptor, w: Where): string {
  if (dv.storageType === 'p') return resolveDataPath(tableDir, dv.pathOrInlineDv, w);
  const s = dv.pathOrInlineDv;
  if (s.length < 20) throw deltaError(w, `deletion vector path ${JSON.stringify(s)} is shorter than a Z85 UUID`);
  const prefix = s.slice(0, s.length - 20);
  let hex: string;
  try {
    hex = Buffer.from(z85Decode(s.slice(-20))).toString('hex');
  } catch (e) {
    throw deltaError(w, `deletion vector UUID ${JSON.stringify(s.slice(-20))} is not valid Z85: ${(e as Error).message}`);
  }
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return path.join(tableDir, prefix, `deletion_vector_${uuid}.bin`);
}

/** The RoaringBitmapArray magic number, little-endian, that starts a serialized DV. */
const MAGIC = 1681511377;

/**
 * Decodes a serialized DV: u32 LE magic, then the 64-bit RoaringBitmap "portable" format —
 * u64 LE bucket count, and per bucket a u32 LE high key followed by a standard 32-bit Roaring
 * bitmap (cookie 12346 without run containers, 12347 with). Returns sorted row indexes.
 */
export function decodeRoaringArray(buf: Uint8Array): number[] {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = 0;
  const need = (n: number): void => {
    if (p + n > buf.byteLength) throw new Error(`bitmap truncated at byte ${p} (needs ${n} more of ${buf.byteLength})`);
  };
  need(4);
  const magic = v.getUint32(0, true);
  if (magic !== MAGIC) throw new Error(`bad bitmap magic ${magic} (expected ${MAGIC})`);
  p = 4;
  need(8);
  const buckets = Number(v.getBigUint64(p, true));
  p += 8;
  const out: number[] = [];
  for (let b = 0; b < buckets; b++) {
    need(4);
    const high = v.getUint32(p, true) * 2 ** 32;
    p += 4;
    p = decodeRoaring32(v, p, high, out);
  }
  return out;
}

function decodeRoaring32(v: DataView, start: number, high: number, out: number[]): number {
  let p = start;
  const need = (n: number): void => {
    if (p + n > v.byteLength) throw new Error(`roaring bitmap truncated at byte ${p}`);
  };
  need(4);
  const cookie = v.getUint32(p, true);
  p += 4;
  let size: number;
  let runFlags: Uint8Array | undefined;
  if ((cookie & 0xffff) === 12347) {
    size = (cookie >>> 16) + 1;
    const n = Math.ceil(size / 8);
    need(n);
    runFlags = new Uint8Array(v.buffer, v.byteOffset + p, n);
    p += n;
  } else if (cookie === 12346) {
    need(4);
    size = v.getUint32(p, true);
    p += 4;
  } else {
    throw new Error(`bad roaring cookie ${cookie}`);
  }
  need(size * 4);
  const keys: number[] = [];
  const cards: number[] = [];
  for (let i = 0; i < size; i++) {
    keys.push(v.getUint16(p, true));
    cards.push(v.getUint16(p + 2, true) + 1);
    p += 4;
  }
  // The offset header exists without run containers, or with at least 4 containers.
  if (!runFlags || size >= 4) {
    need(size * 4);
    p += size * 4;
  }
  for (let i = 0; i < size; i++) {
    const base = high + keys[i] * 65536;
    const isRun = runFlags !== undefined && (runFlags[i >> 3] & (1 << (i & 7))) !== 0;
    if (isRun) {
      need(2);
      const runs = v.getUint16(p, true);
      p += 2;
      need(runs * 4);
      for (let r = 0; r < runs; r++) {
        const s = v.getUint16(p, true);
        const len = v.getUint16(p + 2, true);
        p += 4;
        for (let x = s; x <= s + len; x++) out.push(base + x);
      }
    } else if (cards[i] <= 4096) {
      need(cards[i] * 2);
      for (let k = 0; k < cards[i]; k++) out.push(base + v.getUint16(p + 2 * k, true));
      p += cards[i] * 2;
    } else {
      need(8192);
      for (let word = 0; word < 2048; word++) {
        let bits = v.getUint32(p + word * 4, true);
        while (bits !== 0) {
          const t = bits & -bits;
          out.push(base + word * 32 + (31 - Math.clz32(t)));
          bits ^= t;
        }
      }
      p += 8192;
    }
  }
  return p;
}

/**
 * Loads the deleted row indexes of a DV, checking the checksum and the descriptor's cardinality.
 * File layout at `offset`: u32 BE dataSize, dataSize bytes of bitmap, u32 BE CRC-32 of the bitmap.
 * The spec says an absent offset means 0, but byte 0 of a DV file is its format version byte, so
 * (as kernel-rs does) an absent offset is read as 1. A DV file's decode in `cache` is not read again.
 */
export async function loadDeletionVector(
  tableDir: string,
  dv: DeletionVectorDescriptor,
  w: Where,
  cache: DeltaReadCache = new DeltaReadCache(),
): Promise<number[]> {
  let rows: number[];
  if (dv.storageType === 'i') {
    try {
      const bytes = z85Decode(dv.pathOrInlineDv).subarray(0, dv.sizeInBytes);
      rows = decodeRoaringArray(bytes);
    } catch (e) {
      throw deltaError(w, `inline deletion vector cannot be decoded: ${(e as Error).message}`);
    }
  } else {
    const file = dvFilePath(tableDir, dv, w);
    const offset = dv.offset ?? 1;
    // DV files are immutable (written once, uniquely named); the size is part of the key so a
    // cached decode never skips the size check of a differently described DV.
    const key = `${file}@${offset}#${dv.sizeInBytes}`;
    const hit = cache.deletionVector(key);
    if (hit) rows = hit;
    else {
      rows = await readDvFile(file, offset, dv, { ...w, file });
      cache.putDeletionVector(key, rows);
    }
  }
  if (rows.length !== dv.cardinality) {
    throw deltaError(
      w,
      `deletion vector ${dv.storageType}${dv.pathOrInlineDv} decodes to ${rows.length} rows but its descriptor says cardinality ${dv.cardinality}`,
    );
  }
  return rows;
}

async function readDvFile(file: string, offset: number, dv: DeletionVectorDescriptor, w: Where): Promise<number[]> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw deltaError(
        w,
        `deletion vector file ${path.basename(file)} is missing`,
        'the table was vacuumed or partially copied; restore the file',
      );
    }
    throw deltaError(w, `cannot open deletion vector file: ${firstLine(e)}`);
  }
  try {
    const header = Buffer.alloc(4);
    const { bytesRead } = await fh.read(header, 0, 4, offset);
    if (bytesRead !== 4) throw deltaError(w, `deletion vector file is shorter than offset ${offset} + 4`);
    const size = header.readUInt32BE(0);
    if (size !== dv.sizeInBytes) {
      throw deltaError(w, `deletion vector at offset ${offset} holds ${size} bytes, its descriptor says sizeInBytes ${dv.sizeInBytes}`);
    }
    const body = Buffer.alloc(size + 4);
    const r = await fh.read(body, 0, size + 4, offset + 4);
    if (r.bytesRead !== size + 4) throw deltaError(w, `deletion vector file is truncated (offset ${offset}, size ${size})`);
    const data = body.subarray(0, size);
    const expected = body.readUInt32BE(size);
    if (crc32(data) !== expected) throw deltaError(w, `deletion vector checksum mismatch at offset ${offset}`, 'the file is corrupt');
    try {
      return decodeRoaringArray(data);
    } catch (e) {
      throw deltaError(w, `deletion vector cannot be decoded: ${(e as Error).message}`);
    }
  } finally {
    await fh.close();
  }
}

/** The DV's part of a logical file's key: `(path, deletionVector.uniqueId)` (**Action Reconciliation**). */
export function dvUniqueId(dv: DeletionVectorDescriptor | undefined): string {
  if (!dv) return '';
  return `${dv.storageType}${dv.pathOrInlineDv}${dv.offset === undefined ? '' : `@${dv.offset}`}`;
}
