// Writing eBPF in TypeScript: a chainable builder with named labels; jumps and local calls resolve on build().
import { slots, type Instruction } from './instruction.js';
import { dropUnreachable } from './reachability.js';
import { AluOp, AtomicOp, Class, JmpOp, Mode, PseudoCall, PseudoLoad, Size, Source } from './opcodes.js';

export interface Register {
  readonly reg: number;
}
export const R0: Register = { reg: 0 };
export const R1: Register = { reg: 1 };
export const R2: Register = { reg: 2 };
export const R3: Register = { reg: 3 };
export const R4: Register = { reg: 4 };
export const R5: Register = { reg: 5 };
export const R6: Register = { reg: 6 };
export const R7: Register = { reg: 7 };
export const R8: Register = { reg: 8 };
export const R9: Register = { reg: 9 };
/** Frame pointer (read-only). */
export const R10: Register = { reg: 10 };
export const FP = R10;

export type Operand = Register | number;
export type AccessSize = 'b' | 'h' | 'w' | 'dw';
export type AluName = keyof typeof AluOp;
export type JumpName = 'jeq' | 'jgt' | 'jge' | 'jset' | 'jne' | 'jsgt' | 'jsge' | 'jlt' | 'jle' | 'jslt' | 'jsle';
export type AtomicName = 'add' | 'or' | 'and' | 'xor' | 'xchg' | 'cmpxchg';

export const sizeCode: Record<AccessSize, number> = { b: Size.B, h: Size.H, w: Size.W, dw: Size.DW };

const jumpCode: Record<JumpName, number> = {
  jeq: JmpOp.JEQ, jgt: JmpOp.JGT, jge: JmpOp.JGE, jset: JmpOp.JSET, jne: JmpOp.JNE, jsgt: JmpOp.JSGT,
  jsge: JmpOp.JSGE, jlt: JmpOp.JLT, jle: JmpOp.JLE, jslt: JmpOp.JSLT, jsle: JmpOp.JSLE,
};

const isReg = (o: Operand): o is Register => typeof o === 'object';

function checkImm(v: number): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
    throw new RangeError(`immediate ${v} does not fit in 32 bits (use lddw for 64-bit constants)`);
  }
  return v | 0;
}

export class ProgramBuilder {
  private readonly insns: Instruction[] = [];
  private pendingLabels: string[] = [];
  private source?: Instruction['source'];

  /** Instructions emitted so far (jumps not yet resolved). */
  get length(): number {
    return this.insns.length;
  }

  /** Names the next instruction. */
  label(name: string): this {
    this.pendingLabels.push(name);
    return this;
  }

  /** Tags the following instructions with a source location (shown in verifier errors). */
  at(source: Instruction['source']): this {
    this.source = source;
    return this;
  }

  /** Appends a ready-made instruction. */
  emit(insn: Instruction): this {
    const out: Instruction = { ...insn };
    if (this.source && !out.source) out.source = this.source;
    if (this.pendingLabels.length > 0) {
      // Several labels on one instruction: the first becomes its symbol, the rest alias it.
      out.symbol = this.pendingLabels[0];
      for (const alias of this.pendingLabels.slice(1)) this.aliases.set(alias, this.pendingLabels[0]!);
      this.pendingLabels = [];
    }
    this.insns.push(out);
    return this;
  }
  private readonly aliases = new Map<string, string>();

  alu64(op: AluName, dst: Register, src: Operand): this {
    return this.alu(Class.ALU64, op, dst, src);
  }
  alu32(op: AluName, dst: Register, src: Operand): this {
    return this.alu(Class.ALU, op, dst, src);
  }
  private alu(cls: number, op: AluName, dst: Register, src: Operand, offset = 0): this {
    const code = cls | AluOp[op] | (isReg(src) ? Source.X : Source.K);
    return this.emit({ opcode: code, dst: dst.reg, src: isReg(src) ? src.reg : 0, offset, imm: isReg(src) ? 0 : checkImm(src) });
  }

