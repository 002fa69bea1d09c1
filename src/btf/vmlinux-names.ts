// A small, fast index over raw BTF (normally /sys/kernel/btf/vmlinux): type id by kind + name, type size, and
// struct member offsets. It walks the type records once to learn where each starts and what it is called, and
// decodes nothing else. The full BTF decoder lives elsewhere; this is what attach paths need at load time.
import { readFileSync } from 'node:fs';

export enum BtfKind {
  UNKN = 0, INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FUNC_PROTO, VAR,
  DATASEC, FLOAT, DECL_TAG, TYPE_TAG, ENUM64,
}

export class BtfFormatError extends Error {
  override name = 'BtfFormatError';
}

const BTF_MAGIC = 0xeb9f;
const RECORD_HEADER = 12;

/** Bytes that follow the 12-byte common header of a type record, by kind (vlen = member/param count). */
function trailingBytes(kind: number, vlen: number): number {
  switch (kind) {
    case BtfKind.INT: case BtfKind.VAR: case BtfKind.DECL_TAG: return 4;
    case BtfKind.ARRAY: return 12;
    case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.DATASEC: case BtfKind.ENUM64: return 12 * vlen;
    case BtfKind.ENUM: case BtfKind.FUNC_PROTO: return 8 * vlen;
    case BtfKind.PTR: case BtfKind.FWD: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST:
    case BtfKind.RESTRICT: case BtfKind.FUNC: case BtfKind.FLOAT: case BtfKind.TYPE_TAG: return 0;
    default: throw new BtfFormatError(`unknown BTF kind ${kind}`);
  }
}

export class BtfNameIndex {
  /** Number of types, not counting the void type 0. */
  readonly count: number;
  private readonly view: DataView;
  private readonly typesStart: number;
  private readonly strings: Uint8Array;
  /** Byte offset of each type record (index = type id - 1). */
  private readonly offsets: Uint32Array;
  /** name_off and kind of each type, so lookups never touch the record bytes. */
  private readonly nameOffs: Uint32Array;
  private readonly kinds: Uint8Array;
  private readonly cache = new Map<string, number | undefined>();

  constructor(bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.byteLength < 24 || this.view.getUint16(0, true) !== BTF_MAGIC) {
      throw new BtfFormatError('not BTF data (bad magic; only little-endian BTF is read)');
    }
    const hdrLen = this.view.getUint32(4, true);
    const typeOff = this.view.getUint32(8, true);
    const typeLen = this.view.getUint32(12, true);
    const strOff = this.view.getUint32(16, true);
    const strLen = this.view.getUint32(20, true);
    this.typesStart = hdrLen + typeOff;
    const typesEnd = this.typesStart + typeLen;
    if (typesEnd > bytes.byteLength || hdrLen + strOff + strLen > bytes.byteLength) {
      throw new BtfFormatError('BTF header points past the end of the data');
    }
    this.strings = bytes.subarray(hdrLen + strOff, hdrLen + strOff + strLen);

