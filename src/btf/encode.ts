// Encodes types back to BTF bytes (for BPF_BTF_LOAD and map/program BTF), optionally only the types some roots
// need, and sanitised for kernels that lack newer kinds: each missing feature is rewritten the way libbpf does,
// keeping every type id stable so func_info/line_info and map key/value ids still point at the right types.
import { Btf, BTF_MAGIC } from './parse.js';
import { BtfError, BtfKind, FuncLinkage, kindName, type BtfType, type BtfTypeSpec } from './types.js';

/** What the target kernel's BTF loader accepts. Everything defaults to true (this 6.18 kernel has it all). */
export interface BtfFeatures {
  /** VAR and DATASEC (5.2). Without: VAR → INT, DATASEC → STRUCT. */
  datasec: boolean;
  /** FUNC and FUNC_PROTO (5.0). Without: FUNC → TYPEDEF, FUNC_PROTO → ENUM. */
  func: boolean;
  /** FUNC with global linkage (5.6). Without: linkage becomes static. */
  globalFunc: boolean;
  /** FLOAT (5.13). Without: an empty STRUCT of the same size. */
  float: boolean;
  /** DECL_TAG (5.16). Without: INT. */
  declTag: boolean;
  /** TYPE_TAG (5.17). Without: CONST. */
  typeTag: boolean;
  /** ENUM64 and signed ENUM (6.0). Without: ENUM64 → UNION of same-sized ints; ENUM signedness dropped. */
  enum64: boolean;
}

export const ALL_BTF_FEATURES: Readonly<BtfFeatures> = Object.freeze({
  datasec: true, func: true, globalFunc: true, float: true, declTag: true, typeTag: true, enum64: true,
});

export interface EncodeOptions {
  features?: Partial<BtfFeatures>;
  /** Byte order of the output (default: little-endian, what this host's kernel wants). */
  littleEndian?: boolean;
  /**
   * A string section to start from, kept byte for byte, so string offsets into it (line_info file and line
   * offsets) stay valid. encodeBtf passes the source BTF's own strings.
   */
  strings?: Uint8Array;
}

/** Types in id order: the first is id 1. Ids inside them refer to this list. */
export type TypeList = readonly BtfTypeSpec[];

/** Every type of a Btf (base types too, for split BTF) as a list ready for encodeTypes. */
export function typeList(btf: Btf): BtfTypeSpec[] {
  const out: BtfTypeSpec[] = [];
  for (let id = 1; id < btf.typeCount; id++) out.push(btf.type(id));
  return out;
}

/** Encodes a whole Btf (flattening split BTF onto its base). */
export function encodeBtf(btf: Btf, options: EncodeOptions = {}): Uint8Array {
  const strings = options.strings ?? (btf.base ? undefined : btf.strings);
  return encodeTypes(typeList(btf), { ...options, strings });
}

/**
 * Encodes only the types reachable from `roots` (and the FUNC/VAR/DATASEC/DECL_TAG records that name them),
 * renumbered densely. Returns the bytes and old id → new id.
 */
export function encodeBtfSubset(btf: Btf, roots: Iterable<number>, options: EncodeOptions = {}):
  { bytes: Uint8Array; ids: Map<number, number> } {
  const keep = new Set<number>();
  const stack = [...roots];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === 0 || keep.has(id)) continue;
    keep.add(id);
    stack.push(...referencedIds(btf.type(id)));
  }
  const ordered = [...keep].sort((a, b) => a - b);
  const ids = new Map<number, number>([[0, 0]]);
  ordered.forEach((id, i) => ids.set(id, i + 1));
  const list = ordered.map((id) => remap(btf.type(id), (old) => {
    const n = ids.get(old);
    if (n === undefined) throw new BtfError(`type ${old} missing from subset`);
    return n;
  }));
  return { bytes: encodeTypes(list, options), ids };
}

