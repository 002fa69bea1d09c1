// A zeroed, fixed-size byte block with little-endian field writers: the shape of union bpf_attr and perf_event_attr.
import { native } from './native.js';

export type Pointee = ArrayBufferView | ArrayBuffer | null | undefined;

export class Attr {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Buffers whose addresses were written into this attr; held so they stay alive as long as the attr. */
  private readonly held: Pointee[] = [];

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  u8(off: number, v: number): this {
    this.view.setUint8(off, v);
    return this;
  }
  u16(off: number, v: number): this {
    this.view.setUint16(off, v, true);
    return this;
  }
  u32(off: number, v: number): this {
    this.view.setUint32(off, v >>> 0, true);
    return this;
  }
  i32(off: number, v: number): this {
    this.view.setInt32(off, v, true);
    return this;
  }
  u64(off: number, v: number | bigint): this {
    this.view.setBigUint64(off, BigInt.asUintN(64, BigInt(v)), true);
    return this;
  }
  /** Writes the address of buf (or 0 for none). */
  ptr(off: number, buf: Pointee): this {
    this.held.push(buf);
    return this.u64(off, buf ? native.addressOf(buf) : 0n);
  }
  /** Keeps buffers alive as long as this attr (for memory reached only through pointers inside other buffers). */
  hold(...bufs: Pointee[]): this {
    this.held.push(...bufs);
    return this;
  }
  /** Writes a NUL-padded string of at most max-1 bytes into a fixed char array. */
  str(off: number, s: string, max: number): this {
    const enc = new TextEncoder().encode(s).subarray(0, max - 1);
    this.bytes.set(enc, off);
    return this;
  }
  getU32(off: number): number {
    return this.view.getUint32(off, true);
  }
  getI32(off: number): number {
    return this.view.getInt32(off, true);
  }
  getU64(off: number): bigint {
    return this.view.getBigUint64(off, true);
  }
}

/** A NUL-terminated C string in a fresh buffer. */
export function cString(s: string): Uint8Array {
  const enc = new TextEncoder().encode(s);
  const out = new Uint8Array(enc.length + 1);
  out.set(enc);
  return out;
}