    // Every record is at least 12 bytes, which bounds the count for preallocation.
    const max = Math.floor(typeLen / RECORD_HEADER);
    const offsets = new Uint32Array(max);
    const nameOffs = new Uint32Array(max);
    const kinds = new Uint8Array(max);
    // Records are whole u32 words: walk them through a word view (copied if the buffer is misaligned).
    const base = bytes.byteOffset + this.typesStart;
    const words = base % 4 === 0
      ? new Uint32Array(bytes.buffer, base, typeLen >>> 2)
      : new Uint32Array(bytes.slice(this.typesStart, typesEnd).buffer);
    const end = typeLen >>> 2;
    let n = 0;
    for (let w = 0; w < end; n++) {
      const info = words[w + 1]!;
      const kind = (info >>> 24) & 0x1f;
      offsets[n] = this.typesStart + w * 4;
      nameOffs[n] = words[w]!;
      kinds[n] = kind;
      w += (RECORD_HEADER + trailingBytes(kind, info & 0xffff)) >>> 2;
      if (w > end) throw new BtfFormatError(`BTF type ${n + 1} runs past the end of the type section`);
    }
    this.count = n;
    this.offsets = offsets.subarray(0, n);
    this.nameOffs = nameOffs.subarray(0, n);
    this.kinds = kinds.subarray(0, n);
  }

  /** The type id of the first type of `kind` called `name`, or undefined. */
  find(kind: BtfKind, name: string): number | undefined {
    const key = `${kind}:${name}`;
    if (this.cache.has(key)) return this.cache.get(key);
    let found: number | undefined;
    for (const off of this.stringOffsets(name)) {
      const i = this.firstWith(off, kind);
      if (i >= 0) {
        found = i + 1;
        break;
      }
    }
    this.cache.set(key, found);
    return found;
  }

  kindOf(id: number): BtfKind {
    return this.kinds[this.checkId(id)] as BtfKind;
  }

  nameOf(id: number): string {
    return this.stringAt(this.nameOffs[this.checkId(id)]!);
  }

  /** Size in bytes of a struct, union, int, enum or float type. */
  sizeOf(id: number): number {
    return this.view.getUint32(this.offsets[this.checkId(id)]! + 8, true);
  }

  /** Byte offset of a named member of a struct or union (direct members only; not bitfields). */
  memberOffset(structId: number, member: string): number | undefined {
    const i = this.checkId(structId);
    const kind = this.kinds[i];
    if (kind !== BtfKind.STRUCT && kind !== BtfKind.UNION) return undefined;
    const p = this.offsets[i]!;
    const info = this.view.getUint32(p + 4, true);
    const kindFlag = info >>> 31;
    for (let m = 0, q = p + RECORD_HEADER; m < (info & 0xffff); m++, q += 12) {
      if (this.stringAt(this.view.getUint32(q, true)) !== member) continue;
      const raw = this.view.getUint32(q + 8, true);
      const bits = kindFlag ? raw & 0xffffff : raw;
      return bits % 8 === 0 ? bits / 8 : undefined;
    }
    return undefined;
  }

  private checkId(id: number): number {
    if (!Number.isInteger(id) || id < 1 || id > this.count) throw new RangeError(`BTF type id ${id} out of range 1..${this.count}`);
    return id - 1;
  }

  private firstWith(nameOff: number, kind: number): number {
    const names = this.nameOffs;
    for (let i = names.indexOf(nameOff); i >= 0; i = names.indexOf(nameOff, i + 1)) {
      if (this.kinds[i] === kind) return i;
    }
    return -1;
  }

  /** Offsets in the string section where exactly `name` is stored (normally one: vmlinux strings are deduped). */
  private *stringOffsets(name: string): Generator<number> {
    const needle = new Uint8Array(Buffer.byteLength(name) + 2);
    Buffer.from(needle.buffer).write(name, 1);
    const hay = Buffer.from(this.strings.buffer, this.strings.byteOffset, this.strings.byteLength);
    for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) yield at + 1;
  }

  private stringAt(off: number): string {
    const end = this.strings.indexOf(0, off);
    return Buffer.from(this.strings.buffer, this.strings.byteOffset + off, (end < 0 ? this.strings.length : end) - off)
      .toString('utf8');
  }
}

export const VMLINUX_BTF_PATH = '/sys/kernel/btf/vmlinux';

let vmlinux: BtfNameIndex | null | undefined;

/** The index over the running kernel's BTF, read once; undefined when the kernel exposes no BTF. */
export function vmlinuxNames(): BtfNameIndex | undefined {
  if (vmlinux === undefined) {
    try {
      vmlinux = new BtfNameIndex(readFileSync(VMLINUX_BTF_PATH));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      vmlinux = null;
    }
  }
  return vmlinux ?? undefined;
}

/** The vmlinux BTF id of a type, or undefined (no such type, or no kernel BTF). */
export function vmlinuxTypeId(kind: BtfKind, name: string): number | undefined {
  return vmlinuxNames()?.find(kind, name);
}
