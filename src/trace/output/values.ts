// Single values and map keys as text or JSON, the way bpftrace 0.17 renders them.
import type { ScriptValue, ValueType } from './types.js';

/** Text form: integers in decimal, strings raw, tuples as "(a, b)". */
export function valueText(value: ScriptValue): string {
  if (Array.isArray(value)) return '(' + value.map(valueText).join(', ') + ')';
  return typeof value === 'bigint' ? value.toString() : value;
}

/** JSON form: strings quoted and escaped, tuples as [a,b] (no spaces, as bpftrace). */
export function valueJson(value: ScriptValue): string {
  if (Array.isArray(value)) return '[' + value.map(valueJson).join(',') + ']';
  return typeof value === 'bigint' ? value.toString() : '"' + jsonEscape(value) + '"';
}

/** An integer of a given C type: the bits of `value` read as that type. */
export function intAs(value: bigint, size: number, signed: boolean): bigint {
  const bits = size * 8;
  return signed ? BigInt.asIntN(bits, value) : BigInt.asUintN(bits, value);
}

/** Normalises a decoded value to its declared type (ints wrapped to their size and signedness). */
export function typed(value: ScriptValue, type: ValueType | undefined): ScriptValue {
  if (!type) return value;
  if (type.kind === 'int' && typeof value === 'bigint') return intAs(value, type.size, type.signed);
  if (type.kind === 'tuple' && Array.isArray(value)) return value.map((v, i) => typed(v, type.fields[i]?.type));
  return value;
}

/** "[a, b]" after the map name, or "" for a map without key. */
export function keyText(key: readonly ScriptValue[], keyTypes: readonly ValueType[]): string {
  if (key.length === 0) return '';
  return '[' + key.map((k, i) => valueText(typed(k, keyTypes[i]))).join(', ') + ']';
}

/** JSON object key: the key arguments joined by "," and quoted, or "" for a map without key. */
export function keyJson(key: readonly ScriptValue[], keyTypes: readonly ValueType[]): string {
  if (key.length === 0) return '';
  return '"' + jsonEscape(key.map((k, i) => valueText(typed(k, keyTypes[i]))).join(',')) + '"';
}

/** bpftrace's JSON escaping: quote, backslash, \n \r \t, other control bytes as \u00xx; the rest verbatim. */
export function jsonEscape(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c <= 0x1f) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out;
}

/** The key's bytes as the kernel map stores them (ints little-endian at their size, strings NUL-padded). */
export function keyBytes(key: readonly ScriptValue[], keyTypes: readonly ValueType[]): Uint8Array {
  const parts: Uint8Array[] = key.map((k, i) => valueBytes(k, keyTypes[i]));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function valueBytes(value: ScriptValue, type: ValueType | undefined): Uint8Array {
  if (typeof value === 'bigint') {
    const size = type && type.kind === 'int' ? type.size : 8;
    const out = new Uint8Array(size);
    let v = BigInt.asUintN(size * 8, value);
    for (let i = 0; i < size; i++, v >>= 8n) out[i] = Number(v & 0xffn);
    return out;
  }
  if (typeof value === 'string') {
    const text = new TextEncoder().encode(value);
    const size = type && type.kind === 'string' ? Math.max(type.size, text.length) : text.length + 1;
    const out = new Uint8Array(size);
    out.set(text);
    return out;
  }
  const fields = type && type.kind === 'tuple' ? type.fields.map((f) => f.type) : [];
  return keyBytes(value, fields);
}

/** Lexicographic unsigned byte order, as std::map<std::vector<uint8_t>> orders keys. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