  mov(dst: Register, src: Operand): this { return this.alu64('MOV', dst, src); }
  mov32(dst: Register, src: Operand): this { return this.alu32('MOV', dst, src); }
  add(dst: Register, src: Operand): this { return this.alu64('ADD', dst, src); }
  add32(dst: Register, src: Operand): this { return this.alu32('ADD', dst, src); }
  sub(dst: Register, src: Operand): this { return this.alu64('SUB', dst, src); }
  mul(dst: Register, src: Operand): this { return this.alu64('MUL', dst, src); }
  div(dst: Register, src: Operand): this { return this.alu64('DIV', dst, src); }
  mod(dst: Register, src: Operand): this { return this.alu64('MOD', dst, src); }
  or(dst: Register, src: Operand): this { return this.alu64('OR', dst, src); }
  and(dst: Register, src: Operand): this { return this.alu64('AND', dst, src); }
  xor(dst: Register, src: Operand): this { return this.alu64('XOR', dst, src); }
  lsh(dst: Register, src: Operand): this { return this.alu64('LSH', dst, src); }
  rsh(dst: Register, src: Operand): this { return this.alu64('RSH', dst, src); }
  arsh(dst: Register, src: Operand): this { return this.alu64('ARSH', dst, src); }
  neg(dst: Register): this { return this.alu64('NEG', dst, 0); }
  /** Signed division/modulo (offset 1, RFC 9669). */
  sdiv(dst: Register, src: Operand): this { return this.alu(Class.ALU64, 'DIV', dst, src, 1); }
  smod(dst: Register, src: Operand): this { return this.alu(Class.ALU64, 'MOD', dst, src, 1); }
  /** Sign-extending move of the low `bits` (8, 16, 32) of src. */
  movsx(dst: Register, src: Register, bits: 8 | 16 | 32): this { return this.alu(Class.ALU64, 'MOV', dst, src, bits); }
  movsx32(dst: Register, src: Register, bits: 8 | 16): this { return this.alu(Class.ALU, 'MOV', dst, src, bits); }

  /** Byte swap to big-endian (be), little-endian (le), or unconditionally (bswap). */
  be(dst: Register, bits: 16 | 32 | 64): this {
    return this.emit({ opcode: Class.ALU | AluOp.END | Source.X, dst: dst.reg, src: 0, offset: 0, imm: bits });
  }
  le(dst: Register, bits: 16 | 32 | 64): this {
    return this.emit({ opcode: Class.ALU | AluOp.END | Source.K, dst: dst.reg, src: 0, offset: 0, imm: bits });
  }
  bswap(dst: Register, bits: 16 | 32 | 64): this {
    return this.emit({ opcode: Class.ALU64 | AluOp.END | Source.K, dst: dst.reg, src: 0, offset: 0, imm: bits });
  }

  /** dst = *(size *)(src + off) */
  ldx(size: AccessSize, dst: Register, src: Register, off: number): this {
    return this.emit({ opcode: Class.LDX | Mode.MEM | sizeCode[size], dst: dst.reg, src: src.reg, offset: off, imm: 0 });
  }
  /** Sign-extending load. */
  ldxsx(size: 'b' | 'h' | 'w', dst: Register, src: Register, off: number): this {
    return this.emit({ opcode: Class.LDX | Mode.MEMSX | sizeCode[size], dst: dst.reg, src: src.reg, offset: off, imm: 0 });
  }
  /** *(size *)(dst + off) = src */
  stx(size: AccessSize, dst: Register, off: number, src: Register): this {
    return this.emit({ opcode: Class.STX | Mode.MEM | sizeCode[size], dst: dst.reg, src: src.reg, offset: off, imm: 0 });
  }
  /** *(size *)(dst + off) = imm */
  st(size: AccessSize, dst: Register, off: number, imm: number): this {
    return this.emit({ opcode: Class.ST | Mode.MEM | sizeCode[size], dst: dst.reg, src: 0, offset: off, imm: checkImm(imm) });
  }
  /** Atomic read-modify-write on *(size *)(dst + off) with src; `fetch` puts the old value in src. */
  atomic(size: 'w' | 'dw', op: AtomicName, dst: Register, off: number, src: Register, fetch = false): this {
    let imm: number;
    if (op === 'xchg') imm = AtomicOp.XCHG;
    else if (op === 'cmpxchg') imm = AtomicOp.CMPXCHG;
    else imm = AtomicOp[op.toUpperCase() as 'ADD' | 'OR' | 'AND' | 'XOR'] | (fetch ? AtomicOp.FETCH : 0);
    return this.emit({ opcode: Class.STX | Mode.ATOMIC | sizeCode[size], dst: dst.reg, src: src.reg, offset: off, imm });
  }
  /** Legacy packet loads (socket filters): r0 = *(size *)(skb->data + imm [+ src]). */
  ldabs(size: 'b' | 'h' | 'w', imm: number): this {
    return this.emit({ opcode: Class.LD | Mode.ABS | sizeCode[size], dst: 0, src: 0, offset: 0, imm: checkImm(imm) });
  }
  ldind(size: 'b' | 'h' | 'w', src: Register, imm: number): this {
    return this.emit({ opcode: Class.LD | Mode.IND | sizeCode[size], dst: 0, src: src.reg, offset: 0, imm: checkImm(imm) });
  }

