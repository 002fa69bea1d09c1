// Kernel maps of a compiled script → MapContents for the output module, and clear()/zero() from user space.
// Byte layouts are the contract in compiled.ts: per-CPU aggregation values are summed (or reduced) here.
import { isPerCpu, type BpfMap } from '../../kernel/map.js';
import type { CompiledMap, ValueType } from '../compiled.js';
import type { MapContents, MapKey } from '../output/types.js';
import { decodeValue, viewOf } from './decode.js';

/** Raw entries of a map: key bytes and one value per CPU (one element for maps that are not per-CPU). */
export interface RawEntry {
  key: Uint8Array;
  values: Uint8Array[];
}

/** Every entry, in kernel iteration order, fetched in batches when the kernel allows it. */
export function rawEntries(map: BpfMap): RawEntry[] {
  const perCpu = isPerCpu(map.type);
  const out: RawEntry[] = [];
  try {
    if (perCpu) for (const [key, values] of map.entriesPerCpuBatched(256)) out.push({ key, values });
    else for (const [key, value] of map.entriesBatched(256)) out.push({ key, values: [value] });
    return out;
  } catch {
    // Kernels or map types without batch lookups: one syscall per key.
    out.length = 0;
    if (perCpu) for (const [key, values] of map.entriesPerCpu()) out.push({ key, values });
    else for (const [key, value] of map.entries()) out.push({ key, values: [value] });
    return out;
  }
}

/** Types of the key arguments of a map: [] without keys, the fields of a multi-key tuple, else the one key. */
export function keyTypesOf(type: ValueType): ValueType[] {
  if (type.kind === 'none') return [];
  if (type.kind === 'tuple') return type.fields.map((f) => f.type);
  return [type];
}

/** Decodes the user part of a map key (first `keySize` bytes) into one value per key argument. */
export function decodeKey(cm: CompiledMap, key: Uint8Array): MapKey {
  const type = cm.key;
  if (type.kind === 'none') return [];
  const view = viewOf(key);
  if (type.kind === 'tuple') return type.fields.map((f) => decodeValue(f.type, view, f.offset));
  return [decodeValue(type, view, 0)];
}

const i64 = (b: Uint8Array, off = 0) => viewOf(b).getBigInt64(off, true);
const u64 = (b: Uint8Array, off = 0) => viewOf(b).getBigUint64(off, true);

/** Reads a script map from the kernel and reduces it to what the output module prints. */
export function readMapContents(map: BpfMap, cm: CompiledMap): MapContents {
  return contentsFromEntries(cm, rawEntries(map));
}

/** The reduction itself, separated from the kernel for tests. */
export function contentsFromEntries(cm: CompiledMap, entries: readonly RawEntry[]): MapContents {
  const base = { name: cm.name, keyTypes: keyTypesOf(cm.key) };
  switch (cm.kind) {
    case 'count':
    case 'sum': {
      const signed = cm.kind === 'count' ? false : cm.value.kind === 'int' ? cm.value.signed : undefined;
      const decoded = entries.map((e) => ({
        key: decodeKey(cm, e.key),
        value: BigInt.asIntN(64, e.values.reduce((s, v) => s + i64(v), 0n)),
      }));
      // bpftrace 0.17 prints a keyless count() map that holds nothing (never hit, cleared, deleted) as 0.
      if (decoded.length === 0 && cm.kind === 'count' && cm.key.kind === 'none') decoded.push({ key: [], value: 0n });
      return { ...base, kind: cm.kind, ...(signed !== undefined ? { signed } : {}), entries: decoded };
    }
    case 'min':
    case 'max': {
      const pick = cm.kind === 'min' ? (a: bigint, b: bigint) => (b < a ? b : a) : (a: bigint, b: bigint) => (b > a ? b : a);
      return {
        ...base, kind: cm.kind,
        entries: entries.map((e) => {
          let value: bigint | undefined;
          for (const v of e.values) {
            if (u64(v, 8) === 0n) continue; // this CPU never saw a value
            const x = i64(v);
            value = value === undefined ? x : pick(value, x);
          }
          return { key: decodeKey(cm, e.key), value: value ?? 0n };
        }),
      };
    }
    case 'avg':
    case 'stats':
      return {
        ...base, kind: cm.kind,
        entries: entries.map((e) => ({
          key: decodeKey(cm, e.key),
          count: BigInt.asIntN(64, e.values.reduce((s, v) => s + u64(v), 0n)),
          total: BigInt.asIntN(64, e.values.reduce((s, v) => s + i64(v, 8), 0n)),
        })),
      };
    case 'hist':
    case 'lhist': {
      // One kernel entry per (user key, bucket): group by the user key's bytes.
      const groups = new Map<string, { key: MapKey; buckets: bigint[] }>();
      for (const e of entries) {
        const user = e.key.subarray(0, cm.keySize);
        const id = Buffer.from(user).toString('latin1');
        let g = groups.get(id);
        if (!g) groups.set(id, (g = { key: decodeKey(cm, user), buckets: [] }));
        const bucket = Number(u64(e.key, cm.keySize));
        const count = e.values.reduce((s, v) => s + u64(v), 0n);
        while (g.buckets.length <= bucket) g.buckets.push(0n);
        g.buckets[bucket] = BigInt.asUintN(64, g.buckets[bucket]! + count);
      }
      const grouped = [...groups.values()];
      if (cm.kind === 'hist') return { ...base, kind: 'hist', entries: grouped };
      const l = cm.lhist ?? { min: 0, max: 0, step: 1 };
      return { ...base, kind: 'lhist', min: l.min, max: l.max, step: l.step, entries: grouped };
    }
    case 'value':
      return {
        ...base, kind: 'value', valueType: cm.value,
        entries: entries.map((e) => ({ key: decodeKey(cm, e.key), value: decodeValue(cm.value, viewOf(e.values[0]!), 0) })),
      };
  }
}

/** clear(@m): removes every entry. */
export function clearMap(map: BpfMap): void {
  const keys = [...map.keys()];
  for (const k of keys) map.delete(k);
}

/** zero(@m): keeps the keys, sets every value (on every CPU) to zero. */
export function zeroMap(map: BpfMap): void {
  const keys = [...map.keys()];
  const zeros = new Uint8Array(map.valueStride * map.cpuSlots);
  for (const k of keys) map.updateRaw(k, zeros);
}
