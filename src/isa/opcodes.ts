// Opcode fields of the eBPF instruction set (RFC 9669).

/** Instruction classes: the low three bits of the opcode. */
export const Class = { LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, JMP32: 0x06, ALU64: 0x07 } as const;
/** Load/store access sizes. */
export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
/** Load/store modes. */
export const Mode = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;
/** Operand source for ALU and jumps: immediate (K) or register (X). For END: to-little (K) / to-big (X). */
export const Source = { K: 0x00, X: 0x08 } as const;

export const AluOp = {
  ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70, NEG: 0x80, MOD: 0x90,
  XOR: 0xa0, MOV: 0xb0, ARSH: 0xc0, END: 0xd0,
} as const;

export const JmpOp = {
  JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40, JNE: 0x50, JSGT: 0x60, JSGE: 0x70, CALL: 0x80, EXIT: 0x90,
  JLT: 0xa0, JLE: 0xb0, JSLT: 0xc0, JSLE: 0xd0,
} as const;

/** Atomic operations (imm of an ATOMIC store). FETCH may be or'ed into ADD/OR/AND/XOR. */
export const AtomicOp = {
  ADD: 0x00, OR: 0x40, AND: 0x50, XOR: 0xa0, FETCH: 0x01, XCHG: 0xe0 | 0x01, CMPXCHG: 0xf0 | 0x01,
  LOAD_ACQ: 0x100, STORE_REL: 0x110,
} as const;

/** src_reg values of a 64-bit immediate load (lddw) that the loader resolves. */
export const PseudoLoad = {
  NONE: 0, MAP_FD: 1, MAP_VALUE: 2, BTF_ID: 3, FUNC: 4, MAP_IDX: 5, MAP_IDX_VALUE: 6,
} as const;

/** src_reg values of a CALL. */
export const PseudoCall = { HELPER: 0, LOCAL: 1, KFUNC: 2 } as const;

export const classOf = (opcode: number): number => opcode & 0x07;
export const isWide = (opcode: number): boolean => opcode === (Class.LD | Size.DW | Mode.IMM);

/** The frame pointer register: read-only, points at the top of the 512-byte stack. */
export const R10 = 10;
