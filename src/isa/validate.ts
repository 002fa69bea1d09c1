// Static checks of single instructions: known opcodes, registers in range, and unused fields zero (RFC 9669 §3:
// fields an instruction does not use must be zero). The kernel verifier makes the same checks at load time;
// doing them here gives a clear message before any syscall and lets the pure layers reject bad bytecode.
import { slots, type Instruction } from './instruction.js';
import { AluOp, AtomicOp, Class, JmpOp, Mode, PseudoCall, PseudoLoad, Size, Source } from './opcodes.js';

export class InvalidInstructionError extends Error {
  override name = 'InvalidInstructionError';
  constructor(message: string, readonly index: number, readonly slot: number) {
    super(message);
  }
}

/** Why `insn` is not a valid instruction, or undefined when it is. */
export function instructionProblem(i: Instruction): string | undefined {
  const cls = i.opcode & 0x07;
  if (i.dst > 10) return `destination register r${i.dst} does not exist`;
  const op = i.opcode & 0xf0;
  const mode = i.opcode & 0xe0;
  const size = i.opcode & 0x18;
  const zero = (checks: Record<string, number>): string | undefined => {
    for (const [field, value] of Object.entries(checks)) if (value !== 0) return `unused field ${field} is ${value}, must be 0`;
    return undefined;
  };
  const srcReg = (): string | undefined => (i.src > 10 ? `source register r${i.src} does not exist` : undefined);

  switch (cls) {
    case Class.ALU:
    case Class.ALU64: {
      if (op === AluOp.END) {
        if (cls === Class.ALU64 && (i.opcode & Source.X)) return 'bswap has no register form';
        if (i.imm !== 16 && i.imm !== 32 && i.imm !== 64) return `byte swap width ${i.imm} is not 16, 32 or 64`;
        return zero({ src: i.src, offset: i.offset });
      }
      if (op === AluOp.NEG) {
        if (i.opcode & Source.X) return 'neg has no register form';
        return zero({ src: i.src, offset: i.offset, imm: i.imm });
      }
      if (op > AluOp.END) return `unknown ALU operation 0x${op.toString(16)}`;
      const signedOk = (op === AluOp.DIV || op === AluOp.MOD) && i.offset === 1;
      const movsxOk = op === AluOp.MOV && (i.opcode & Source.X) && (i.offset === 8 || i.offset === 16 || (i.offset === 32 && cls === Class.ALU64));
      const offset = signedOk || movsxOk ? 0 : i.offset;
      if (i.opcode & Source.X) return srcReg() ?? zero({ imm: i.imm, offset });
      return zero({ src: i.src, offset });
    }
    case Class.JMP:
    case Class.JMP32: {
      if (op === JmpOp.EXIT) return cls === Class.JMP && !(i.opcode & Source.X) ? zero({ dst: i.dst, src: i.src, offset: i.offset, imm: i.imm }) : 'exit is JMP|EXIT only';
      if (op === JmpOp.CALL) {
        if (cls !== Class.JMP) return 'call is JMP|CALL only';
        if (i.opcode & Source.X) return zero({ src: i.src, offset: i.offset, imm: i.imm }); // callx: target in dst
        if (i.src !== PseudoCall.HELPER && i.src !== PseudoCall.LOCAL && i.src !== PseudoCall.KFUNC) return `unknown call kind src=${i.src}`;
        return zero({ dst: i.dst, offset: i.offset });
      }
      if (op === JmpOp.JA) {
        if (i.opcode & Source.X) return 'ja has no register form';
        return cls === Class.JMP ? zero({ dst: i.dst, src: i.src, imm: i.imm }) : zero({ dst: i.dst, src: i.src, offset: i.offset });
      }
      if (op === 0xe0 || op === 0xf0) return `unknown jump operation 0x${op.toString(16)}`;
      if (i.opcode & Source.X) return srcReg() ?? zero({ imm: i.imm });
      return zero({ src: i.src });
    }
    case Class.LDX:
      if (mode !== Mode.MEM && mode !== Mode.MEMSX) return `unknown load mode 0x${mode.toString(16)}`;
      if (mode === Mode.MEMSX && size === Size.DW) return 'there is no 64-bit sign-extending load';
      return srcReg() ?? zero({ imm: i.imm });
    case Class.ST:
      if (mode !== Mode.MEM) return `unknown store mode 0x${mode.toString(16)}`;
      return zero({ src: i.src });
    case Class.STX:
      if (mode === Mode.MEM) return srcReg() ?? zero({ imm: i.imm });
      if (mode !== Mode.ATOMIC) return `unknown store mode 0x${mode.toString(16)}`;
      if (size !== Size.W && size !== Size.DW && i.imm !== AtomicOp.LOAD_ACQ && i.imm !== AtomicOp.STORE_REL) return 'atomic operations are 32 or 64 bits';
      if (![0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, AtomicOp.XCHG, AtomicOp.CMPXCHG, AtomicOp.LOAD_ACQ, AtomicOp.STORE_REL].includes(i.imm)) {
        return `unknown atomic operation 0x${i.imm.toString(16)}`;
      }
      return srcReg();
    case Class.LD:
      if (mode === Mode.IMM && size === Size.DW) {
        if (i.src > PseudoLoad.MAP_IDX_VALUE) return `unknown lddw kind src=${i.src}`;
        return zero({ offset: i.offset });
      }
      if ((mode === Mode.ABS || mode === Mode.IND) && size !== Size.DW) {
        return mode === Mode.ABS ? zero({ dst: i.dst, src: i.src, offset: i.offset }) : srcReg() ?? zero({ dst: i.dst, offset: i.offset });
      }
      return `unknown load 0x${i.opcode.toString(16)}`;
  }
  return undefined;
}

/** Throws InvalidInstructionError for the first invalid instruction. */
export function validate(insns: readonly Instruction[]): void {
  let slot = 0;
  insns.forEach((insn, index) => {
    const problem = instructionProblem(insn);
    if (problem) {
      throw new InvalidInstructionError(`instruction ${slot} (opcode 0x${insn.opcode.toString(16).padStart(2, '0')}): ${problem}`, index, slot);
    }
    slot += slots(insn);
  });
}
