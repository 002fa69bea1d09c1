// Script value types as the semantic pass sees them, their names in bpftrace's messages, and their byte layouts.
import type { ValueType } from './compiled.js';

export type SType =
  | { k: 'int'; size: 1 | 2 | 4 | 8; signed: boolean }
  | { k: 'str'; size: number }
  | { k: 'tuple'; elems: SType[] }
  /** An address: `user` when it points into the traced process (syscall arguments, uprobe arguments). */
  | { k: 'ptr'; user: boolean }
  /** The tracepoint record (`args`). */
  | { k: 'args' }
  /** Aggregation results: usable only as map values, printed by the runtime. */
  | { k: 'agg'; fn: AggregationName }
  | { k: 'none' };

export type AggregationName = 'count' | 'sum' | 'min' | 'max' | 'avg' | 'stats' | 'hist' | 'lhist';

/** bpftrace's default string buffer size (BPFTRACE_STRLEN). */
export const STRLEN = 64;

export const int64: SType = { k: 'int', size: 8, signed: true };
export const uint64: SType = { k: 'int', size: 8, signed: false };
export const uint32: SType = { k: 'int', size: 4, signed: false };
export const none: SType = { k: 'none' };

export const str = (size: number): SType => ({ k: 'str', size });

/** The type's name as bpftrace prints it in errors: int64, uint32, string[16], (int64,string[4]), count... */
export function typeName(t: SType): string {
  switch (t.k) {
    case 'int':
      return `${t.signed ? 'int' : 'uint'}${t.size * 8}`;
    case 'str':
      return `string[${t.size}]`;
    case 'tuple':
      return `(${t.elems.map(typeName).join(',')})`;
    case 'ptr':
      return 'uint64';
    case 'args':
      return 'ctx';
    case 'agg':
      return t.fn;
    case 'none':
      return 'none';
  }
}

export const isInt = (t: SType): boolean => t.k === 'int' || t.k === 'ptr';
export const isStr = (t: SType): boolean => t.k === 'str';

/** Bytes the value occupies in keys, values, records and scratch memory (8-byte granules: loads stay aligned). */
export function storageSize(t: SType): number {
  switch (t.k) {
    case 'int':
    case 'ptr':
      return 8;
    case 'str':
      return align8(t.size);
    case 'tuple':
      return t.elems.reduce((n, e) => n + storageSize(e), 0);
    default:
      return 0;
  }
}

export function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** The runtime's view of the same layout (see compiled.ts). Ints are widened to 8 bytes in storage. */
export function valueTypeOf(t: SType): ValueType {
  switch (t.k) {
    case 'int':
      return { kind: 'int', size: 8, signed: t.signed };
    case 'ptr':
      return { kind: 'int', size: 8, signed: false };
    case 'str':
      return { kind: 'string', size: align8(t.size) };
    case 'tuple': {
      let offset = 0;
      const fields = t.elems.map((e) => {
        const f = { type: valueTypeOf(e), offset };
        offset += storageSize(e);
        return f;
      });
      return { kind: 'tuple', fields, size: offset };
    }
    default:
      return { kind: 'none', size: 0 };
  }
}

export function sameShape(a: SType, b: SType): boolean {
  if (a.k !== b.k) return (isInt(a) && isInt(b));
  if (a.k === 'tuple' && b.k === 'tuple') {
    return a.elems.length === b.elems.length && a.elems.every((e, i) => sameShape(e, b.elems[i]!));
  }
  if (a.k === 'agg' && b.k === 'agg') return a.fn === b.fn;
  return true;
}

/** The wider of two compatible types (strings and tuples grow to hold either). */
export function widen(a: SType, b: SType): SType {
  if (a.k === 'str' && b.k === 'str') return str(Math.max(a.size, b.size));
  if (a.k === 'tuple' && b.k === 'tuple') return { k: 'tuple', elems: a.elems.map((e, i) => widen(e, b.elems[i]!)) };
  if (a.k === 'int' && b.k === 'int') return { k: 'int', size: 8, signed: a.signed || b.signed };
  return a;
}
