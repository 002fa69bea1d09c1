// Typed key/value codecs: how a TypeScript value becomes the bytes a map stores, and back.
//
// The built-in codecs are allocation-free (byte arithmetic on the caller's buffer, little-endian like the
// kernel on the machines bpfkit runs on): they sit on the map lookup/update hot path.

export interface Codec<T> {
  /** Encoded size in bytes. */
  readonly size: number;
  /** Writes value into out (exactly `size` bytes, already zeroed or to be overwritten). */
  encode(value: T, out: Uint8Array): void;
  decode(bytes: Uint8Array): T;
  /** Optional: encode at a byte offset of out (lets struct/array skip a subarray per field). */
  encodeAt?(value: T, out: Uint8Array, offset: number): void;
  /** Optional: decode at a byte offset of bytes. */
  decodeAt?(bytes: Uint8Array, offset: number): T;
}

/** A codec from its offset forms: encode/decode are the offset-0 case. */
function scalar<T>(size: number, decodeAt: (b: Uint8Array, o: number) => T, encodeAt: (v: T, b: Uint8Array, o: number) => void): Codec<T> {
  return { size, encodeAt, decodeAt, encode: (v, b) => encodeAt(v, b, 0), decode: (b) => decodeAt(b, 0) };
}

function getU32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** Writes the low 32 bits of v (ToUint32, like DataView.setUint32). */
function setU32(v: number, b: Uint8Array, o: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

// 64-bit BigInt values go through one scratch word: no DataView per call.
const scratch = new Uint8Array(8);
const scratchU64 = new BigUint64Array(scratch.buffer);
const scratchI64 = new BigInt64Array(scratch.buffer);

function load8(b: Uint8Array, o: number): void {
  for (let i = 0; i < 8; i++) scratch[i] = b[o + i]!;
}
function store8(b: Uint8Array, o: number): void {
  for (let i = 0; i < 8; i++) b[o + i] = scratch[i]!;
}

export const u8: Codec<number> = scalar(1, (b, o) => b[o]!, (v, b, o) => void (b[o] = v));
export const u16: Codec<number> = scalar(
  2,
  (b, o) => b[o]! | (b[o + 1]! << 8),
  (v, b, o) => {
    b[o] = v;
    b[o + 1] = v >>> 8;
  },
);
export const u32: Codec<number> = scalar(4, getU32, setU32);
export const i32: Codec<number> = scalar(4, (b, o) => getU32(b, o) | 0, setU32);
export const u64: Codec<bigint> = scalar(
  8,
  (b, o) => {
    load8(b, o);
    return scratchU64[0]!;
  },
  (v, b, o) => {
    scratchU64[0] = v; // typed array stores wrap modulo 2^64, like BigInt.asUintN
    store8(b, o);
  },
);
export const i64: Codec<bigint> = scalar(
  8,
  (b, o) => {
    load8(b, o);
    return scratchI64[0]!;
  },
  (v, b, o) => {
    scratchI64[0] = v;
    store8(b, o);
  },
);
/** A u64 exposed as a JS number: exact up to 2^53, which counters and timestamps stay below. */
export const u64n: Codec<number> = scalar(
  8,
  (b, o) => getU32(b, o) + getU32(b, o + 4) * 0x100000000,
  (v, b, o) => {
    setU32(v % 0x100000000, b, o);
    setU32(Math.floor(v / 0x100000000), b, o + 4);
  },
);

/** Raw bytes of a fixed size (the default codec). decode copies, so results stay valid after the next call. */
export function bytes(size: number): Codec<Uint8Array> {
  const check = (v: Uint8Array) => {
    if (v.byteLength !== size) throw new RangeError(`expected ${size} bytes, got ${v.byteLength}`);
  };
  return {
    size,
    encode: (v, o) => {
      check(v);
      o.set(v);
    },
    decode: (b) => b.slice(0, size),
    encodeAt: (v, o, off) => {
      check(v);
      o.set(v, off);
    },
    decodeAt: (b, off) => b.slice(off, off + size),
  };
}

/** A NUL-padded string in a fixed char array (like `char comm[16]`). */
export function cstring(size: number): Codec<string> {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  return {
    size,
    encode: (v, o) => {
      o.fill(0, 0, size);
      o.set(enc.encode(v).subarray(0, size));
    },
    decode: (b) => {
      const end = b.indexOf(0);
      return dec.decode(b.subarray(0, end < 0 || end > size ? size : end));
    },
  };
}

type FieldCodecs = Record<string, Codec<any>>;
type StructOf<F extends FieldCodecs> = { [K in keyof F]: F[K] extends Codec<infer T> ? T : never };

interface Field {
  name: string;
  codec: Codec<unknown>;
  offset: number;
}

function encodeField(f: Field, v: unknown, o: Uint8Array, base: number): void {
  const at = base + f.offset;
  if (f.codec.encodeAt) f.codec.encodeAt(v, o, at);
  else f.codec.encode(v, o.subarray(at, at + f.codec.size));
}

function decodeField(f: Field, b: Uint8Array, base: number): unknown {
  const at = base + f.offset;
  return f.codec.decodeAt ? f.codec.decodeAt(b, at) : f.codec.decode(b.subarray(at, at + f.codec.size));
}

/**
 * A C struct laid out with natural alignment: fields in order, each aligned to min(its size, 8),
 * total padded to the largest alignment.
 */
export function struct<F extends FieldCodecs>(fields: F): Codec<StructOf<F>> {
  const layout: Field[] = [];
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
  const encodeAt = (v: StructOf<F>, o: Uint8Array, base: number) => {
    o.fill(0, base, base + size);
    for (const f of layout) encodeField(f, (v as Record<string, unknown>)[f.name], o, base);
  };
  const decodeAt = (b: Uint8Array, base: number) => {
    const out: Record<string, unknown> = {};
    for (const f of layout) out[f.name] = decodeField(f, b, base);
    return out as StructOf<F>;
  };
  return { size, encodeAt, decodeAt, encode: (v, o) => encodeAt(v, o, 0), decode: (b) => decodeAt(b, 0) };
}

function alignmentOf(size: number): number {
  if (size >= 8) return 8;
  if (size >= 4) return 4;
  if (size >= 2) return 2;
  return 1;
}

/** A fixed-length array of one codec. */
export function array<T>(item: Codec<T>, length: number): Codec<T[]> {
  const fields: Field[] = Array.from({ length }, (_, i) => ({ name: '', codec: item as Codec<unknown>, offset: i * item.size }));
  const encodeAt = (v: T[], o: Uint8Array, base: number) => {
    for (let i = 0; i < length; i++) encodeField(fields[i]!, v[i], o, base);
  };
  const decodeAt = (b: Uint8Array, base: number) => {
    const out: T[] = new Array(length);
    for (let i = 0; i < length; i++) out[i] = decodeField(fields[i]!, b, base) as T;
    return out;
  };
  return { size: item.size * length, encodeAt, decodeAt, encode: (v, o) => encodeAt(v, o, 0), decode: (b) => decodeAt(b, 0) };
}
