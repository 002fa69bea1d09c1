// The disassembler: instructions → text, in two dialects.
//  - 'bpftool': what `bpftool prog dump xlated` and the kernel verifier log print (kernel/bpf/disasm.c conventions),
//    e.g. `(85) call bpf_map_lookup_elem#1`, `(15) if r0 == 0x0 goto pc+1`, `(db) lock *(u64 *)(r1 +0) += r2`.
//  - 'ubpf': the assembler syntax of the bpf_conformance suite and uBPF, e.g. `ldxdw %r0, [%r1+8]`, `jeq %r1, 0, +2`.
// Both are read back by the assembler (asm.ts).
import { decode, slots, type Instruction } from './instruction.js';
import { helperName } from './helpers.js';
import { AluOp, AtomicOp, Class, JmpOp, Mode, PseudoCall, PseudoLoad, Size, Source } from './opcodes.js';

export type Dialect = 'bpftool' | 'ubpf';

export interface FormatOptions {
  /** Output syntax; 'bpftool' unless told. */
  dialect?: Dialect;
  /** bpftool dialect: print the `(xx)` opcode before the text (default true). */
  opcode?: boolean;
  /**
   * Print jump targets and local calls by label name when the instruction carries a `reference`
   * (builder or assembler output) instead of a pc-relative distance. Default false.
   */
  labels?: boolean;
  /**
   * The instructions are a kernel xlated dump of a JIT-compiled program (BPF_OBJ_GET_INFO_BY_FD): there a local
   * call keeps its pc-relative distance in `offset` (its `imm` became a subprogram index), and bpftool prints that.
   */
  xlated?: boolean;
}

export interface DisassembleOptions extends FormatOptions {
  /** bpftool dialect: prefix each line with its slot index as bpftool does (`   3: `). Default true. */
  index?: boolean;
  /** Emit `name:` lines for instructions that carry a `symbol`. Default true. */
  symbols?: boolean;
}

const aluSymbol: Record<number, string> = {
  [AluOp.ADD]: '+=', [AluOp.SUB]: '-=', [AluOp.MUL]: '*=', [AluOp.DIV]: '/=', [AluOp.OR]: '|=', [AluOp.AND]: '&=',
  [AluOp.LSH]: '<<=', [AluOp.RSH]: '>>=', [AluOp.MOD]: '%=', [AluOp.XOR]: '^=', [AluOp.MOV]: '=', [AluOp.ARSH]: 's>>=',
};
const aluName: Record<number, string> = {
  [AluOp.ADD]: 'add', [AluOp.SUB]: 'sub', [AluOp.MUL]: 'mul', [AluOp.DIV]: 'div', [AluOp.OR]: 'or', [AluOp.AND]: 'and',
  [AluOp.LSH]: 'lsh', [AluOp.RSH]: 'rsh', [AluOp.NEG]: 'neg', [AluOp.MOD]: 'mod', [AluOp.XOR]: 'xor', [AluOp.MOV]: 'mov',
  [AluOp.ARSH]: 'arsh',
};
const jumpSymbol: Record<number, string> = {
  [JmpOp.JEQ]: '==', [JmpOp.JGT]: '>', [JmpOp.JGE]: '>=', [JmpOp.JSET]: '&', [JmpOp.JNE]: '!=', [JmpOp.JSGT]: 's>',
  [JmpOp.JSGE]: 's>=', [JmpOp.JLT]: '<', [JmpOp.JLE]: '<=', [JmpOp.JSLT]: 's<', [JmpOp.JSLE]: 's<=',
};
const jumpName: Record<number, string> = {
  [JmpOp.JEQ]: 'jeq', [JmpOp.JGT]: 'jgt', [JmpOp.JGE]: 'jge', [JmpOp.JSET]: 'jset', [JmpOp.JNE]: 'jne',
  [JmpOp.JSGT]: 'jsgt', [JmpOp.JSGE]: 'jsge', [JmpOp.JLT]: 'jlt', [JmpOp.JLE]: 'jle', [JmpOp.JSLT]: 'jslt',
  [JmpOp.JSLE]: 'jsle',
};
const sizeType: Record<number, string> = { [Size.W]: 'u32', [Size.H]: 'u16', [Size.B]: 'u8', [Size.DW]: 'u64' };
const sizeSuffix: Record<number, string> = { [Size.W]: 'w', [Size.H]: 'h', [Size.B]: 'b', [Size.DW]: 'dw' };
const atomicAluName: Record<number, string> = { [AtomicOp.ADD]: 'add', [AtomicOp.AND]: 'and', [AtomicOp.OR]: 'or', [AtomicOp.XOR]: 'xor' };

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
const signed = (n: number): string => (n < 0 ? `${n}` : `+${n}`);
const u32hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** Formats one instruction (no index prefix). Bad encodings print as the kernel does (`BUG_..`) or as raw fields. */
export function formatInstruction(insn: Instruction, opts: FormatOptions = {}): string {
  if (opts.dialect === 'ubpf') return formatUbpf(insn, opts);
  const text = formatBpftool(insn, opts);
  return opts.opcode === false ? text : `(${hex2(insn.opcode)}) ${text}`;
}