/** Type ids a type refers to. */
export function referencedIds(t: BtfTypeSpec): number[] {
  switch (t.kind) {
    case BtfKind.PTR: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT:
    case BtfKind.TYPE_TAG: case BtfKind.FUNC: case BtfKind.VAR: case BtfKind.DECL_TAG: return [t.type];
    case BtfKind.ARRAY: return [t.type, t.indexType];
    case BtfKind.STRUCT: case BtfKind.UNION: return t.members.map((m) => m.type);
    case BtfKind.FUNC_PROTO: return [t.returnType, ...t.params.map((p) => p.type)];
    case BtfKind.DATASEC: return t.vars.map((v) => v.type);
    default: return [];
  }
}

/** A copy of a type with every referenced id passed through `map`. */
export function remap<T extends BtfTypeSpec>(t: T, map: (id: number) => number): T {
  const c = { ...t } as BtfTypeSpec;
  switch (c.kind) {
    case BtfKind.PTR: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT:
    case BtfKind.TYPE_TAG: case BtfKind.FUNC: case BtfKind.VAR: case BtfKind.DECL_TAG: c.type = map(c.type); break;
    case BtfKind.ARRAY: c.type = map(c.type); c.indexType = map(c.indexType); break;
    case BtfKind.STRUCT: case BtfKind.UNION: c.members = c.members.map((m) => ({ ...m, type: map(m.type) })); break;
    case BtfKind.FUNC_PROTO:
      c.returnType = map(c.returnType); c.params = c.params.map((p) => ({ ...p, type: map(p.type) })); break;
    case BtfKind.DATASEC: c.vars = c.vars.map((v) => ({ ...v, type: map(v.type) })); break;
    default: break;
  }
  return c as T;
}

/** Rewrites kinds the kernel lacks into kinds it has; ids stay the same (new helper types are appended). */
export function sanitizeTypes(types: TypeList, features: Partial<BtfFeatures> = {}): BtfTypeSpec[] {
  const f = { ...ALL_BTF_FEATURES, ...features };
  const out: BtfTypeSpec[] = [];
  const extra: BtfTypeSpec[] = [];
  const intOfSize = new Map<number, number>();
  // An int of a given size, appended after the original types, for ENUM64 → UNION members.
  const intId = (size: number): number => {
    let id = intOfSize.get(size);
    if (id === undefined) {
      extra.push({ kind: BtfKind.INT, name: '', size, encoding: 0, signed: false, bitOffset: 0, bits: size * 8 });
      id = types.length + extra.length;
      intOfSize.set(size, id);
    }
    return id;
  };
  for (const t of types) {
    const placeholderInt = (name = ''): BtfTypeSpec =>
      ({ kind: BtfKind.INT, name, size: 1, encoding: 0, signed: false, bitOffset: 0, bits: 8 });
    switch (t.kind) {
      case BtfKind.VAR: out.push(f.datasec ? t : placeholderInt(t.name)); break;
      case BtfKind.DATASEC:
        out.push(f.datasec ? t : {
          kind: BtfKind.STRUCT, name: t.name.replace(/\./g, '_'), size: t.size, bitfields: false,
          members: t.vars.map((v) => ({ name: types[v.type - 1]?.name ?? '', type: v.type, bitOffset: v.offset * 8, bitfieldSize: 0 })),
        });
        break;
      case BtfKind.FUNC:
        if (!f.func) out.push({ kind: BtfKind.TYPEDEF, name: t.name, type: t.type });
        else if (!f.globalFunc && t.linkage === FuncLinkage.GLOBAL) out.push({ ...t, linkage: FuncLinkage.STATIC });
        else out.push(t);
        break;
      case BtfKind.FUNC_PROTO:
        out.push(f.func ? t : {
          kind: BtfKind.ENUM, name: '', size: 4, signed: false,
          // Enumerators must be named: unnamed parameters (function pointer types) get placeholder names.
          values: t.params.map((p, i) => ({ name: p.name || `__arg${i}`, value: 0n })),
        });
        break;
      case BtfKind.FLOAT:
        out.push(f.float ? t : { kind: BtfKind.STRUCT, name: '', size: t.size, members: [], bitfields: false });
        break;
      case BtfKind.DECL_TAG: out.push(f.declTag ? t : placeholderInt()); break;
      case BtfKind.TYPE_TAG: out.push(f.typeTag ? t : { kind: BtfKind.CONST, name: '', type: t.type }); break;
      case BtfKind.ENUM64:
        out.push(f.enum64 ? t : {
          kind: BtfKind.UNION, name: t.name, size: t.size, bitfields: false,
          members: t.values.map((v) => ({ name: v.name, type: intId(t.size), bitOffset: 0, bitfieldSize: 0 })),
        });
        break;
      case BtfKind.ENUM: out.push(f.enum64 || !t.signed ? t : { ...t, signed: false }); break;
      default: out.push(t);
    }
  }
  return [...out, ...extra];
}

