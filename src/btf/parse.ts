// Lazy BTF decoder. One pass over the type section records where each type starts (a Uint32Array of word
// offsets); a type is decoded into an object only when asked for, and name lookups search the string section
// for the name and then the (kind, name_off) arrays, so parsing vmlinux BTF costs a few ms and a few MiB.
import { readFileSync } from 'node:fs';
import {
  BtfError, BtfKind, isComposite, isModifier, kindName, type BtfType, type EnumValue, type Member,
  type Param, type StructType, type VarSecInfo,
} from './types.js';

export const BTF_MAGIC = 0xeb9f;
const HEADER_MIN = 24;
/** Longest chain of typedefs/qualifiers/arrays we follow before calling it a loop. */
const MAX_CHAIN = 64;

export interface ParseOptions {
  /** Base BTF for split BTF (kernel modules, or a program BTF built on vmlinux): ids continue after it. */
  base?: Btf;
}

/** Words that follow the 3-word common header of a record, by kind; -1 for kinds this reader does not know. */
function trailingWords(kind: number, vlen: number): number {
  switch (kind) {
    case BtfKind.INT: case BtfKind.VAR: case BtfKind.DECL_TAG: return 1;
    case BtfKind.ARRAY: return 3;
    case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.DATASEC: case BtfKind.ENUM64: return 3 * vlen;
    case BtfKind.ENUM: case BtfKind.FUNC_PROTO: return 2 * vlen;
    case BtfKind.PTR: case BtfKind.FWD: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST:
    case BtfKind.RESTRICT: case BtfKind.FUNC: case BtfKind.FLOAT: case BtfKind.TYPE_TAG: return 0;
    default: return -1;
  }
}

export interface MemberLocation {
  /** The member found (possibly inside anonymous structs/unions). */
  member: Member;
  /** Offset from the start of the outer type, in bits and in whole bytes (floor). */
  bitOffset: number;
  byteOffset: number;
}

export class Btf {
  readonly littleEndian: boolean;
  readonly base: Btf | undefined;
  /** Id of this BTF's first own type (1, or base.typeCount + 1 for split BTF). */
  readonly firstId: number;
  /** Number of own types (not counting void or base types). */
  readonly ownCount: number;
  /** Raw string section of this BTF (not the base). */
  readonly strings: Uint8Array;
  private readonly words: Uint32Array;
  private readonly starts: Uint32Array;
  private readonly kinds: Uint8Array;
  private readonly nameOffs: Uint32Array;
  private readonly decoded = new Map<number, BtfType>();
  private readonly stringCache = new Map<number, string>();
  private readonly stringBase: number;

  private constructor(init: {
    littleEndian: boolean; base?: Btf; words: Uint32Array; starts: Uint32Array; kinds: Uint8Array;
    nameOffs: Uint32Array; strings: Uint8Array;
  }) {
    this.littleEndian = init.littleEndian;
    this.base = init.base;
    this.firstId = init.base ? init.base.typeCount : 1;
    this.ownCount = init.starts.length;
    this.words = init.words;
    this.starts = init.starts;
    this.kinds = init.kinds;
    this.nameOffs = init.nameOffs;
    this.strings = init.strings;
    this.stringBase = init.base ? init.base.stringsLength : 0;
  }