  /** dst = 64-bit constant (two slots). */
  lddw(dst: Register, value: bigint | number): this {
    const c = BigInt.asUintN(64, BigInt(value));
    return this.emit({ opcode: Class.LD | Size.DW | Mode.IMM, dst: dst.reg, src: 0, offset: 0, imm: Number(BigInt.asIntN(32, c)), constant: c });
  }
  /** dst = the map named `map` (its fd, patched at load). */
  loadMap(dst: Register, map: string): this {
    return this.emit({ opcode: Class.LD | Size.DW | Mode.IMM, dst: dst.reg, src: PseudoLoad.MAP_FD, offset: 0, imm: 0, constant: 0n, reference: map });
  }
  /** dst = address of byte `offset` of the first value of array map `map` (global data). */
  loadMapValue(dst: Register, map: string, offset = 0): this {
    return this.emit({ opcode: Class.LD | Size.DW | Mode.IMM, dst: dst.reg, src: PseudoLoad.MAP_VALUE, offset: 0, imm: 0, constant: BigInt(offset) << 32n, reference: map });
  }

  ja(label: string): this {
    return this.emit({ opcode: Class.JMP | JmpOp.JA, dst: 0, src: 0, offset: 0, imm: 0, reference: label });
  }
  /** Conditional jump: if (dst OP src) goto label. */
  jmp(op: JumpName, dst: Register, src: Operand, label: string): this {
    return this.jump(Class.JMP, op, dst, src, label);
  }
  jmp32(op: JumpName, dst: Register, src: Operand, label: string): this {
    return this.jump(Class.JMP32, op, dst, src, label);
  }
  jeq(dst: Register, src: Operand, label: string): this { return this.jmp('jeq', dst, src, label); }
  jne(dst: Register, src: Operand, label: string): this { return this.jmp('jne', dst, src, label); }
  jgt(dst: Register, src: Operand, label: string): this { return this.jmp('jgt', dst, src, label); }
  jge(dst: Register, src: Operand, label: string): this { return this.jmp('jge', dst, src, label); }
  jlt(dst: Register, src: Operand, label: string): this { return this.jmp('jlt', dst, src, label); }
  jle(dst: Register, src: Operand, label: string): this { return this.jmp('jle', dst, src, label); }
  jsgt(dst: Register, src: Operand, label: string): this { return this.jmp('jsgt', dst, src, label); }
  jslt(dst: Register, src: Operand, label: string): this { return this.jmp('jslt', dst, src, label); }
  private jump(cls: number, op: JumpName, dst: Register, src: Operand, label: string): this {
    const code = cls | jumpCode[op] | (isReg(src) ? Source.X : Source.K);
    return this.emit({ opcode: code, dst: dst.reg, src: isReg(src) ? src.reg : 0, offset: 0, imm: isReg(src) ? 0 : checkImm(src), reference: label });
  }

