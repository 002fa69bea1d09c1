// Typed key/value codecs: how a TypeScript value becomes the bytes a map stores, and back.

export interface Codec<T> {
  /** Encoded size in bytes. */
  readonly size: number;
  /** Writes value into out (exactly `size` bytes, already zeroed or to be overwritten). */
  encode(value: T, out: Uint8Array): void;
  decode(bytes: Uint8Array): T;
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export const u8: Codec<number> = { size: 1, encode: (v, o) => void (o[0] = v), decode: (b) => b[0]! };
export const u16: Codec<number> = {
  size: 2, encode: (v, o) => dv(o).setUint16(0, v, true), decode: (b) => dv(b).getUint16(0, true),
};
export const u32: Codec<number> = {
  size: 4,
  encode: (v, o) => {
    o[0] = v & 0xff; o[1] = (v >>> 8) & 0xff; o[2] = (v >>> 16) & 0xff; o[3] = (v >>> 24) & 0xff;
  },
  decode: (b) => (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0,
};
export const i32: Codec<number> = {
  size: 4, encode: (v, o) => dv(o).setInt32(0, v, true), decode: (b) => dv(b).getInt32(0, true),
};
export const u64: Codec<bigint> = {
  size: 8, encode: (v, o) => dv(o).setBigUint64(0, BigInt.asUintN(64, v), true), decode: (b) => dv(b).getBigUint64(0, true),
};
export const i64: Codec<bigint> = {
  size: 8, encode: (v, o) => dv(o).setBigInt64(0, BigInt.asIntN(64, v), true), decode: (b) => dv(b).getBigInt64(0, true),
};
/** A u64 exposed as a JS number: exact up to 2^53, which counters and timestamps stay below. */
export const u64n: Codec<number> = {
  size: 8,
  encode: (v, o) => {
    const d = dv(o);
    d.setUint32(0, v % 0x100000000, true);
    d.setUint32(4, Math.floor(v / 0x100000000), true);
  },
  decode: (b) => {
    const d = dv(b);
    return d.getUint32(0, true) + d.getUint32(4, true) * 0x100000000;
  },
};

/** Raw bytes of a fixed size (the default codec). decode copies, so results stay valid after the next call. */
export function bytes(size: number): Codec<Uint8Array> {
  return {
    size,
    encode: (v, o) => {
      if (v.byteLength !== size) throw new RangeError(`expected ${size} bytes, got ${v.byteLength}`);
      o.set(v);
    },
    decode: (b) => b.slice(0, size),
  };
}

/** A NUL-padded string in a fixed char array (like `char comm[16]`). */
export function cstring(size: number): Codec<string> {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  return {
    size,
    encode: (v, o) => {
      o.fill(0);
      o.set(enc.encode(v).subarray(0, size));
    },
    decode: (b) => {
      const end = b.indexOf(0);
      return dec.decode(b.subarray(0, end < 0 ? size : end));
    },
  };
}

type FieldCodecs = Record<string, Codec<any>>;
type StructOf<F extends FieldCodecs> = { [K in keyof F]: F[K] extends Codec<infer T> ? T : never };

/**
 * A C struct laid out with natural alignment: fields in order, each aligned to min(its size, 8),
 * total padded to the largest alignment.
 */
export function struct<F extends FieldCodecs>(fields: F): Codec<StructOf<F>> {
  const layout: { name: string; codec: Codec<unknown>; offset: number }[] = [];
  let off = 0;
  let maxAlign = 1;
  for (const [name, codec] of Object.entries(fields)) {
    const align = alignmentOf(codec.size);
    maxAlign = Math.max(maxAlign, align);
    off = Math.ceil(off / align) * align;
    layout.push({ name, codec, offset: off });
    off += codec.size;
  }
  const size = Math.ceil(off / maxAlign) * maxAlign;
  return {
    size,
    encode: (v, o) => {
      o.fill(0, 0, size);
      for (const f of layout) f.codec.encode((v as Record<string, unknown>)[f.name], o.subarray(f.offset, f.offset + f.codec.size));
    },
    decode: (b) => {
      const out: Record<string, unknown> = {};
      for (const f of layout) out[f.name] = f.codec.decode(b.subarray(f.offset, f.offset + f.codec.size));
      return out as StructOf<F>;
    },
  };
}

function alignmentOf(size: number): number {
  if (size >= 8) return 8;
  if (size >= 4) return 4;
  if (size >= 2) return 2;
  return 1;
}

/** A fixed-length array of one codec. */
export function array<T>(item: Codec<T>, length: number): Codec<T[]> {
  return {
    size: item.size * length,
    encode: (v, o) => {
      for (let i = 0; i < length; i++) item.encode(v[i]!, o.subarray(i * item.size, (i + 1) * item.size));
    },
    decode: (b) => Array.from({ length }, (_, i) => item.decode(b.subarray(i * item.size, (i + 1) * item.size))),
  };
}