/** Disassembles a program (instructions or wire bytes) to text, one instruction per line. */
export function disassemble(program: readonly Instruction[] | Uint8Array, opts: DisassembleOptions = {}): string {
  const insns = program instanceof Uint8Array ? decode(program) : program;
  const lines: string[] = [];
  const bpftool = opts.dialect !== 'ubpf';
  let slot = 0;
  for (const insn of insns) {
    if (opts.symbols !== false && insn.symbol !== undefined) lines.push(`${insn.symbol}:`);
    const text = formatInstruction(insn, opts);
    lines.push(bpftool && opts.index !== false ? `${String(slot).padStart(4, ' ')}: ${text}` : text);
    slot += slots(insn);
  }
  return lines.join('\n') + (lines.length > 0 ? '\n' : '');
}

// ---- bpftool / kernel verifier dialect ----

function formatBpftool(i: Instruction, opts: FormatOptions): string {
  const cls = i.opcode & 0x07;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64:
      return bpftoolAlu(i, cls);
    case Class.STX:
      return bpftoolStx(i);
    case Class.ST:
      if ((i.opcode & 0xe0) === Mode.MEM) return `*(${sizeType[i.opcode & 0x18]} *)(r${i.dst} ${signed(i.offset)}) = ${i.imm}`;
      if ((i.opcode & 0xe0) === 0xc0) return 'nospec';
      return `BUG_st_${hex2(i.opcode)}`;
    case Class.LDX: {
      const mode = i.opcode & 0xe0;
      if (mode !== Mode.MEM && mode !== Mode.MEMSX) return `BUG_ldx_${hex2(i.opcode)}`;
      const type = mode === Mode.MEM ? sizeType[i.opcode & 0x18]! : `s${sizeType[i.opcode & 0x18]!.slice(1)}`;
      return `r${i.dst} = *(${type} *)(r${i.src} ${signed(i.offset)})`;
    }
    case Class.LD:
      return bpftoolLd(i);
    default:
      return bpftoolJump(i, cls, opts);
  }
}

function bpftoolAlu(i: Instruction, cls: number): string {
  const r = cls === Class.ALU ? 'w' : 'r';
  const op = i.opcode & 0xf0;
  if (op === AluOp.END) {
    if (cls === Class.ALU64) return `r${i.dst} = bswap${i.imm} r${i.dst}`;
    return `r${i.dst} = ${(i.opcode & Source.X) ? 'be' : 'le'}${i.imm} r${i.dst}`;
  }
  if (op === AluOp.NEG) return `${r}${i.dst} = -${r}${i.dst}`;
  if (i.opcode === (Class.ALU64 | AluOp.MOV | Source.X) && i.offset === 1) {
    return `r${i.dst} = addr_space_cast(r${i.src}, ${(i.imm >>> 16) & 0xffff}, ${i.imm & 0xffff})`;
  }
  if (i.opcode === (Class.ALU64 | AluOp.MOV | Source.X) && i.offset === -1) return `r${i.dst} = &(void __percpu *)(r${i.src})`;
  let symbol = aluSymbol[op] ?? '?';
  if ((op === AluOp.DIV || op === AluOp.MOD) && i.offset === 1) symbol = `s${symbol}`;
  if (i.opcode & Source.X) {
    const cast = op === AluOp.MOV && (i.offset === 8 || i.offset === 16 || i.offset === 32) ? `(s${i.offset})` : '';
    return `${r}${i.dst} ${symbol} ${cast}${r}${i.src}`;
  }
  return `${r}${i.dst} ${symbol} ${i.imm}`;
}

