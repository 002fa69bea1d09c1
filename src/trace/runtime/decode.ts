// Bytes from the kernel (ring buffer records, map keys and values) → script values.
import type { ValueType } from '../compiled.js';

export type ScriptValue = bigint | string | ScriptValue[];

const text = new TextDecoder();

export function decodeValue(type: ValueType, view: DataView, offset: number): ScriptValue {
  switch (type.kind) {
    case 'int':
      return readInt(view, offset, type.size, type.signed);
    case 'pointer':
      return view.getBigUint64(offset, true);
    case 'string': {
      const bytes = new Uint8Array(view.buffer, view.byteOffset + offset, type.size);
      const end = bytes.indexOf(0);
      return text.decode(bytes.subarray(0, end < 0 ? type.size : end));
    }
    case 'tuple':
      return type.fields.map((f) => decodeValue(f.type, view, offset + f.offset));
    case 'none':
      return 0n;
  }
}

export function readInt(view: DataView, offset: number, size: number, signed: boolean): bigint {
  switch (size) {
    case 1:
      return BigInt(signed ? view.getInt8(offset) : view.getUint8(offset));
    case 2:
      return BigInt(signed ? view.getInt16(offset, true) : view.getUint16(offset, true));
    case 4:
      return BigInt(signed ? view.getInt32(offset, true) : view.getUint32(offset, true));
    default:
      return signed ? view.getBigInt64(offset, true) : view.getBigUint64(offset, true);
  }
}

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
