// CO-RE relocation (pure): given the object's BTF, one core_relo record and the target kernel's BTF, compute the
// value the instruction must carry on this kernel and patch it. Follows libbpf's relocation semantics:
// candidates by "essential" name (flavour suffix ___xxx stripped), field matching by name through anonymous
// members, array indexing, bitfield offset/shift maths, and instruction poisoning when a relocation cannot be
// satisfied (the instruction becomes `call 0xbad2310`, which the verifier reports if it is reachable).
import type { Instruction } from '../isa/instruction.js';
import { CoreReloKind, type CoreRelo } from './ext.js';
import type { Btf } from './parse.js';
import { BtfError, BtfKind, IntEncoding, isComposite, isEnum, kindName, type BtfType, type StructType } from './types.js';

/** The helper id libbpf puts in a poisoned instruction ("invalid func unknown#195896080"). */
export const POISON_HELPER_ID = 0xbad2310;
const MAX_SPEC_LEN = 64;
const MAX_DEPTH = 32;

/** The relocation cannot be applied at all (bad record, ambiguous candidates, unexpected instruction). */
export class CoreRelocationError extends BtfError {
  override name = 'CoreRelocationError';
}

interface Accessor {
  /** Composite (for named fields), array (for indexes) or enum type id holding the accessed element. */
  typeId: number;
  idx: number;
  /** Field or enumerator name; undefined for array indexes (and the root index). */
  name?: string;
}

/** A resolved access path in one BTF. */
export interface CoreSpec {
  btf: Btf;
  rootTypeId: number;
  /** Named accessors (anonymous members are skipped) and array indexes. */
  accessors: Accessor[];
  /** Every raw index, anonymous members included (what an access string spells). */
  raw: number[];
  bitOffset: number;
}

export interface CoreValue {
  /** The value computed against the local BTF (what clang put in the instruction). */
  localValue: bigint;
  /** The value for the target. */
  targetValue: bigint;
  /** The relocation cannot be satisfied: the instruction must be poisoned. */
  poison: boolean;
  reason?: string;
  /** Compare the instruction's current value with localValue before patching. */
  validate: boolean;
  /** Memory access sizes for LDX/ST/STX field offsets (load size adjustment). */
  localSize?: number;
  targetSize?: number;
  /** The load size cannot be adjusted safely (signed or non-scalar field changed size). */
  failMemSizeAdjust?: boolean;
  localSpec: CoreSpec;
  targetSpec?: CoreSpec;
}

export interface CoreRelocationResult extends CoreValue {
  /** The patched (or poison) instruction. */
  instruction: Instruction;
  /** All slots the original instruction occupied, patched: two poison calls replace a poisoned lddw. */
  instructions: Instruction[];
  poisoned: boolean;
  /** Human-readable access path, e.g. `struct task_struct.real_parent (0:70) @ 1280` in local and target. */
  local: string;
  target?: string;
}

export function isFieldReloKind(kind: CoreReloKind): boolean {
  return kind <= CoreReloKind.FIELD_RSHIFT_U64;
}
export function isTypeReloKind(kind: CoreReloKind): boolean {
  return kind === CoreReloKind.TYPE_ID_LOCAL || kind === CoreReloKind.TYPE_ID_TARGET || kind === CoreReloKind.TYPE_EXISTS
    || kind === CoreReloKind.TYPE_SIZE || kind === CoreReloKind.TYPE_MATCHES;
}
export function isEnumReloKind(kind: CoreReloKind): boolean {
  return kind === CoreReloKind.ENUMVAL_EXISTS || kind === CoreReloKind.ENUMVAL_VALUE;
}

/** Length of a name without its CO-RE flavour suffix: "task_struct___v1" → 11. */
export function essentialNameLength(name: string): number {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') return i + 1;
  }
  return name.length;
}

export function essentialName(name: string): string {
  return name.slice(0, essentialNameLength(name));
}

