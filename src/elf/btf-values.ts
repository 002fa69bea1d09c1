// Decodes bytes laid out as a BTF type into plain JSON-safe values: structs → objects, char arrays → strings,
// other arrays → lists, enums → their enumerator names, 64-bit integers → numbers when exact, else strings.
import type { Btf } from '../btf/parse.js';
import { BtfKind } from '../btf/types.js';

export type JsonValue = number | string | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/** Decodes `bytes` at `offset` as BTF type `id` (little-endian unless told). Short input decodes as far as it goes. */
export function decodeBtfValue(btf: Btf, id: number, bytes: Uint8Array, offset = 0, le = true, depth = 0): JsonValue {
  if (depth > 32) return null;
  const t = btf.resolve(id);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fits = (n: number) => offset >= 0 && offset + n <= bytes.byteLength;
  switch (t.kind) {
    case BtfKind.INT: {
      if (!fits(t.size)) return null;
      if (t.encoding & 4 /* BOOL */) return bytes[offset] !== 0;
      return intAt(view, offset, t.size, t.signed, le);
    }
    case BtfKind.ENUM: case BtfKind.ENUM64: {
      if (!fits(t.size)) return null;
      const v = intAt(view, offset, t.size, t.signed, le);
      const hit = t.values.find((e) => String(e.value) === String(v));
      return hit ? hit.name : v;
    }
    case BtfKind.PTR:
      return fits(8) ? `0x${view.getBigUint64(offset, le).toString(16)}` : null;
    case BtfKind.FLOAT:
      if (!fits(t.size)) return null;
      return t.size === 4 ? view.getFloat32(offset, le) : t.size === 8 ? view.getFloat64(offset, le) : null;
    case BtfKind.ARRAY: {
      const elem = btf.resolve(t.type);
      const size = btf.sizeOf(t.type);
      if (elem.kind === BtfKind.INT && size === 1 && (elem.encoding & 2 /* CHAR */ || elem.name === 'char')) {
        const end = Math.min(offset + t.nelems, bytes.byteLength);
        const raw = bytes.subarray(Math.min(offset, end), end);
        const nul = raw.indexOf(0);
        return new TextDecoder().decode(nul < 0 ? raw : raw.subarray(0, nul));
      }
      const out: JsonValue[] = [];
      for (let i = 0; i < Math.min(t.nelems, 4096); i++) out.push(decodeBtfValue(btf, t.type, bytes, offset + i * size, le, depth + 1));
      return out;
    }
    case BtfKind.STRUCT: case BtfKind.UNION: {
      const out: { [k: string]: JsonValue } = {};
      t.members.forEach((m, i) => {
        const name = m.name || `_${i}`;
        if (m.bitfieldSize) {
          out[name] = bitfield(bytes, offset, m.bitOffset, m.bitfieldSize);
        } else {
          out[name] = decodeBtfValue(btf, m.type, bytes, offset + Math.floor(m.bitOffset / 8), le, depth + 1);
        }
      });
      return out;
    }
    default:
      return null;
  }
}

function intAt(view: DataView, off: number, size: number, signed: boolean, le: boolean): number | string {
  switch (size) {
    case 1: return signed ? view.getInt8(off) : view.getUint8(off);
    case 2: return signed ? view.getInt16(off, le) : view.getUint16(off, le);
    case 4: return signed ? view.getInt32(off, le) : view.getUint32(off, le);
    case 8: {
      const v = signed ? view.getBigInt64(off, le) : view.getBigUint64(off, le);
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
    }
    default: return 0;
  }
}

/** Little-endian bitfield read. */
function bitfield(bytes: Uint8Array, base: number, bitOffset: number, bits: number): number {
  let v = 0n;
  for (let i = 0; i < bits; i++) {
    const bit = bitOffset + i;
    const byte = bytes[base + (bit >> 3)] ?? 0;
    if ((byte >> (bit & 7)) & 1) v |= 1n << BigInt(i);
  }
  return Number(v);
}