/** Encodes a list of types (id 1 first) into BTF bytes: header, type section, deduplicated string section. */
export function encodeTypes(types: TypeList, options: EncodeOptions = {}): Uint8Array {
  const list = options.features ? sanitizeTypes(types, options.features) : types;
  const le = options.littleEndian ?? true;
  const strings = new StringTable(options.strings);
  const words: number[] = [];
  const header = (t: BtfTypeSpec, vlen: number, kflag: boolean, sizeOrType: number) => {
    if (vlen > 0xffff) throw new BtfError(`${kindName(t.kind)} '${t.name}' has too many members (${vlen})`);
    words.push(strings.add(t.name), ((kflag ? 1 : 0) << 31 | (t.kind << 24) | vlen) >>> 0, sizeOrType >>> 0);
  };
  for (const t of list) {
    switch (t.kind) {
      case BtfKind.INT:
        header(t, 0, false, t.size);
        words.push(((t.encoding & 0xf) << 24 | (t.bitOffset & 0xff) << 16 | (t.bits & 0xff)) >>> 0);
        break;
      case BtfKind.PTR: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT:
      case BtfKind.TYPE_TAG:
        header(t, 0, false, t.type);
        break;
      case BtfKind.ARRAY: header(t, 0, false, 0); words.push(t.type, t.indexType, t.nelems); break;
      case BtfKind.STRUCT: case BtfKind.UNION: {
        const kflag = t.bitfields || t.members.some((m) => m.bitfieldSize !== 0);
        header(t, t.members.length, kflag, t.size);
        for (const m of t.members) {
          if (kflag && (m.bitOffset > 0xffffff || m.bitfieldSize > 0xff)) throw new BtfError(`member ${m.name} offset too large for a bitfield struct`);
          words.push(strings.add(m.name), m.type, kflag ? ((m.bitfieldSize << 24) | m.bitOffset) >>> 0 : m.bitOffset);
        }
        break;
      }
      case BtfKind.ENUM:
        header(t, t.values.length, t.signed, t.size);
        for (const v of t.values) words.push(strings.add(v.name), Number(BigInt.asUintN(32, v.value)));
        break;
      case BtfKind.ENUM64:
        header(t, t.values.length, t.signed, t.size);
        for (const v of t.values) {
          const u = BigInt.asUintN(64, v.value);
          words.push(strings.add(v.name), Number(u & 0xffffffffn), Number(u >> 32n));
        }
        break;
      case BtfKind.FWD: header(t, 0, t.union, 0); break;
      case BtfKind.FUNC: header(t, t.linkage, false, t.type); break;
      case BtfKind.FUNC_PROTO: {
        header(t, t.params.length + (t.variadic ? 1 : 0), false, t.returnType);
        for (const p of t.params) words.push(strings.add(p.name), p.type);
        if (t.variadic) words.push(0, 0);
        break;
      }
      case BtfKind.VAR: header(t, 0, false, t.type); words.push(t.linkage); break;
      case BtfKind.DATASEC:
        header(t, t.vars.length, false, t.size);
        for (const v of t.vars) words.push(v.type, v.offset, v.size);
        break;
      case BtfKind.FLOAT: header(t, 0, false, t.size); break;
      case BtfKind.DECL_TAG: header(t, 0, false, t.type); words.push(t.componentIdx >>> 0); break;
      default: throw new BtfError(`cannot encode BTF kind ${kindName((t as BtfType).kind)}`);
    }
  }
  const str = strings.bytes();
  const typeLen = words.length * 4;
  const out = new Uint8Array(24 + typeLen + str.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, BTF_MAGIC, le);
  view.setUint8(2, 1);
  view.setUint8(3, 0);
  view.setUint32(4, 24, le);
  view.setUint32(8, 0, le);
  view.setUint32(12, typeLen, le);
  view.setUint32(16, typeLen, le);
  view.setUint32(20, str.length, le);
  if (le && new Uint8Array(new Uint32Array([1]).buffer)[0] === 1) {
    out.set(new Uint8Array(Uint32Array.from(words).buffer), 24);
  } else {
    for (let i = 0; i < words.length; i++) view.setUint32(24 + i * 4, words[i]! >>> 0, le);
  }
  out.set(str, 24 + typeLen);
  return out;
}