function skipMods(btf: Btf, id: number): { id: number; t: BtfType } {
  const rid = btf.resolveId(id);
  return { id: rid, t: btf.type(rid) };
}

function kindsCompatible(a: BtfKind, b: BtfKind): boolean {
  const anyEnum = (k: BtfKind) => k === BtfKind.ENUM || k === BtfKind.ENUM64;
  return a === b || (anyEnum(a) && anyEnum(b));
}

function isFlexArray(btf: Btf, parent: Accessor | undefined, nelems: number): boolean {
  // An array with zero elements that is the last member of a struct: any index is fine.
  if (nelems !== 0 || !parent?.name) return false;
  const t = btf.type(parent.typeId);
  return isComposite(t) && parent.idx === t.members.length - 1;
}

/** Parses an access string against the local BTF (bpf_core_parse_spec). */
export function parseCoreSpec(btf: Btf, typeId: number, accessStr: string, kind: CoreReloKind): CoreSpec {
  if (!/^\d+(:\d+)*$/.test(accessStr)) throw new CoreRelocationError(`bad CO-RE access string '${accessStr}'`);
  const raw = accessStr.split(':').map(Number);
  if (raw.length > MAX_SPEC_LEN) throw new CoreRelocationError(`CO-RE access string '${accessStr}' is too long`);
  btf.type(typeId); // must exist
  const spec: CoreSpec = { btf, rootTypeId: typeId, accessors: [], raw, bitOffset: 0 };
  if (isTypeReloKind(kind)) {
    if (raw.length !== 1 || raw[0] !== 0) throw new CoreRelocationError(`type relocation with access string '${accessStr}' (want "0")`);
    return spec;
  }
  if (isEnumReloKind(kind)) {
    const { id, t } = skipMods(btf, typeId);
    if (!isEnum(t) || raw.length !== 1 || raw[0]! >= t.values.length) {
      throw new CoreRelocationError(`enum relocation '${accessStr}' does not name an enumerator of type ${typeId}`);
    }
    spec.accessors.push({ typeId: id, idx: raw[0]!, name: t.values[raw[0]!]!.name });
    return spec;
  }
  let { id } = skipMods(btf, typeId);
  spec.accessors.push({ typeId: id, idx: raw[0]! });
  spec.bitOffset = raw[0]! * btf.sizeOf(id) * 8;
  for (let i = 1; i < raw.length; i++) {
    const r = skipMods(btf, id);
    id = r.id;
    const idx = raw[i]!;
    if (isComposite(r.t)) {
      const m = r.t.members[idx];
      if (!m) throw new CoreRelocationError(`access '${accessStr}': member ${idx} out of range in ${describeType(btf, id)}`);
      spec.bitOffset += m.bitOffset;
      if (m.name) spec.accessors.push({ typeId: id, idx, name: m.name });
      id = m.type;
    } else if (r.t.kind === BtfKind.ARRAY) {
      const prev = spec.accessors[spec.accessors.length - 1];
      if (!isFlexArray(btf, prev, r.t.nelems) && idx >= r.t.nelems) {
        throw new CoreRelocationError(`access '${accessStr}': index ${idx} out of range for ${describeType(btf, id)}`);
      }
      // Like libbpf, an element accessor names the element type: its size is the field size (flexible arrays
      // themselves have size 0).
      id = skipMods(btf, r.t.type).id;
      spec.accessors.push({ typeId: id, idx });
      spec.bitOffset += idx * btf.sizeOf(id) * 8;
    } else {
      throw new CoreRelocationError(`access '${accessStr}' at index ${i} reaches ${describeType(btf, id)}, which has no members`);
    }
  }
  return spec;
}