  /** Decodes the header and indexes the type records; nothing else is decoded until asked for. */
  static parse(bytes: Uint8Array, options: ParseOptions = {}): Btf {
    if (!(bytes instanceof Uint8Array)) throw new BtfError('BTF data must be a Uint8Array');
    if (bytes.byteLength < HEADER_MIN) throw new BtfError(`BTF data too short for a header (${bytes.byteLength} bytes)`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let le: boolean;
    if (view.getUint16(0, true) === BTF_MAGIC) le = true;
    else if (view.getUint16(0, false) === BTF_MAGIC) le = false;
    else throw new BtfError(`not BTF data: bad magic 0x${view.getUint16(0, true).toString(16)}`);
    const version = view.getUint8(2);
    if (version !== 1) throw new BtfError(`unsupported BTF version ${version}`);
    const hdrLen = view.getUint32(4, le);
    if (hdrLen < HEADER_MIN || hdrLen > bytes.byteLength) throw new BtfError(`bad BTF header length ${hdrLen}`);
    const typeOff = view.getUint32(8, le);
    const typeLen = view.getUint32(12, le);
    const strOff = view.getUint32(16, le);
    const strLen = view.getUint32(20, le);
    const typesStart = hdrLen + typeOff;
    const typesEnd = typesStart + typeLen;
    const strStart = hdrLen + strOff;
    if (typesEnd > bytes.byteLength) throw new BtfError('BTF type section runs past the end of the data');
    if (strStart + strLen > bytes.byteLength) throw new BtfError('BTF string section runs past the end of the data');
    if (typeOff % 4 !== 0 || typeLen % 4 !== 0) throw new BtfError('BTF type section is not 4-byte aligned');
    if (typesStart < strStart + strLen && strStart < typesEnd) throw new BtfError('BTF type and string sections overlap');
    const strings = bytes.subarray(strStart, strStart + strLen);
    if (!options.base && strLen > 0 && strings[0] !== 0) throw new BtfError('BTF string section must start with an empty string');
    if (strLen > 0 && strings[strLen - 1] !== 0) throw new BtfError('BTF string section is not NUL-terminated');

    const words = wordsOf(bytes, typesStart, typeLen, le);
    const max = Math.floor(words.length / 3);
    const starts = new Uint32Array(max);
    const kinds = new Uint8Array(max);
    const nameOffs = new Uint32Array(max);
    const end = words.length;
    let n = 0;
    for (let w = 0; w < end; n++) {
      if (w + 3 > end) throw new BtfError(`BTF type ${n + 1}: record header runs past the end of the type section`);
      const info = words[w + 1]!;
      const kind = (info >>> 24) & 0x1f;
      const extra = trailingWords(kind, info & 0xffff);
      if (extra < 0) throw new BtfError(`BTF type ${n + 1}: unknown kind ${kind}`);
      starts[n] = w;
      kinds[n] = kind;
      nameOffs[n] = words[w]!;
      w += 3 + extra;
      if (w > end) throw new BtfError(`BTF type ${n + 1} (${kindName(kind)}) runs past the end of the type section`);
    }
    return new Btf({
      littleEndian: le, base: options.base, words, starts: starts.slice(0, n), kinds: kinds.slice(0, n),
      nameOffs: nameOffs.slice(0, n), strings,
    });
  }

  /** Highest id + 1 (ids 0 .. typeCount-1 exist, counting void and base types). */
  get typeCount(): number {
    return this.firstId + this.ownCount;
  }

  /** Length of all string sections up to and including this one (split BTF string offsets continue). */
  get stringsLength(): number {
    return this.stringBase + this.strings.length;
  }

  /** The string at a string-section offset (base sections first for split BTF). */
  string(off: number): string {
    if (off < this.stringBase) return this.base!.string(off);
    const cached = this.stringCache.get(off);
    if (cached !== undefined) return cached;
    const local = off - this.stringBase;
    if (local >= this.strings.length) throw new BtfError(`BTF string offset ${off} is out of range`);
    const end = this.strings.indexOf(0, local);
    const s = decoder.decode(this.strings.subarray(local, end < 0 ? this.strings.length : end));
    this.stringCache.set(off, s);
    return s;
  }

  /** The kind of a type without decoding it. */
  kindOf(id: number): BtfKind {
    if (id === 0) return BtfKind.UNKN;
    if (id < this.firstId) return this.baseOf(id).kindOf(id);
    return this.kinds[this.index(id)] as BtfKind;
  }

  /** The name of a type without decoding it. */
  nameOf(id: number): string {
    if (id === 0) return '';
    if (id < this.firstId) return this.baseOf(id).nameOf(id);
    return this.string(this.nameOffs[this.index(id)]!);
  }

  /** The decoded type with this id (0 is void). */
  type(id: number): BtfType {
    if (id === 0) return { id: 0, kind: BtfKind.UNKN, name: 'void' };
    if (id < this.firstId) return this.baseOf(id).type(id);
    let t = this.decoded.get(id);
    if (!t) {
      t = this.decode(id);
      this.decoded.set(id, t);
    }
    return t;
  }

  /** Every type id of this BTF (own types; base types are not repeated). */
  *ids(): Generator<number> {
    for (let i = 0; i < this.ownCount; i++) yield this.firstId + i;
  }

  /** Every own type, decoded (walks the whole BTF: for small BTF or when you need everything). */
  *types(): Generator<BtfType> {
    for (const id of this.ids()) yield this.type(id);
  }

  /** Ids of every type called `name` (optionally of one kind), base types first. */
  idsByName(name: string, kind?: BtfKind): number[] {
    const out = this.base ? this.base.idsByName(name, kind) : [];
    if (name === '') return out;
    for (const off of this.stringOffsets(name, false)) {
      const names = this.nameOffs;
      for (let i = names.indexOf(off); i >= 0; i = names.indexOf(off, i + 1)) {
        if (kind === undefined || this.kinds[i] === kind) out.push(this.firstId + i);
      }
    }
    return out.sort((a, b) => a - b);
  }

  /** Every type called `name` (optionally of one kind). */
  typesByName(name: string, kind?: BtfKind): BtfType[] {
    return this.idsByName(name, kind).map((id) => this.type(id));
  }

  /** The first type called `name` (optionally of one kind), or undefined. */
  typeByName(name: string, kind?: BtfKind): BtfType | undefined {
    const ids = this.idsByName(name, kind);
    return ids.length ? this.type(ids[0]!) : undefined;
  }

  /**
   * Ids of types whose name is `prefix` exactly or starts with `prefix` + `separator` (CO-RE flavours:
   * "task_struct" and "task_struct___v2"). Optionally of one kind.
   */
  idsByNamePrefix(prefix: string, separator: string, kind?: BtfKind): number[] {
    const out = this.base ? this.base.idsByNamePrefix(prefix, separator, kind) : [];
    if (prefix === '') return out;
    const offs = [...this.stringOffsets(prefix, false), ...this.stringOffsets(prefix + separator, true)];
    for (const off of offs) {
      const names = this.nameOffs;
      for (let i = names.indexOf(off); i >= 0; i = names.indexOf(off, i + 1)) {
        if (kind === undefined || this.kinds[i] === kind) out.push(this.firstId + i);
      }
    }
    return [...new Set(out)].sort((a, b) => a - b);
  }

  /** Follows typedefs and qualifiers (const, volatile, restrict, type tags) to the underlying type id. */
  resolveId(id: number): number {
    for (let depth = 0; depth < MAX_CHAIN; depth++) {
      const kind = this.kindOf(id);
      if (!isModifier(kind)) return id;
      id = (this.type(id) as { type: number }).type;
    }
    throw new BtfError(`BTF type chain too long (loop?) at type ${id}`);
  }

  /** The underlying type after typedefs and qualifiers. */
  resolve(id: number): BtfType {
    return this.type(this.resolveId(id));
  }

  /** Size in bytes of a value of this type (arrays multiply, pointers are 8). */
  sizeOf(id: number): number {
    let mult = 1;
    for (let depth = 0; depth < MAX_CHAIN; depth++) {
      const t = this.type(id);
      switch (t.kind) {
        case BtfKind.INT: case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.ENUM: case BtfKind.ENUM64:
        case BtfKind.FLOAT: case BtfKind.DATASEC: {
          const size = t.size * mult;
          if (!Number.isSafeInteger(size)) throw new BtfError(`size of BTF type ${id} overflows`);
          return size;
        }
        case BtfKind.PTR: return 8 * mult;
        case BtfKind.ARRAY: mult *= t.nelems; id = t.type; break;
        case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT:
        case BtfKind.TYPE_TAG: case BtfKind.VAR: id = t.type; break;
        default: throw new BtfError(`BTF type ${t.id} (${kindName(t.kind)} '${t.name}') has no size`);
      }
    }
    throw new BtfError(`BTF type chain too long (loop?) at type ${id}`);
  }

  /** Natural alignment in bytes (1 for packed structs), as a C compiler would lay it out. */
  alignOf(id: number, depth = 0): number {
    if (depth > MAX_CHAIN) throw new BtfError(`BTF type chain too long (loop?) at type ${id}`);
    const t = this.resolve(id);
    switch (t.kind) {
      case BtfKind.INT: case BtfKind.ENUM: case BtfKind.ENUM64: case BtfKind.FLOAT:
        return Math.max(1, Math.min(t.size, 8));
      case BtfKind.PTR: return 8;
      case BtfKind.ARRAY: return this.alignOf(t.type, depth + 1);
      case BtfKind.STRUCT: case BtfKind.UNION: {
        let align = 1;
        for (const m of t.members) {
          const a = this.alignOf(m.type, depth + 1);
          // A member placed off its natural alignment means the struct is packed.
          if (m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) return 1;
          align = Math.max(align, a);
        }
        if (t.size % align !== 0) return 1;
        return align;
      }
      case BtfKind.VAR: return this.alignOf(t.type, depth + 1);
      default: throw new BtfError(`BTF type ${t.id} (${kindName(t.kind)}) has no alignment`);
    }
  }

  /**
   * Finds a member by name, or by a dotted path ("a.b.c"), looking through anonymous struct/union members the
   * way C does. Offsets add up along the path.
   */
  memberOffset(typeId: number, path: string | readonly string[]): MemberLocation | undefined {
    const parts = typeof path === 'string' ? path.split('.') : path;
    let bitOffset = 0;
    let current = typeId;
    let found: Member | undefined;
    for (const part of parts) {
      const t = this.resolve(current);
      if (!isComposite(t)) return undefined;
      const hit = this.findMember(t, part, 0);
      if (!hit) return undefined;
      bitOffset += hit.bitOffset;
      found = hit.member;
      current = hit.member.type;
    }
    if (!found) return undefined;
    return { member: found, bitOffset, byteOffset: Math.floor(bitOffset / 8) };
  }

  private findMember(t: StructType, name: string, depth: number): { member: Member; bitOffset: number } | undefined {
    if (depth > MAX_CHAIN) throw new BtfError(`anonymous members nested too deep in BTF type ${t.id}`);
    for (const m of t.members) {
      if (m.name === name) return { member: m, bitOffset: m.bitOffset };
    }
    for (const m of t.members) {
      if (m.name !== '') continue;
      const inner = this.resolve(m.type);
      if (!isComposite(inner)) continue;
      const hit = this.findMember(inner, name, depth + 1);
      if (hit) return { member: hit.member, bitOffset: m.bitOffset + hit.bitOffset };
    }
    return undefined;
  }

  /** The type as C would write it: `struct task_struct *`, `char [16]`, `int (*)(void *, long)`. */
  format(id: number, name = ''): string {
    return formatType(this, id, name, 0);
  }

  /** A C definition of a struct/union/enum (members on their own lines), or the type name for other kinds. */
  formatDefinition(id: number): string {
    const t = this.type(id);
    if (isComposite(t)) {
      const kw = t.kind === BtfKind.STRUCT ? 'struct' : 'union';
      const lines = t.members.map((m) => {
        const decl = formatType(this, m.type, m.name, 0);
        const bits = m.bitfieldSize ? `:${m.bitfieldSize}` : '';
        return `\t${decl}${bits}; /* offset ${Math.floor(m.bitOffset / 8)}${m.bitOffset % 8 ? `+${m.bitOffset % 8}b` : ''} */`;
      });
      return `${kw} ${t.name}${t.name ? ' ' : ''}{\n${lines.join('\n')}\n}; /* size ${t.size} */`;
    }
    if (t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64) {
      return `enum ${t.name}${t.name ? ' ' : ''}{\n${t.values.map((v) => `\t${v.name} = ${v.value},`).join('\n')}\n};`;
    }
    if (t.kind === BtfKind.TYPEDEF) return `typedef ${formatType(this, t.type, t.name, 0)};`;
    return this.format(id);
  }

  private baseOf(id: number): Btf {
    if (!this.base || id < 0) throw new BtfError(`BTF type id ${id} out of range`);
    return this.base;
  }

  private index(id: number): number {
    const i = id - this.firstId;
    if (!Number.isInteger(id) || i < 0 || i >= this.ownCount) {
      throw new BtfError(`BTF type id ${id} out of range (0..${this.typeCount - 1})`);
    }
    return i;
  }

  /** Offsets in this BTF's string section (as global offsets) holding `name`, whole (or as a prefix). */
  private *stringOffsets(name: string, prefix: boolean): Generator<number> {
    const encoded = encoder.encode(name);
    const needle = new Uint8Array(encoded.length + (prefix ? 1 : 2));
    needle.set(encoded, 1);
    const hay = Buffer.from(this.strings.buffer, this.strings.byteOffset, this.strings.byteLength);
    // The needle starts with the NUL that ends the previous string; offset 0 never holds a non-empty name
    // in valid BTF, but split BTF may start a name at 0.
    if (hay.length >= encoded.length && hay.subarray(0, encoded.length).equals(encoded)
      && (prefix || hay[encoded.length] === 0)) {
      yield this.stringBase;
    }
    const sub = prefix ? needle.subarray(0, needle.length) : needle;
    for (let at = hay.indexOf(sub); at >= 0; at = hay.indexOf(sub, at + 1)) yield this.stringBase + at + 1;
  }

  private decode(id: number): BtfType {
    const i = this.index(id);
    const w = this.words;
    const p = this.starts[i]!;
    const info = w[p + 1]!;
    const kind = this.kinds[i] as BtfKind;
    const vlen = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const sizeOrType = w[p + 2]!;
    const name = this.string(w[p]!);
    const q = p + 3;
    switch (kind) {
      case BtfKind.INT: {
        const v = w[q]!;
        const encoding = (v >>> 24) & 0x0f;
        return { id, kind, name, size: sizeOrType, encoding, signed: (encoding & 1) !== 0, bitOffset: (v >>> 16) & 0xff, bits: v & 0xff };
      }
      case BtfKind.PTR: return { id, kind, name, type: sizeOrType };
      case BtfKind.ARRAY: return { id, kind, name, type: w[q]!, indexType: w[q + 1]!, nelems: w[q + 2]! };
      case BtfKind.STRUCT: case BtfKind.UNION: {
        const members: Member[] = new Array(vlen);
        for (let m = 0; m < vlen; m++) {
          const o = q + 3 * m;
          const off = w[o + 2]!;
          members[m] = {
            name: this.string(w[o]!), type: w[o + 1]!,
            bitOffset: kflag ? off & 0xffffff : off, bitfieldSize: kflag ? off >>> 24 : 0,
          };
        }
        return { id, kind, name, size: sizeOrType, members, bitfields: kflag };
      }
      case BtfKind.ENUM: {
        const values: EnumValue[] = new Array(vlen);
        for (let m = 0; m < vlen; m++) {
          const raw = w[q + 2 * m + 1]!;
          values[m] = { name: this.string(w[q + 2 * m]!), value: BigInt(kflag ? raw | 0 : raw) };
        }
        return { id, kind, name, size: sizeOrType, signed: kflag, values };
      }
      case BtfKind.ENUM64: {
        const values: EnumValue[] = new Array(vlen);
        for (let m = 0; m < vlen; m++) {
          const o = q + 3 * m;
          const u = (BigInt(w[o + 2]!) << 32n) | BigInt(w[o + 1]!);
          values[m] = { name: this.string(w[o]!), value: kflag ? BigInt.asIntN(64, u) : u };
        }
        return { id, kind, name, size: sizeOrType, signed: kflag, values };
      }
      case BtfKind.FWD: return { id, kind, name, union: kflag };
      case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT: case BtfKind.TYPE_TAG:
        return { id, kind, name, type: sizeOrType };
      case BtfKind.FUNC: return { id, kind, name, type: sizeOrType, linkage: vlen };
      case BtfKind.FUNC_PROTO: {
        const params: Param[] = [];
        let variadic = false;
        for (let m = 0; m < vlen; m++) {
          const nameOff = w[q + 2 * m]!;
          const type = w[q + 2 * m + 1]!;
          if (m === vlen - 1 && nameOff === 0 && type === 0) variadic = true;
          else params.push({ name: this.string(nameOff), type });
        }
        return { id, kind, name, returnType: sizeOrType, params, variadic };
      }
      case BtfKind.VAR: return { id, kind, name, type: sizeOrType, linkage: w[q]! };
      case BtfKind.DATASEC: {
        const vars: VarSecInfo[] = new Array(vlen);
        for (let m = 0; m < vlen; m++) {
          const o = q + 3 * m;
          vars[m] = { type: w[o]!, offset: w[o + 1]!, size: w[o + 2]! };
        }
        return { id, kind, name, size: sizeOrType, vars };
      }
      case BtfKind.FLOAT: return { id, kind, name, size: sizeOrType };
      case BtfKind.DECL_TAG: return { id, kind, name, type: sizeOrType, componentIdx: w[q]! | 0 };
      default: throw new BtfError(`BTF type ${id}: unknown kind ${kind}`);
    }
  }
}

const decoder = new TextDecoder('utf-8');
const encoder = new TextEncoder();

/** The type section as host-order u32 words (a view when aligned little-endian, else a converted copy). */
function wordsOf(bytes: Uint8Array, start: number, len: number, le: boolean): Uint32Array {
  const n = len >>> 2;
  const abs = bytes.byteOffset + start;
  if (le && abs % 4 === 0) return new Uint32Array(bytes.buffer, abs, n);
  if (le) return new Uint32Array(bytes.slice(start, start + len).buffer);
  const out = new Uint32Array(n);
  const view = new DataView(bytes.buffer, abs, len);
  for (let i = 0; i < n; i++) out[i] = view.getUint32(i * 4, false);
  return out;
}

/** C declarator printing: `name` is what is being declared (may be empty). */
function formatType(btf: Btf, id: number, name: string, depth: number): string {
  if (depth > MAX_CHAIN) throw new BtfError(`BTF type chain too long (loop?) at type ${id}`);
  const t = btf.type(id);
  const withName = (base: string) => (name ? `${base} ${name}` : base);
  switch (t.kind) {
    case BtfKind.UNKN: return withName('void');
    case BtfKind.INT: case BtfKind.FLOAT: case BtfKind.TYPEDEF: return withName(t.name);
    case BtfKind.STRUCT: return withName(`struct ${t.name || '{...}'}`);
    case BtfKind.UNION: return withName(`union ${t.name || '{...}'}`);
    case BtfKind.ENUM: case BtfKind.ENUM64: return withName(`enum ${t.name || '{...}'}`);
    case BtfKind.FWD: return withName(`${t.union ? 'union' : 'struct'} ${t.name}`);
    case BtfKind.CONST: case BtfKind.VOLATILE: case BtfKind.RESTRICT: {
      const q = t.kind === BtfKind.CONST ? 'const' : t.kind === BtfKind.VOLATILE ? 'volatile' : 'restrict';
      // Qualifiers on a pointer go after the star; on anything else, before the type.
      if (btf.kindOf(t.type) === BtfKind.PTR) return formatType(btf, t.type, name ? `${q} ${name}` : q, depth + 1);
      return `${q} ${formatType(btf, t.type, name, depth + 1)}`;
    }
    case BtfKind.TYPE_TAG: return formatType(btf, t.type, name, depth + 1);
    case BtfKind.PTR: {
      const target = btf.kindOf(t.type);
      const inner = target === BtfKind.ARRAY || target === BtfKind.FUNC_PROTO ? `(*${name})` : `*${name}`;
      return formatType(btf, t.type, inner, depth + 1).replace(/ \*/, ' *');
    }
    case BtfKind.ARRAY: return formatType(btf, t.type, `${name}[${t.nelems}]`, depth + 1);
    case BtfKind.FUNC_PROTO: {
      const params = t.params.map((p) => formatType(btf, p.type, p.name, depth + 1));
      if (t.variadic) params.push('...');
      return formatType(btf, t.returnType, `${name}(${params.join(', ') || 'void'})`, depth + 1);
    }
    case BtfKind.FUNC: return formatType(btf, t.type, t.name, depth + 1);
    case BtfKind.VAR: return formatType(btf, t.type, t.name, depth + 1);
    case BtfKind.DATASEC: return `SEC("${t.name}")`;
    case BtfKind.DECL_TAG: return `__attribute__((btf_decl_tag("${t.name}")))`;
  }
}

export const VMLINUX_PATH = '/sys/kernel/btf/vmlinux';

let vmlinux: Btf | undefined;

/** The running kernel's BTF, parsed once (throws if the kernel exposes none). */
export function loadVmlinuxBtf(path = VMLINUX_PATH): Btf {
  if (path !== VMLINUX_PATH) return Btf.parse(readFileSync(path));
  vmlinux ??= Btf.parse(readFileSync(path));
  return vmlinux;
}