function bpftoolStx(i: Instruction): string {
  const mode = i.opcode & 0xe0;
  const type = sizeType[i.opcode & 0x18]!;
  const mem = `(${type} *)(r${i.dst} ${signed(i.offset)})`;
  if (mode === Mode.MEM) return `*${mem} = r${i.src}`;
  if (mode !== Mode.ATOMIC) return `BUG_${hex2(i.opcode)}`;
  const bits = (i.opcode & 0x18) === Size.DW ? '64' : '';
  const alu = atomicAluName[i.imm & ~AtomicOp.FETCH];
  if (alu !== undefined && (i.imm & AtomicOp.FETCH) === 0) return `lock *${mem} ${aluSymbol[i.imm]} r${i.src}`;
  if (alu !== undefined) return `r${i.src} = atomic${bits}_fetch_${alu}(${mem}, r${i.src})`;
  if (i.imm === AtomicOp.CMPXCHG) return `r0 = atomic${bits}_cmpxchg(${mem}, r0, r${i.src})`;
  if (i.imm === AtomicOp.XCHG) return `r${i.src} = atomic${bits}_xchg(${mem}, r${i.src})`;
  if (i.imm === AtomicOp.LOAD_ACQ) return `r${i.dst} = load_acquire((${type} *)(r${i.src} ${signed(i.offset)}))`;
  if (i.imm === AtomicOp.STORE_REL) return `store_release(${mem}, r${i.src})`;
  return `BUG_${hex2(i.opcode)}`;
}

function bpftoolLd(i: Instruction): string {
  const mode = i.opcode & 0xe0;
  const type = sizeType[i.opcode & 0x18]!;
  if (mode === Mode.ABS) return `r0 = *(${type} *)skb[${i.imm}]`;
  if (mode === Mode.IND) return `r0 = *(${type} *)skb[r${i.src} + ${i.imm}]`;
  if (mode !== Mode.IMM || (i.opcode & 0x18) !== Size.DW) return `BUG_ld_${hex2(i.opcode)}`;
  return `r${i.dst} = ${immediate64(i)}`;
}

/** The right-hand side of an lddw: a plain constant or what the loader resolves (bpftool's `map[id:N]`). */
function immediate64(i: Instruction): string {
  const c = BigInt.asUintN(64, i.constant ?? BigInt(i.imm >>> 0));
  const lo = Number(c & 0xffffffffn);
  const hi = Number(c >> 32n);
  // A map not yet loaded is named by its `reference`; bpftool names loaded maps by id.
  const map = (kind: string): string => (i.reference !== undefined ? `map[name:${i.reference}]` : `map[${kind}:${lo}]`);
  switch (i.src) {
    case PseudoLoad.MAP_FD: return map('id');
    case PseudoLoad.MAP_VALUE: return `${map('id')}[0]+${hi}`;
    case PseudoLoad.MAP_IDX: return map('idx');
    case PseudoLoad.MAP_IDX_VALUE: return `${map('idx')}[0]+${hi}`;
    case PseudoLoad.FUNC: return `subprog[${signed(i.imm)}]`;
    case PseudoLoad.BTF_ID: return `btf[id:${lo}]`;
    default: return `0x${c.toString(16)}`;
  }
}

function bpftoolJump(i: Instruction, cls: number, opts: FormatOptions): string {
  const op = i.opcode & 0xf0;
  const target = (distance: number): string => (opts.labels && i.reference !== undefined ? i.reference : `pc${signed(distance)}`);
  if (op === JmpOp.CALL) {
    if (i.opcode & Source.X) return `callx r${i.dst}`;
    if (i.src === PseudoCall.LOCAL) return `call ${target(opts.xlated ? i.offset : i.imm)}`;
    if (i.src === PseudoCall.KFUNC) return `call kernel-function#${i.imm}`;
    return `call ${helperName(i.imm) ?? 'unknown'}#${i.imm}`;
  }
  if (i.opcode === (Class.JMP | JmpOp.JA)) return `goto ${target(i.offset)}`;
  if (i.opcode === (Class.JMP | JmpOp.JA | Source.X)) return `gotox r${i.dst}`;
  if (i.opcode === (Class.JMP | 0xe0) && i.src === 0) return `may_goto ${target(i.offset)}`;
  if (i.opcode === (Class.JMP32 | JmpOp.JA)) return `gotol ${target(i.imm)}`;
  if (i.opcode === (Class.JMP | JmpOp.EXIT)) return 'exit';
  const symbol = jumpSymbol[op];
  if (symbol === undefined) return cls === Class.JMP ? 'jmp' : 'jmp32';
  const r = cls === Class.JMP32 ? 'w' : 'r';
  const rhs = i.opcode & Source.X ? `${r}${i.src}` : u32hex(i.imm);
  return `if ${r}${i.dst} ${symbol} ${rhs} goto ${target(i.offset)}`;
}

// ---- uBPF / bpf_conformance dialect ----

const reg = (n: number): string => `%r${n}`;
const memRef = (r: number, off: number): string => (off === 0 ? `[%r${r}]` : `[%r${r}${signed(off)}]`);

