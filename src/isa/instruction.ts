// One eBPF instruction, and its 8-byte wire encoding (two slots for lddw).
import { isWide } from './opcodes.js';

export interface Instruction {
  opcode: number;
  dst: number;
  src: number;
  /** Signed 16-bit offset (jump distance in slots, or memory offset). */
  offset: number;
  /** Signed 32-bit immediate. For lddw, the low half of `constant`. */
  imm: number;
  /** lddw only: the full 64-bit constant; the instruction takes two slots. */
  constant?: bigint;
  /** Something the loader or builder fills in: a map name (pseudo map loads), a label (jumps, local calls). */
  reference?: string;
  /** A label naming this instruction (a jump target or a function's entry). */
  symbol?: string;
  /** Where this instruction came from, for error messages (e.g. a script's line:col). */
  source?: { line: number; column?: number; text?: string; file?: string };
}

/** Number of 8-byte slots an instruction occupies. */
export function slots(insn: Instruction): number {
  return isWide(insn.opcode) ? 2 : 1;
}

/** Encodes instructions to the kernel's little-endian wire format. */
export function encode(insns: readonly Instruction[]): Uint8Array {
  let count = 0;
  for (const i of insns) count += slots(i);
  const out = new Uint8Array(count * 8);
  const view = new DataView(out.buffer);
  let off = 0;
  for (const i of insns) {
    view.setUint8(off, i.opcode);
    view.setUint8(off + 1, ((i.src & 0xf) << 4) | (i.dst & 0xf));
    view.setInt16(off + 2, i.offset, true);
    if (isWide(i.opcode)) {
      const c = BigInt.asUintN(64, i.constant ?? BigInt(i.imm >>> 0));
      view.setUint32(off + 4, Number(c & 0xffffffffn), true);
      view.setUint32(off + 12, Number(c >> 32n), true);
      off += 16;
    } else {
      view.setInt32(off + 4, i.imm, true);
      off += 8;
    }
  }
  return out;
}

/** Decodes wire-format bytes into instructions (lddw pairs become one instruction with `constant`). */
export function decode(bytes: Uint8Array): Instruction[] {
  if (bytes.byteLength % 8 !== 0) throw new RangeError(`bytecode length ${bytes.byteLength} is not a multiple of 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Instruction[] = [];
  for (let off = 0; off < bytes.byteLength; off += 8) {
    const opcode = view.getUint8(off);
    const regs = view.getUint8(off + 1);
    const insn: Instruction = {
      opcode, dst: regs & 0xf, src: regs >> 4, offset: view.getInt16(off + 2, true), imm: view.getInt32(off + 4, true),
    };
    if (isWide(opcode)) {
      if (off + 16 > bytes.byteLength) throw new RangeError(`lddw at slot ${off / 8} is missing its second half`);
      const lo = BigInt(view.getUint32(off + 4, true));
      const hi = BigInt(view.getUint32(off + 12, true));
      insn.constant = (hi << 32n) | lo;
      off += 8;
    }
    out.push(insn);
  }
  return out;
}