/** A string section under construction: "" at offset 0, each distinct string stored once. */
export class StringTable {
  private readonly offsets = new Map<string, number>([['', 0]]);
  private readonly chunks: Uint8Array[] = [new Uint8Array(1)];
  private length = 1;
  private seeded: Uint8Array | undefined;

  /** Starts from an existing string section (must begin with NUL and end with NUL). */
  constructor(initial?: Uint8Array) {
    if (initial && initial.length > 0) {
      if (initial[0] !== 0 || initial[initial.length - 1] !== 0) throw new BtfError('seed string section must start and end with NUL');
      this.chunks = [initial];
      this.length = initial.length;
      this.seeded = initial;
    }
  }

  /** Offsets of every seed string, built on first use (first occurrence wins, as for deduplicated BTF). */
  private findSeeded(s: string): number | undefined {
    if (!this.seeded) return undefined;
    const seed = Buffer.from(this.seeded.buffer, this.seeded.byteOffset, this.seeded.byteLength);
    this.seeded = undefined;
    for (let at = 1; at < seed.length;) {
      const end = seed.indexOf(0, at);
      const str = seed.toString('utf8', at, end);
      if (!this.offsets.has(str)) this.offsets.set(str, at);
      at = end + 1;
    }
    return this.offsets.get(s);
  }

  add(s: string): number {
    let off = this.offsets.get(s) ?? this.findSeeded(s);
    if (off !== undefined) this.offsets.set(s, off);
    if (off === undefined) {
      const b = textEncoder.encode(s);
      if (b.includes(0)) throw new BtfError(`BTF string contains NUL: ${JSON.stringify(s)}`);
      off = this.length;
      this.offsets.set(s, off);
      this.chunks.push(b, new Uint8Array(1));
      this.length += b.length + 1;
    }
    return off;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

const textEncoder = new TextEncoder();

/**
 * clang leaves DATASEC sizes and variable offsets at 0 in objects; the loader knows them from the ELF section
 * headers and symbol table. Returns the list with every DATASEC filled in (vars sorted by offset, as the kernel
 * requires). `sectionSize(name)` and `symbolOffset(section, variable)` return undefined when unknown.
 */
export function fixupDatasecs(types: TypeList, sectionSize: (name: string) => number | undefined,
  symbolOffset: (section: string, variable: string) => number | undefined): BtfTypeSpec[] {
  return types.map((t) => {
    if (t.kind !== BtfKind.DATASEC) return t;
    const size = t.size || sectionSize(t.name);
    if (size === undefined) throw new BtfError(`no size for data section ${t.name}`);
    const vars = t.vars.map((v) => {
      const name = types[v.type - 1]?.name ?? '';
      const offset = v.offset || symbolOffset(t.name, name);
      if (offset === undefined) throw new BtfError(`no offset for variable ${name} in ${t.name}`);
      return { ...v, offset };
    }).sort((a, b) => a.offset - b.offset);
    return { ...t, size, vars };
  });
}
