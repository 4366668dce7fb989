import { crc32 } from 'node:zlib';

/**
 * Test-only encoders (the reader only decodes): Z85 and the RoaringBitmapArray "portable" format
 * of Delta protocol, **Deletion Vector Format**, written independently of the decoder so the two check
 * each other.
 */

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

export function z85Encode(bytes: Uint8Array): string {
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  padded.set(bytes);
  let out = '';
  for (let i = 0; i < padded.length; i += 4) {
    let v = ((padded[i] << 24) >>> 0) + (padded[i + 1] << 16) + (padded[i + 2] << 8) + padded[i + 3];
    const chunk: string[] = [];
    for (let j = 0; j < 5; j++) {
      chunk.unshift(Z85[v % 85]);
      v = Math.floor(v / 85);
    }
    out += chunk.join('');
  }
  return out;
}

export function uuidToZ85(uuid: string): string {
  return z85Encode(Buffer.from(uuid.replace(/-/g, ''), 'hex'));
}

type Kind = 'array' | 'bitmap' | 'run';

/** One 32-bit Roaring bitmap in the portable format; `kind` forces the container type. */
function roaring32(values: number[], kind?: Kind): Buffer {
  const containers = new Map<number, number[]>();
  for (const v of values) {
    const k = v >>> 16;
    const list = containers.get(k) ?? [];
    list.push(v & 0xffff);
    containers.set(k, list);
  }
  const keys = [...containers.keys()].sort((a, b) => a - b);
  const kinds = keys.map((k): Kind => kind ?? (containers.get(k)!.length > 4096 ? 'bitmap' : 'array'));
  const hasRun = kinds.includes('run');
  const parts: Buffer[] = [];
  const u16 = (n: number): Buffer => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(n);
    return b;
  };
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
  };
  if (hasRun) {
    parts.push(u32(12347 | ((keys.length - 1) << 16)));
    const flags = Buffer.alloc(Math.ceil(keys.length / 8));
    kinds.forEach((k, i) => {
      if (k === 'run') flags[i >> 3] |= 1 << (i & 7);
    });
    parts.push(flags);
  } else {
    parts.push(u32(12346), u32(keys.length));
  }
  for (const k of keys) parts.push(u16(k), u16(containers.get(k)!.length - 1));
  const bodies = keys.map((k, i) => {
    const lows = [...new Set(containers.get(k)!)].sort((a, b) => a - b);
    if (kinds[i] === 'array') return Buffer.concat(lows.map(u16));
    if (kinds[i] === 'bitmap') {
      const b = Buffer.alloc(8192);
      for (const x of lows) b[x >> 3] |= 1 << (x & 7);
      return b;
    }
    const runs: [number, number][] = [];
    for (const x of lows) {
      const last = runs[runs.length - 1];
      if (last && last[0] + last[1] + 1 === x) last[1]++;
      else runs.push([x, 0]);
    }
    return Buffer.concat([u16(runs.length), ...runs.flatMap(([s, l]) => [u16(s), u16(l)])]);
  });
  if (!hasRun || keys.length >= 4) {
    let offset = parts.reduce((n, p) => n + p.length, 0) + keys.length * 4;
    for (const b of bodies) {
      parts.push(u32(offset));
      offset += b.length;
    }
  }
  return Buffer.concat([...parts, ...bodies]);
}

/** Magic + 64-bit RoaringBitmapArray (u64 bucket count, then per bucket u32 key + 32-bit bitmap). */
export function serializeDv(rows: number[], kind?: Kind): Buffer {
  const buckets = new Map<number, number[]>();
  for (const r of rows) {
    const high = Math.floor(r / 2 ** 32);
    const list = buckets.get(high) ?? [];
    list.push(r % 2 ** 32);
    buckets.set(high, list);
  }
  const head = Buffer.alloc(12);
  head.writeUInt32LE(1681511377, 0);
  head.writeBigUInt64LE(BigInt(buckets.size), 4);
  const parts: Buffer[] = [head];
  for (const k of [...buckets.keys()].sort((a, b) => a - b)) {
    const key = Buffer.alloc(4);
    key.writeUInt32LE(k);
    parts.push(key, roaring32(buckets.get(k)!, kind));
  }
  return Buffer.concat(parts);
}

/** A DV file: version byte 1, then at offset 1: u32 BE size, the bitmap, u32 BE CRC-32. */
export function dvFile(bitmap: Buffer, corruptChecksum = false): Buffer {
  const size = Buffer.alloc(4);
  size.writeUInt32BE(bitmap.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE((crc32(bitmap) ^ (corruptChecksum ? 1 : 0)) >>> 0);
  return Buffer.concat([Buffer.from([1]), size, bitmap, crc]);
}