function formatUbpf(i: Instruction, opts: FormatOptions): string {
  const cls = i.opcode & 0x07;
  const size = i.opcode & 0x18;
  const mode = i.opcode & 0xe0;
  switch (cls) {
    case Class.ALU:
    case Class.ALU64:
      return ubpfAlu(i, cls);
    case Class.LDX:
      if (mode === Mode.MEM) return `ldx${sizeSuffix[size]} ${reg(i.dst)}, ${memRef(i.src, i.offset)}`;
      if (mode === Mode.MEMSX) return `ldxs${sizeSuffix[size]} ${reg(i.dst)}, ${memRef(i.src, i.offset)}`;
      break;
    case Class.ST:
      if (mode === Mode.MEM) return `st${sizeSuffix[size]} ${memRef(i.dst, i.offset)}, ${i.imm}`;
      break;
    case Class.STX:
      if (mode === Mode.MEM) return `stx${sizeSuffix[size]} ${memRef(i.dst, i.offset)}, ${reg(i.src)}`;
      if (mode === Mode.ATOMIC && (size === Size.W || size === Size.DW)) {
        const width = size === Size.W ? '32' : '';
        const ref = `${memRef(i.dst, i.offset)}, ${reg(i.src)}`;
        const alu = atomicAluName[i.imm & ~AtomicOp.FETCH];
        if (alu !== undefined) return `lock ${i.imm & AtomicOp.FETCH ? 'fetch ' : ''}${alu}${width} ${ref}`;
        if (i.imm === AtomicOp.XCHG) return `lock xchg${width} ${ref}`;
        if (i.imm === AtomicOp.CMPXCHG) return `lock cmpxchg${width} ${ref}`;
      }
      break;
    case Class.LD:
      if (i.opcode === (Class.LD | Size.DW | Mode.IMM)) return `lddw ${reg(i.dst)}, ${immediate64(i)}`;
      if (mode === Mode.ABS) return `ldabs${sizeSuffix[size]} ${i.imm}`;
      if (mode === Mode.IND) return `ldind${sizeSuffix[size]} ${reg(i.src)}, ${i.imm}`;
      break;
    default:
      return ubpfJump(i, cls, opts);
  }
  return rawFields(i);
}

function ubpfAlu(i: Instruction, cls: number): string {
  const op = i.opcode & 0xf0;
  const width = cls === Class.ALU ? '32' : '';
  if (op === AluOp.END) {
    if (cls === Class.ALU64) return `swap${i.imm} ${reg(i.dst)}`;
    return `${i.opcode & Source.X ? 'be' : 'le'}${i.imm} ${reg(i.dst)}`;
  }
  if (op === AluOp.NEG) return `neg${width} ${reg(i.dst)}`;
  let name = aluName[op];
  if (name === undefined) return rawFields(i);
  if ((op === AluOp.DIV || op === AluOp.MOD) && i.offset === 1) name = `s${name}`;
  if (op === AluOp.MOV && (i.opcode & Source.X) && (i.offset === 8 || i.offset === 16 || i.offset === 32)) {
    return `movsx${i.offset}${cls === Class.ALU ? '32' : '64'} ${reg(i.dst)}, ${reg(i.src)}`;
  }
  return `${name}${width} ${reg(i.dst)}, ${i.opcode & Source.X ? reg(i.src) : i.imm}`;
}

function ubpfJump(i: Instruction, cls: number, opts: FormatOptions): string {
  const op = i.opcode & 0xf0;
  const target = (distance: number): string => (opts.labels && i.reference !== undefined ? i.reference : signed(distance));
  if (op === JmpOp.CALL) {
    if (i.opcode & Source.X) return `call ${reg(i.dst)}`;
    if (i.src === PseudoCall.LOCAL) return `call local ${target(i.imm)}`;
    if (i.src === PseudoCall.KFUNC) return `call runtime ${i.imm}`;
    return `call ${i.imm}`;
  }
  if (i.opcode === (Class.JMP | JmpOp.JA)) return `ja ${target(i.offset)}`;
  if (i.opcode === (Class.JMP32 | JmpOp.JA)) return `ja32 ${target(i.imm)}`;
  if (i.opcode === (Class.JMP | JmpOp.EXIT)) return 'exit';
  const name = jumpName[op];
  if (name === undefined) return rawFields(i);
  const rhs = i.opcode & Source.X ? reg(i.src) : `${i.imm}`;
  return `${name}${cls === Class.JMP32 ? '32' : ''} ${reg(i.dst)}, ${rhs}, ${target(i.offset)}`;
}

/** Anything the uBPF syntax cannot spell: the raw fields, which the assembler also reads. */
function rawFields(i: Instruction): string {
  return `.insn 0x${hex2(i.opcode)}, ${i.dst}, ${i.src}, ${i.offset}, ${i.imm}`;
}