  /** Calls helper number `id` (see helper ids in isa/helpers). */
  call(id: number): this {
    return this.emit({ opcode: Class.JMP | JmpOp.CALL, dst: 0, src: PseudoCall.HELPER, offset: 0, imm: id });
  }
  /** Calls the BPF-to-BPF function starting at `label`. */
  callLocal(label: string): this {
    return this.emit({ opcode: Class.JMP | JmpOp.CALL, dst: 0, src: PseudoCall.LOCAL, offset: 0, imm: -1, reference: label });
  }
  /** Calls a kernel function by BTF id. */
  callKfunc(btfId: number): this {
    return this.emit({ opcode: Class.JMP | JmpOp.CALL, dst: 0, src: PseudoCall.KFUNC, offset: 0, imm: btfId });
  }
  exit(): this {
    return this.emit({ opcode: Class.JMP | JmpOp.EXIT, dst: 0, src: 0, offset: 0, imm: 0 });
  }

  /** Puts instructions (label form, from `instructions()` of another builder) before everything emitted so far. */
  prepend(insns: readonly Instruction[]): this {
    this.insns.unshift(...insns);
    return this;
  }

  /** The instructions emitted so far, in label form (jumps not resolved). */
  instructions(): Instruction[] {
    if (this.pendingLabels.length > 0) throw new Error(`label(s) ${this.pendingLabels.join(', ')} mark no instruction`);
    return this.insns.map((i) => ({ ...i }));
  }

  /**
   * Resolved instructions: jump offsets and local call targets filled in, labels kept as symbols.
   * `dropUnreachable` removes code no path reaches (generated code often has some; the verifier refuses it).
   */
  build(opts: { dropUnreachable?: boolean } = {}): Instruction[] {
    if (this.pendingLabels.length > 0) throw new Error(`label(s) ${this.pendingLabels.join(', ')} mark no instruction`);
    if (!opts.dropUnreachable) return resolveLabels(this.insns, this.aliases);
    const canonical = this.insns.map((i) =>
      i.reference !== undefined && this.aliases.has(i.reference) ? { ...i, reference: this.aliases.get(i.reference)! } : i);
    return resolveLabels(dropUnreachable(canonical));
  }
}

/** Fills jump offsets and local-call immediates from `reference` labels (slot distances). */
export function resolveLabels(insns: readonly Instruction[], aliases: Map<string, string> = new Map()): Instruction[] {
  const slotOf = new Map<string, number>();
  let slot = 0;
  for (const i of insns) {
    if (i.symbol !== undefined) {
      if (slotOf.has(i.symbol)) throw new Error(`label '${i.symbol}' is defined twice`);
      slotOf.set(i.symbol, slot);
    }
    slot += slots(i);
  }
  for (const [alias, target] of aliases) slotOf.set(alias, slotOf.get(target)!);
  slot = 0;
  return insns.map((i) => {
    const here = slot;
    slot += slots(i);
    const cls = i.opcode & 0x07;
    const isJump = (cls === Class.JMP || cls === Class.JMP32) && (i.opcode & 0xf0) !== JmpOp.EXIT;
    if (!isJump || i.reference === undefined) return i;
    const target = slotOf.get(i.reference);
    if (target === undefined) throw new Error(`jump to unknown label '${i.reference}'`);
    const distance = target - here - 1;
    if ((i.opcode & 0xf0) === JmpOp.CALL) {
      if (i.src !== PseudoCall.LOCAL) return i;
      return { ...i, imm: distance };
    }
    if (distance < -0x8000 || distance > 0x7fff) {
      if (cls === Class.JMP && (i.opcode & 0xf0) === JmpOp.JA) return { ...i, opcode: Class.JMP32 | JmpOp.JA, offset: 0, imm: distance };
      throw new RangeError(`jump to '${i.reference}' is ${distance} slots away, beyond a 16-bit offset`);
    }
    return { ...i, offset: distance };
  });
}

export function program(): ProgramBuilder {
  return new ProgramBuilder();
}
