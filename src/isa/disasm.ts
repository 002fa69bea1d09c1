// Placeholder until the disassembler lands: raw fields of one instruction.
import type { Instruction } from './instruction.js';

export function formatInstruction(insn: Instruction): string {
  return `(${insn.opcode.toString(16).padStart(2, '0')}) dst=r${insn.dst} src=r${insn.src} off=${insn.offset} imm=${insn.imm}`;
}