/** Target types whose essential name and kind match the local root type (bpf_core_add_cands). */
export function coreCandidates(local: Btf, localTypeId: number, target: Btf): number[] {
  const t = local.type(localTypeId);
  const ess = essentialName(t.name);
  let cache = candidateCache.get(target);
  if (!cache) candidateCache.set(target, cache = new Map());
  const key = `${t.kind}:${ess}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const out = target.idsByNamePrefix(ess, '___')
    .filter((id) => kindsCompatible(target.kindOf(id), t.kind) && essentialName(target.nameOf(id)) === ess);
  cache.set(key, out);
  return out;
}
const candidateCache = new WeakMap<Btf, Map<string, number[]>>();

function namesMatch(a: string, b: string): boolean {
  if (b === '') return a === '';
  return essentialName(a) === essentialName(b);
}

/** bpf_core_fields_are_compat: can a local field be relocated to this target field? */
function fieldsCompatible(lb: Btf, lid: number, tb: Btf, tid: number): boolean {
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const l = skipMods(lb, lid).t;
    const t = skipMods(tb, tid).t;
    if (isComposite(l) && isComposite(t)) return true;
    if (!kindsCompatible(l.kind, t.kind)) return false;
    switch (l.kind) {
      case BtfKind.PTR: case BtfKind.FLOAT: return true;
      case BtfKind.FWD: case BtfKind.ENUM: case BtfKind.ENUM64: {
        const ll = essentialNameLength(l.name);
        const tl = essentialNameLength(t.name);
        return ll === 0 || tl === 0 || essentialName(l.name) === essentialName(t.name);
      }
      case BtfKind.INT: return l.bitOffset === 0 && (t as typeof l).bitOffset === 0;
      case BtfKind.ARRAY: lid = l.type; tid = (t as typeof l).type; break;
      default: return false;
    }
  }
  return false;
}

/** bpf_core_types_are_compat: loose compatibility for TYPE_EXISTS / TYPE_SIZE / TYPE_ID_TARGET. */
export function typesCompatible(lb: Btf, lid: number, tb: Btf, tid: number, level = MAX_DEPTH): boolean {
  if (!kindsCompatible(lb.kindOf(lid), tb.kindOf(tid))) return false;
  for (let depth = level; depth > 0; depth--) {
    const lr = skipMods(lb, lid);
    const tr = skipMods(tb, tid);
    const l = lr.t;
    const t = tr.t;
    if (!kindsCompatible(l.kind, t.kind)) return false;
    switch (l.kind) {
      case BtfKind.UNKN: case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.ENUM: case BtfKind.ENUM64: case BtfKind.FWD:
        return true;
      case BtfKind.INT: return l.bitOffset === 0 && (t as typeof l).bitOffset === 0;
      case BtfKind.PTR: lid = l.type; tid = (t as typeof l).type; break;
      case BtfKind.ARRAY: lid = l.type; tid = (t as typeof l).type; break;
      case BtfKind.FUNC_PROTO: {
        const tp = t as typeof l;
        if (l.params.length !== tp.params.length || l.variadic !== tp.variadic) return false;
        for (let i = 0; i < l.params.length; i++) {
          if (!typesCompatible(lb, lb.resolveId(l.params[i]!.type), tb, tb.resolveId(tp.params[i]!.type), depth - 1)) return false;
        }
        lid = l.returnType; tid = tp.returnType;
        break;
      }
      default: return false;
    }
  }
  throw new CoreRelocationError('types nested too deeply for CO-RE compatibility check');
}

/** bpf_core_types_match: the stricter check behind bpf_core_type_matches(). */
export function typesMatch(lb: Btf, lid: number, tb: Btf, tid: number, behindPtr = false, level = MAX_DEPTH): boolean {
  for (let depth = level; depth > 0; depth--) {
    const l = skipMods(lb, lid).t;
    const t = skipMods(tb, tid).t;
    if (!namesMatch(l.name, t.name)) return false;
    switch (l.kind) {
      case BtfKind.UNKN: return t.kind === BtfKind.UNKN;
      case BtfKind.FWD:
        if (behindPtr && t.kind !== BtfKind.FWD) {
          return (t.kind === BtfKind.STRUCT && !l.union) || (t.kind === BtfKind.UNION && l.union);
        }
        return t.kind === BtfKind.FWD && t.union === l.union;
      case BtfKind.ENUM: case BtfKind.ENUM64:
        if (!isEnum(t) || l.size !== t.size) return false;
        return l.values.every((v) => t.values.some((w) => namesMatch(v.name, w.name)));
      case BtfKind.STRUCT: case BtfKind.UNION:
        if (behindPtr) {
          if (l.kind === t.kind) return true;
          return t.kind === BtfKind.FWD && (l.kind === BtfKind.UNION) === t.union;
        }
        if (l.kind !== t.kind) return false;
        return compositesMatch(lb, l, tb, t as StructType, behindPtr, depth - 1);
      case BtfKind.INT:
        return t.kind === BtfKind.INT && l.size === t.size && l.signed === t.signed;
      case BtfKind.PTR:
        if (t.kind !== BtfKind.PTR) return false;
        behindPtr = true; lid = l.type; tid = t.type;
        break;
      case BtfKind.ARRAY:
        if (t.kind !== BtfKind.ARRAY || l.nelems !== t.nelems) return false;
        lid = l.type; tid = t.type;
        break;
      case BtfKind.FUNC_PROTO: {
        if (t.kind !== BtfKind.FUNC_PROTO || l.params.length !== t.params.length) return false;
        for (let i = 0; i < l.params.length; i++) {
          if (!typesMatch(lb, l.params[i]!.type, tb, t.params[i]!.type, behindPtr, depth - 1)) return false;
        }
        lid = l.returnType; tid = t.returnType;
        break;
      }
      default: return false;
    }
  }
  throw new CoreRelocationError('types nested too deeply for CO-RE match');
}

function compositesMatch(lb: Btf, l: StructType, tb: Btf, t: StructType, behindPtr: boolean, level: number): boolean {
  if (l.members.length > t.members.length) return false;
  return l.members.every((lm) => t.members.some((tm) => namesMatch(lm.name, tm.name)
    && lm.bitfieldSize === tm.bitfieldSize && typesMatch(lb, lm.type, tb, tm.type, behindPtr, level)));
}

/** bpf_core_match_member: find a named local field in a target composite, descending into anonymous members. */
function matchMember(localSpec: CoreSpec, acc: Accessor, tb: Btf, targId: number, spec: CoreSpec, depth: number):
  { found: boolean; next: number } {
  if (depth > MAX_DEPTH) throw new CoreRelocationError('anonymous members nested too deeply');
  const local = localSpec.btf.type(acc.typeId) as StructType;
  const localMember = local.members[acc.idx]!;
  const r = skipMods(tb, targId);
  if (!isComposite(r.t)) return { found: false, next: 0 };
  for (let i = 0; i < r.t.members.length; i++) {
    const m = r.t.members[i]!;
    if (spec.raw.length >= MAX_SPEC_LEN) throw new CoreRelocationError('CO-RE access path too long in target');
    spec.bitOffset += m.bitOffset;
    spec.raw.push(i);
    if (m.name === '') {
      const inner = matchMember(localSpec, acc, tb, m.type, spec, depth + 1);
      if (inner.found) return inner;
    } else if (m.name === localMember.name) {
      if (fieldsCompatible(localSpec.btf, localMember.type, tb, m.type)) {
        spec.accessors.push({ typeId: r.id, idx: i, name: m.name });
        return { found: true, next: m.type };
      }
      // Same name, incompatible type: no match in this candidate.
      spec.bitOffset -= m.bitOffset;
      spec.raw.pop();
      return { found: false, next: 0 };
    }
    spec.bitOffset -= m.bitOffset;
    spec.raw.pop();
  }
  return { found: false, next: 0 };
}

/** bpf_core_spec_match: the local spec's path in one target candidate, or undefined. */
export function matchCoreSpec(local: CoreSpec, kind: CoreReloKind, tb: Btf, targId: number): CoreSpec | undefined {
  const spec: CoreSpec = { btf: tb, rootTypeId: targId, accessors: [], raw: [], bitOffset: 0 };
  if (isTypeReloKind(kind)) {
    const ok = kind === CoreReloKind.TYPE_MATCHES
      ? typesMatch(local.btf, local.rootTypeId, tb, targId)
      : typesCompatible(local.btf, local.rootTypeId, tb, targId);
    return ok ? spec : undefined;
  }
  const first = local.accessors[0]!;
  if (isEnumReloKind(kind)) {
    const r = skipMods(tb, targId);
    if (!isEnum(r.t)) return undefined;
    const want = essentialName(first.name!);
    const i = r.t.values.findIndex((v) => v.name !== '' && essentialName(v.name) === want);
    if (i < 0) return undefined;
    spec.accessors.push({ typeId: r.id, idx: i, name: r.t.values[i]!.name });
    spec.raw.push(i);
    return spec;
  }
  let id = targId;
  for (let i = 0; i < local.accessors.length; i++) {
    const acc = local.accessors[i]!;
    if (i > 0) {
      if (acc.name !== undefined) {
        const m = matchMember(local, acc, tb, id, spec, 0);
        if (!m.found) return undefined;
        id = m.next;
        continue;
      }
      const r = skipMods(tb, id);
      if (r.t.kind !== BtfKind.ARRAY) return undefined;
      if (!isFlexArray(tb, spec.accessors[spec.accessors.length - 1], r.t.nelems) && acc.idx >= r.t.nelems) return undefined;
      id = skipMods(tb, r.t.type).id;
    } else {
      id = skipMods(tb, id).id;
    }
    spec.accessors.push({ typeId: id, idx: acc.idx });
    spec.raw.push(acc.idx);
    spec.bitOffset += acc.idx * tb.sizeOf(id) * 8;
  }
  return spec;
}

interface FieldValue { value: bigint; size?: number; typeId?: number; validate: boolean }

class Poison extends Error {}

/** bpf_core_calc_field_relo: one side's value for a field relocation (spec undefined: no match). */
function fieldValue(kind: CoreReloKind, spec: CoreSpec | undefined, littleEndian: boolean): FieldValue {
  if (kind === CoreReloKind.FIELD_EXISTS) return { value: spec ? 1n : 0n, validate: true };
  if (!spec) throw new Poison('field not found in target kernel BTF');
  const btf = spec.btf;
  const acc = spec.accessors[spec.accessors.length - 1]!;
  if (acc.name === undefined) {
    // The path ends in an array element (or is just the root): only offset and size make sense.
    const size = btf.sizeOf(acc.typeId);
    if (kind === CoreReloKind.FIELD_BYTE_OFFSET) return { value: BigInt(Math.floor(spec.bitOffset / 8)), size, typeId: acc.typeId, validate: true };
    if (kind === CoreReloKind.FIELD_BYTE_SIZE) return { value: BigInt(size), validate: true };
    throw new CoreRelocationError(`${CoreReloKind[kind]} cannot be applied to an array element`);
  }
  const owner = btf.type(acc.typeId) as StructType;
  const member = owner.members[acc.idx]!;
  const mt = skipMods(btf, member.type);
  const bitOff = spec.bitOffset;
  let bitSize = member.bitfieldSize;
  const bitfield = bitSize > 0;
  let byteSize: number;
  let byteOff: number;
  if (bitfield) {
    byteSize = (mt.t as { size?: number }).size ?? 0;
    if (!byteSize) throw new CoreRelocationError(`bitfield ${member.name} has an unsized type`);
    byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    while (bitOff + bitSize - byteOff * 8 > byteSize * 8) {
      if (byteSize >= 8) throw new CoreRelocationError(`bitfield ${member.name} cannot be read with a 64-bit load`);
      byteSize *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    }
  } else {
    byteSize = btf.sizeOf(mt.id);
    byteOff = Math.floor(bitOff / 8);
    bitSize = byteSize * 8;
  }
  switch (kind) {
    case CoreReloKind.FIELD_BYTE_OFFSET:
      return bitfield ? { value: BigInt(byteOff), validate: false } : { value: BigInt(byteOff), size: byteSize, typeId: mt.id, validate: true };
    case CoreReloKind.FIELD_BYTE_SIZE: return { value: BigInt(byteSize), validate: !bitfield };
    case CoreReloKind.FIELD_SIGNED: {
      const t = mt.t;
      const signed = (isEnum(t) && t.signed) || (t.kind === BtfKind.INT && (t.encoding & IntEncoding.SIGNED) !== 0);
      return { value: signed ? 1n : 0n, validate: true };
    }
    case CoreReloKind.FIELD_LSHIFT_U64: {
      const v = littleEndian ? 64 - (bitOff + bitSize - byteOff * 8) : (8 - byteSize) * 8 + (bitOff - byteOff * 8);
      return { value: BigInt(v), validate: !bitfield };
    }
    case CoreReloKind.FIELD_RSHIFT_U64: return { value: BigInt(64 - bitSize), validate: true };
    default: throw new CoreRelocationError(`not a field relocation: ${kind}`);
  }
}

function typeValue(kind: CoreReloKind, spec: CoreSpec | undefined): bigint {
  if (!spec) return 0n;
  switch (kind) {
    case CoreReloKind.TYPE_ID_TARGET: case CoreReloKind.TYPE_ID_LOCAL: return BigInt(spec.rootTypeId);
    case CoreReloKind.TYPE_EXISTS: case CoreReloKind.TYPE_MATCHES: return 1n;
    case CoreReloKind.TYPE_SIZE: return BigInt(spec.btf.sizeOf(spec.rootTypeId));
    default: throw new CoreRelocationError(`not a type relocation: ${kind}`);
  }
}

function enumValue(kind: CoreReloKind, spec: CoreSpec | undefined): bigint {
  if (kind === CoreReloKind.ENUMVAL_EXISTS) return spec ? 1n : 0n;
  if (!spec) throw new Poison('enumerator not found in target kernel BTF');
  const acc = spec.accessors[0]!;
  const t = spec.btf.type(acc.typeId);
  if (!isEnum(t)) throw new CoreRelocationError('enum relocation spec does not point at an enum');
  return t.values[acc.idx]!.value;
}

/** bpf_core_calc_relo: local and target values given a matched target spec (or none). */
function calcValues(kind: CoreReloKind, local: CoreSpec, target: CoreSpec | undefined, le: boolean):
  Omit<CoreValue, 'localSpec' | 'targetSpec'> {
  try {
    if (isFieldReloKind(kind)) {
      const l = fieldValue(kind, local, le);
      const t = fieldValue(kind, target, le);
      const out: Omit<CoreValue, 'localSpec' | 'targetSpec'> = {
        localValue: l.value, targetValue: t.value, poison: false, validate: l.validate, localSize: l.size, targetSize: t.size,
      };
      if (l.size !== undefined && t.size !== undefined && l.size !== t.size) {
        const lt = local.btf.type(l.typeId!);
        const tt = target!.btf.type(t.typeId!);
        const unsignedInt = (x: BtfType) => x.kind === BtfKind.INT && !x.signed;
        const safe = (lt.kind === BtfKind.PTR && tt.kind === BtfKind.PTR) || (unsignedInt(lt) && unsignedInt(tt));
        out.failMemSizeAdjust = !safe;
      }
      return out;
    }
    if (isTypeReloKind(kind)) return { localValue: typeValue(kind, local), targetValue: typeValue(kind, target), poison: false, validate: true };
    return { localValue: enumValue(kind, local), targetValue: enumValue(kind, target), poison: false, validate: true };
  } catch (err) {
    if (!(err instanceof Poison)) throw err;
    return { localValue: 0n, targetValue: 0n, poison: true, reason: err.message, validate: false };
  }
}

/** Computes a relocation's local and target values (bpf_core_calc_relo_insn), without touching instructions. */
export function computeCoreRelocation(relo: CoreRelo, localBtf: Btf, targetBtf: Btf): CoreValue {
  const kind = relo.kind;
  const localSpec = parseCoreSpec(localBtf, relo.typeId, relo.accessStr, kind);
  const le = localBtf.littleEndian;
  if (kind === CoreReloKind.TYPE_ID_LOCAL) {
    const v = BigInt(relo.typeId);
    return { localValue: v, targetValue: v, poison: false, validate: true, localSpec };
  }
  const localName = localBtf.nameOf(relo.typeId);
  if (localName === '') throw new CoreRelocationError(`CO-RE relocation against anonymous type ${relo.typeId} is not supported`);
  let best: (Omit<CoreValue, 'localSpec' | 'targetSpec'> & { spec: CoreSpec }) | undefined;
  for (const cand of coreCandidates(localBtf, relo.typeId, targetBtf)) {
    const spec = matchCoreSpec(localSpec, kind, targetBtf, cand);
    if (!spec) continue;
    const v = calcValues(kind, localSpec, spec, le);
    if (!best) {
      best = { ...v, spec };
      continue;
    }
    if (isFieldReloKind(kind) && spec.bitOffset !== best.spec.bitOffset) {
      throw new CoreRelocationError(`field offset ambiguity for '${localName}' ${relo.accessStr}: candidates ${best.spec.rootTypeId} and ${cand} disagree`);
    }
    if (v.poison !== best.poison || v.targetValue !== best.targetValue) {
      throw new CoreRelocationError(`relocation decision ambiguity for '${localName}' ${relo.accessStr}: ${best.targetValue} != ${v.targetValue}`);
    }
  }
  if (best) {
    const { spec, ...rest } = best;
    return { ...rest, localSpec, targetSpec: spec };
  }
  const none = calcValues(kind, localSpec, undefined, le);
  if (none.poison) none.reason = `${none.reason}: ${describeSpec(localSpec, kind)}`;
  return { ...none, localSpec };
}

/** The call instruction libbpf writes over an unsatisfiable relocation. */
export function poisonInstruction(): Instruction {
  return { opcode: 0x85, dst: 0, src: 0, offset: 0, imm: POISON_HELPER_ID };
}

const CLASS_LD = 0x00, CLASS_LDX = 0x01, CLASS_ST = 0x02, CLASS_STX = 0x03, CLASS_ALU = 0x04, CLASS_ALU64 = 0x07;
const LDDW = 0x18;
const SIZE_BYTES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };
const BYTES_SIZE: Record<number, number> = { 4: 0x00, 2: 0x08, 1: 0x10, 8: 0x18 };

/**
 * Applies one CO-RE relocation to the instruction it names: the patched instruction, or a poison call (with the
 * reason) when the target kernel cannot satisfy it. Throws CoreRelocationError for records that cannot be
 * applied at all (libbpf fails the load in those cases too).
 */
export function applyCoreRelocation(insn: Instruction, relo: CoreRelo, localBtf: Btf, targetBtf: Btf): CoreRelocationResult {
  const v = computeCoreRelocation(relo, localBtf, targetBtf);
  const local = describeSpec(v.localSpec, relo.kind);
  const target = v.targetSpec ? describeSpec(v.targetSpec, relo.kind) : undefined;
  const poisoned = (reason: string): CoreRelocationResult => {
    const p = { ...poisonInstruction(), ...(insn.symbol ? { symbol: insn.symbol } : {}), ...(insn.source ? { source: insn.source } : {}) };
    const instructions = insn.opcode === LDDW ? [p, poisonInstruction()] : [p];
    return { ...v, poison: true, reason, instruction: p, instructions, poisoned: true, local, target };
  };
  if (v.poison) return poisoned(v.reason ?? 'unsatisfiable relocation');
  const cls = insn.opcode & 0x07;
  const out: Instruction = { ...insn };
  const where = `CO-RE ${CoreReloKind[relo.kind]} at insn ${relo.insn} (${local})`;
  const mismatch = (got: bigint) => new CoreRelocationError(`${where}: instruction holds ${got}, expected ${v.localValue}`);
  switch (cls) {
    case CLASS_ALU: case CLASS_ALU64:
      if ((insn.opcode & 0x08) !== 0) throw new CoreRelocationError(`${where}: ALU instruction uses a register operand`);
      if (v.validate && BigInt.asUintN(32, BigInt(insn.imm)) !== BigInt.asUintN(32, v.localValue)) throw mismatch(BigInt(insn.imm));
      out.imm = Number(BigInt.asIntN(32, v.targetValue));
      break;
    case CLASS_LDX: case CLASS_ST: case CLASS_STX: {
      if (v.validate && BigInt(insn.offset) !== v.localValue) throw mismatch(BigInt(insn.offset));
      if (v.targetValue > 0x7fffn) throw new CoreRelocationError(`${where}: offset ${v.targetValue} does not fit a memory instruction`);
      if (v.failMemSizeAdjust) {
        return poisoned(`${where}: field size changed from ${v.localSize} to ${v.targetSize} bytes and the load cannot be adjusted`);
      }
      out.offset = Number(v.targetValue);
      if (v.localSize !== undefined && v.targetSize !== undefined && v.localSize !== v.targetSize) {
        const insnSize = SIZE_BYTES[insn.opcode & 0x18]!;
        if (insnSize !== v.localSize) throw new CoreRelocationError(`${where}: instruction accesses ${insnSize} bytes, field has ${v.localSize}`);
        const code = BYTES_SIZE[v.targetSize];
        if (code === undefined) throw new CoreRelocationError(`${where}: no load of ${v.targetSize} bytes`);
        out.opcode = (insn.opcode & ~0x18) | code;
      }
      break;
    }
    case CLASS_LD: {
      if (insn.opcode !== LDDW || insn.src !== 0 || insn.offset !== 0) throw new CoreRelocationError(`${where}: lddw has an unexpected form`);
      const current = insn.constant ?? BigInt(insn.imm >>> 0);
      if (v.validate && BigInt.asUintN(64, current) !== BigInt.asUintN(64, v.localValue)) throw mismatch(current);
      out.constant = BigInt.asUintN(64, v.targetValue);
      out.imm = Number(BigInt.asIntN(32, v.targetValue));
      break;
    }
    default:
      throw new CoreRelocationError(`${where}: cannot relocate instruction with opcode 0x${insn.opcode.toString(16)}`);
  }
  return { ...v, instruction: out, instructions: [out], poisoned: false, local, target };
}

function describeType(btf: Btf, id: number): string {
  const t = btf.type(id);
  return `[${id}] ${kindName(t.kind)} '${t.name}'`;
}

/** `struct task_struct.real_parent (0:70) @ 1280` for fields, `enum foo::BAR` for enumerators, type otherwise. */
export function describeSpec(spec: CoreSpec, kind: CoreReloKind): string {
  const btf = spec.btf;
  const root = btf.format(spec.rootTypeId);
  if (isTypeReloKind(kind)) return `${root} [${spec.rootTypeId}]`;
  if (isEnumReloKind(kind)) return `${root}::${spec.accessors[0]?.name ?? '?'}`;
  let path = root;
  for (let i = 1; i < spec.accessors.length; i++) {
    const a = spec.accessors[i]!;
    path += a.name !== undefined ? `.${a.name}` : `[${a.idx}]`;
  }
  if (spec.accessors[0] && spec.accessors[0].idx !== 0) path = `${path} (root[${spec.accessors[0].idx}])`;
  return `${path} (${spec.raw.join(':')}) @ ${Math.floor(spec.bitOffset / 8)}${spec.bitOffset % 8 ? `+${spec.bitOffset % 8}b` : ''}`;
}
