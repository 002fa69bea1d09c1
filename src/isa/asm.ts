// The assembler: text → instructions. Reads both dialects the disassembler writes, line by line, mixed freely:
//  - bpftool / verifier-log style: `r0 = *(u64 *)(r1 +8)`, `if w1 s> 0x3 goto pc+2`, `call bpf_ktime_get_ns#5`,
//    with or without bpftool's `  12: (bf) ` prefix; bpftool's `; source` and `int f(...):` lines are skipped.
//  - uBPF / bpf_conformance style: `ldxdw %r0, [%r1+8]`, `jeq32 %r1, 0x10, +2`, `lock fetch add [%r10-8], %r1`.
// Labels (`name:`) can stand alone or precede an instruction; jumps and local calls take a label or a
// pc-relative distance. `exit` as a jump target means the first exit instruction when no label has that name.
import type { Instruction } from './instruction.js';
import { slots } from './instruction.js';
import { helperId } from './helpers.js';
import { AluOp, AtomicOp, Class, JmpOp, Mode, PseudoCall, PseudoLoad, Size, Source } from './opcodes.js';

/** Malformed assembly: says where (1-based line and column) and what. */
export class AssemblyError extends Error {
  override name = 'AssemblyError';
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
    readonly text: string,
    readonly file?: string,
  ) {
    super(`${file ? file + ':' : 'line '}${line}:${column}: ${reason}\n  ${text}\n  ${' '.repeat(Math.max(0, column - 1))}^`);
  }
}

export interface AssembleOptions {
  /** Named in error messages and in each instruction's `source`. */
  file?: string;
  /** First line number of `text` (when it is a section of a larger file). Default 1. */
  firstLine?: number;
}

/** Something wrong at a column of the current statement (converted to AssemblyError with the line). */
class Problem extends Error {
  constructor(message: string, readonly at: number) {
    super(message);
  }
}

interface Pending {
  insn: Instruction;
  /** Label the instruction jumps to or calls; resolved after all lines are read. */
  target?: { label: string; column: number };
  line: number;
  text: string;
}

export function assemble(text: string, opts: AssembleOptions = {}): Instruction[] {
  const firstLine = opts.firstLine ?? 1;
  const pending: Pending[] = [];
  const labels = new Map<string, number>(); // label → index into pending
  const waiting: string[] = []; // labels that name the next instruction
  const fail = (reason: string, line: number, column: number, lineText: string): never => {
    throw new AssemblyError(reason, line, column, lineText, opts.file);
  };

  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    const lineNo = firstLine + n;
    let body = stripComment(raw);
    let at = 0; // offset of `body` within raw
    const skipSpace = () => {
      const m = /^\s*/.exec(body)![0].length;
      body = body.slice(m);
      at += m;
    };
    skipSpace();
    if (body === '' || /^[^:]*\)\s*:\s*$/.test(body)) continue; // blank, or a bpftool function signature line
    // Labels, possibly several, possibly followed by an instruction.
    for (let m = LABEL.exec(body); m; m = LABEL.exec(body)) {
      const label = m[1]!;
      if (labels.has(label) || waiting.includes(label)) fail(`label '${label}' is defined twice`, lineNo, at + 1, raw);
      waiting.push(label);
      body = body.slice(m[0].length);
      at += m[0].length;
      skipSpace();
    }
    if (body.trimEnd() === '') continue;
    // bpftool's slot index and opcode columns.
    const index = /^\d+:\s*/.exec(body);
    if (index) { body = body.slice(index[0].length); at += index[0].length; }
    let expectOpcode: number | undefined;
    const hintAt = at;
    const hint = /^\(([0-9a-fA-F]{2})\)\s*/.exec(body);
    if (hint) { expectOpcode = parseInt(hint[1]!, 16); body = body.slice(hint[0].length); at += hint[0].length; }
    body = body.trimEnd();
    if (body === '') fail('expected an instruction', lineNo, at + 1, raw);

    let parsed: { insn: Instruction; target?: { label: string; column: number } };
    try {
      parsed = looksLikeBpftool(body) ? parseBpftool(body, expectOpcode) : parseUbpf(body);
    } catch (e) {
      if (e instanceof Problem) fail(e.message, lineNo, at + e.at + 1, raw);
      throw e;
    }
    const insn = parsed.insn;
    if (expectOpcode !== undefined && insn.opcode !== expectOpcode) {
      fail(`opcode (${hex2(expectOpcode)}) does not match the instruction, which encodes as (${hex2(insn.opcode)})`, lineNo, hintAt + 1, raw);
    }
    insn.source = { line: lineNo, column: at + 1, text: raw.trim(), ...(opts.file ? { file: opts.file } : {}) };
    if (waiting.length > 0) {
      insn.symbol = waiting[0];
      for (const l of waiting) labels.set(l, pending.length);
      waiting.length = 0;
    }
    const entry: Pending = { insn, line: lineNo, text: raw };
    if (parsed.target) {
      entry.target = { label: parsed.target.label, column: at + parsed.target.column + 1 };
      insn.reference = parsed.target.label;
    }
    pending.push(entry);
  }
  if (waiting.length > 0) {
    throw new AssemblyError(`label '${waiting[0]}' marks no instruction`, firstLine + lines.length - 1, 1, lines.at(-1) ?? '', opts.file);
  }

  // Resolve labels to slot distances.
  const slotAt: number[] = [];
  let slot = 0;
  for (const p of pending) { slotAt.push(slot); slot += slots(p.insn); }
  const firstExit = pending.findIndex((p) => p.insn.opcode === (Class.JMP | JmpOp.EXIT));
  for (let k = 0; k < pending.length; k++) {
    const p = pending[k]!;
    if (!p.target) continue;
    let targetIndex = labels.get(p.target.label);
    if (targetIndex === undefined && p.target.label === 'exit' && firstExit >= 0) targetIndex = firstExit;
    if (targetIndex === undefined) fail(`unknown label '${p.target.label}'`, p.line, p.target.column, p.text);
    const distance = slotAt[targetIndex!]! - slotAt[k]! - 1;
    const i = p.insn;
    if ((i.opcode & 0xf0) === JmpOp.CALL || i.opcode === (Class.JMP32 | JmpOp.JA)) {
      i.imm = distance;
    } else {
      if (distance < -0x8000 || distance > 0x7fff) {
        fail(`label '${p.target.label}' is ${distance} slots away, beyond a 16-bit jump offset (use ja32/gotol)`, p.line, p.target.column, p.text);
      }
      i.offset = distance;
    }
  }
  return pending.map((p) => p.insn);
}

const LABEL = /^([A-Za-z_.$][\w.$]*)\s*:/;
const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Cuts `//` and `;` comments, and `#` comments that start a word (bpftool's `call f#5` keeps its `#`). */
function stripComment(line: string): string {
  let out = line;
  const slashes = out.indexOf('//');
  if (slashes >= 0) out = out.slice(0, slashes);
  const semi = out.indexOf(';');
  if (semi >= 0) out = out.slice(0, semi);
  const hash = /(^|\s)#/.exec(out);
  if (hash) out = out.slice(0, hash.index + hash[1]!.length);
  return out;
}

function looksLikeBpftool(body: string): boolean {
  if (/^(if|goto|gotol|gotox|may_goto|callx|nospec|store_release)\b/.test(body)) return true;
  if (/^[rw]\d+\b/.test(body) || body.startsWith('*(')) return true;
  if (/^lock\s*\*/.test(body)) return true;
  if (/^call\s+(pc[-+]|[A-Za-z_][\w-]*#|bpf_|kernel-function)/.test(body)) return true;
  return false;
}

// ---- numbers ----

function parseInteger(text: string, at: number): bigint {
  const m = /^([-+]?)\s*(0[xX][0-9a-fA-F]+|\d+)$/.exec(text.trim());
  if (!m) throw new Problem(`expected a number, found '${text.trim()}'`, at);
  const v = BigInt(m[2]!);
  return m[1] === '-' ? -v : v;
}
const isHex = (text: string): boolean => /0[xX]/.test(text);

/** A 32-bit immediate: decimal in the signed range, hex up to 0xffffffff (bit pattern). */
function imm32(text: string, at: number): number {
  const v = parseInteger(text, at);
  const max = isHex(text) ? 0xffffffffn : 0x7fffffffn;
  if (v < -0x80000000n || v > max) throw new Problem(`immediate ${text.trim()} does not fit in 32 bits`, at);
  return Number(BigInt.asIntN(32, v));
}

/** A 16-bit offset: decimal in the signed range, hex up to 0xffff (bit pattern). */
function off16(text: string, at: number): number {
  const v = parseInteger(text, at);
  const max = isHex(text) ? 0xffffn : 0x7fffn;
  if (v < -0x8000n || v > max) throw new Problem(`offset ${text.trim()} does not fit in 16 bits`, at);
  return Number(BigInt.asIntN(16, v));
}

function imm64(text: string, at: number): bigint {
  const v = parseInteger(text, at);
  if (v < -(1n << 63n) || v > (1n << 64n) - 1n) throw new Problem(`constant ${text.trim()} does not fit in 64 bits`, at);
  return BigInt.asUintN(64, v);
}

function register(n: string, at: number, display = n): number {
  const v = Number(n);
  if (!/^\d+$/.test(n) || v > 10) throw new Problem(`invalid register '${display}' (r0..r10)`, at);
  return v;
}

const sizeOf: Record<string, number> = { b: Size.B, h: Size.H, w: Size.W, dw: Size.DW };
const typeSize: Record<string, number> = { u8: Size.B, u16: Size.H, u32: Size.W, u64: Size.DW, s8: Size.B, s16: Size.H, s32: Size.W };
const insn = (opcode: number, dst = 0, src = 0, offset = 0, imm = 0): Instruction => ({ opcode, dst, src, offset, imm });

function lddw(dst: number, value: bigint, src = 0): Instruction {
  const c = BigInt.asUintN(64, value);
  return { opcode: Class.LD | Size.DW | Mode.IMM, dst, src, offset: 0, imm: Number(BigInt.asIntN(32, c)), constant: c };
}

/** The pseudo forms of an lddw right-hand side (`map[id:5]`, `map[name:m][0]+8`, `subprog[+3]`), or undefined. */
function pseudoLoad(dst: number, text: string, at: number): Instruction | undefined {
  let m = /^map\[(id|idx|name):([\w.]+)\](?:\[0\]\+(\S+))?$/.exec(text);
  if (m) {
    const value = m[3] !== undefined;
    const extra = value ? BigInt.asUintN(32, BigInt(imm32(m[3]!, at + text.indexOf('+') + 1))) : 0n;
    if (m[1] === 'name') {
      const i = lddw(dst, extra << 32n, value ? PseudoLoad.MAP_VALUE : PseudoLoad.MAP_FD);
      i.reference = m[2]!;
      return i;
    }
    const id = BigInt.asUintN(32, BigInt(imm32(m[2]!, at + 4 + m[1]!.length)));
    const src = m[1] === 'id' ? (value ? PseudoLoad.MAP_VALUE : PseudoLoad.MAP_FD) : (value ? PseudoLoad.MAP_IDX_VALUE : PseudoLoad.MAP_IDX);
    return lddw(dst, (extra << 32n) | id, src);
  }
  m = /^subprog\[([-+]?\d+)\]$/.exec(text);
  if (m) return lddw(dst, BigInt.asUintN(32, BigInt(imm32(m[1]!, at + 8))), PseudoLoad.FUNC);
  m = /^btf\[id:(\d+)\]$/.exec(text);
  if (m) return lddw(dst, BigInt(imm32(m[1]!, at + 7)) & 0xffffffffn, PseudoLoad.BTF_ID);
  return undefined;
}

// ---- bpftool dialect ----

interface Parsed { insn: Instruction; target?: { label: string; column: number } }

const REG = '([rw])(\\d+)';
const NUM = '([-+]?\\s*(?:0[xX][0-9a-fA-F]+|\\d+))';
const MEM = '\\*\\(([us]\\d+) \\*\\)\\(r(\\d+) ?([-+] ?(?:0[xX][0-9a-fA-F]+|\\d+))?\\)';
const CAST = '\\(([us]\\d+) \\*\\)\\(r(\\d+) ?([-+] ?(?:0[xX][0-9a-fA-F]+|\\d+))?\\)';

/** Compiles a pattern written with single spaces meaning "optional whitespace". */
const pattern = (p: string): RegExp => new RegExp(`^${p.replace(/ /g, '\\s*')}$`, 'd');

const P = {
  exit: pattern('exit'),
  nospec: pattern('nospec'),
  jump: pattern('(goto|gotol|may_goto) (\\S+)'),
  gotox: pattern('gotox r(\\d+)'),
  callx: pattern('callx r(\\d+)'),
  callPc: pattern('call (pc[-+]\\d+)(?:#\\S*)?'),
  call: pattern('call (\\S+?)(?:#([-+]?\\d+))?'),
  cond: pattern(`if ${REG} (==|!=|s>=|s<=|s>|s<|>=|<=|>|<|&) (?:${REG}|${NUM}) goto (\\S+)`),
  lock: pattern(`lock ${MEM} (\\+|&|\\||\\^)= r(\\d+)`),
  storeRel: pattern(`store_release\\(${CAST}, r(\\d+)\\)`),
  store: pattern(`${MEM} = (?:r(\\d+)|${NUM})`),
  neg: pattern(`${REG} = -${REG}`),
  end: pattern(`r(\\d+) = (be|le|bswap)(\\d+) r(\\d+)`),
  load: pattern(`r(\\d+) = ${MEM}`),
  skb: pattern(`r0 = \\*\\((u\\d+) \\*\\)skb\\[(?:r(\\d+) \\+ )?${NUM}\\]`),
  fetch: pattern(`r(\\d+) = atomic(64)?_fetch_(add|and|or|xor)\\(${CAST}, r(\\d+)\\)`),
  cmpxchg: pattern(`r0 = atomic(64)?_cmpxchg\\(${CAST}, r0, r(\\d+)\\)`),
  xchg: pattern(`r(\\d+) = atomic(64)?_xchg\\(${CAST}, r(\\d+)\\)`),
  loadAcq: pattern(`r(\\d+) = load_acquire\\(${CAST}\\)`),
  addrCast: pattern(`r(\\d+) = addr_space_cast\\(r(\\d+), (\\d+), (\\d+)\\)`),
  percpu: pattern(`r(\\d+) = &\\(void __percpu \\*\\)\\(r(\\d+)\\)`),
  alu: pattern(`${REG} (\\+|-|\\*|/|\\||&|<<|>>|%|\\^|s>>|s/|s%|)= (?:\\((s8|s16|s32)\\))?(?:${REG}|(\\S.*))`),
};

const aluOps: Record<string, number> = {
  '+': AluOp.ADD, '-': AluOp.SUB, '*': AluOp.MUL, '/': AluOp.DIV, '|': AluOp.OR, '&': AluOp.AND, '<<': AluOp.LSH,
  '>>': AluOp.RSH, '%': AluOp.MOD, '^': AluOp.XOR, '': AluOp.MOV, 's>>': AluOp.ARSH, 's/': AluOp.DIV, 's%': AluOp.MOD,
};
const jumpOps: Record<string, number> = {
  '==': JmpOp.JEQ, '!=': JmpOp.JNE, '>': JmpOp.JGT, '>=': JmpOp.JGE, '<': JmpOp.JLT, '<=': JmpOp.JLE,
  's>': JmpOp.JSGT, 's>=': JmpOp.JSGE, 's<': JmpOp.JSLT, 's<=': JmpOp.JSLE, '&': JmpOp.JSET,
};
const lockOps: Record<string, number> = { '+': AtomicOp.ADD, '&': AtomicOp.AND, '|': AtomicOp.OR, '^': AtomicOp.XOR };

/** Column (0-based) of capture group k of a `d`-flag match. */
const col = (m: RegExpExecArray, k: number): number => m.indices?.[k]?.[0] ?? 0;

function memOperand(m: RegExpExecArray, k: number): { size: number; signed: boolean; reg: number; off: number } {
  const type = m[k]!;
  const size = typeSize[type];
  if (size === undefined) throw new Problem(`unknown access type '${type}' (u8, u16, u32, u64, s8, s16, s32)`, col(m, k));
  const off = m[k + 2] === undefined ? 0 : off16(m[k + 2]!.replace(/\s+/g, ''), col(m, k + 2));
  return { size, signed: type.startsWith('s'), reg: register(m[k + 1]!, col(m, k + 1), `r${m[k + 1]}`), off };
}

/** `pc+3`, `pc-1`, `+3` → a distance; anything else is a label. */
function jumpTarget(text: string, at: number): { distance?: number; label?: string } {
  const m = /^(?:pc)?([-+]\d+)$/.exec(text);
  if (m) return { distance: Number(m[1]) };
  if (/^[A-Za-z_.$][\w.$]*$/.test(text)) return { label: text };
  throw new Problem(`expected a jump target (pc+N, +N or a label), found '${text}'`, at);
}

function withTarget(i: Instruction, text: string, at: number, field: 'offset' | 'imm'): Parsed {
  const t = jumpTarget(text, at);
  if (t.label !== undefined) return { insn: i, target: { label: t.label, column: at } };
  if (field === 'offset') i.offset = off16(String(t.distance), at);
  else i.imm = imm32(String(t.distance), at);
  return { insn: i };
}

function parseBpftool(s: string, hint: number | undefined): Parsed {
  let m: RegExpExecArray | null;
  if (P.exit.exec(s)) return { insn: insn(Class.JMP | JmpOp.EXIT) };
  if (P.nospec.exec(s)) return { insn: insn(Class.ST | 0xc0) };
  if ((m = P.jump.exec(s))) {
    if (m[1] === 'gotol') return withTarget(insn(Class.JMP32 | JmpOp.JA), m[2]!, col(m, 2), 'imm');
    return withTarget(insn(m[1] === 'goto' ? Class.JMP | JmpOp.JA : Class.JMP | 0xe0), m[2]!, col(m, 2), 'offset');
  }
  if ((m = P.gotox.exec(s))) return { insn: insn(Class.JMP | JmpOp.JA | Source.X, register(m[1]!, col(m, 1))) };
  if ((m = P.callx.exec(s))) return { insn: insn(Class.JMP | JmpOp.CALL | Source.X, register(m[1]!, col(m, 1))) };
  if ((m = P.callPc.exec(s))) return withTarget(insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.LOCAL), m[1]!, col(m, 1), 'imm');
  if ((m = P.call.exec(s))) return parseBpftoolCall(m);
  if ((m = P.cond.exec(s))) {
    const cls = m[1] === 'w' ? Class.JMP32 : Class.JMP;
    const dst = register(m[2]!, col(m, 2), `${m[1]}${m[2]}`);
    const op = jumpOps[m[3]!]!;
    let i: Instruction;
    if (m[4] !== undefined) {
      if (m[4] !== m[1]) throw new Problem(`mixes ${m[1]} and ${m[4]} registers`, col(m, 4));
      i = insn(cls | op | Source.X, dst, register(m[5]!, col(m, 5), `${m[4]}${m[5]}`));
    } else {
      i = insn(cls | op | Source.K, dst, 0, 0, imm32(m[6]!.replace(/\s+/g, ''), col(m, 6)));
    }
    return withTarget(i, m[7]!, col(m, 7), 'offset');
  }
  if ((m = P.lock.exec(s))) {
    const mem = atomicMem(m, 1);
    return { insn: insn(Class.STX | Mode.ATOMIC | mem.size, mem.reg, register(m[5]!, col(m, 5)), mem.off, lockOps[m[4]!]!) };
  }
  if ((m = P.storeRel.exec(s))) {
    const mem = memOperand(m, 1);
    return { insn: insn(Class.STX | Mode.ATOMIC | mem.size, mem.reg, register(m[4]!, col(m, 4)), mem.off, AtomicOp.STORE_REL) };
  }
  if ((m = P.store.exec(s))) {
    const mem = memOperand(m, 1);
    if (mem.signed) throw new Problem('stores take an unsigned access type', col(m, 1));
    if (m[4] !== undefined) return { insn: insn(Class.STX | Mode.MEM | mem.size, mem.reg, register(m[4], col(m, 4)), mem.off) };
    return { insn: insn(Class.ST | Mode.MEM | mem.size, mem.reg, 0, mem.off, imm32(m[5]!.replace(/\s+/g, ''), col(m, 5))) };
  }
  if ((m = P.neg.exec(s))) {
    if (m[1] !== m[3] || m[2] !== m[4]) throw new Problem('negation works in place: write rN = -rN', col(m, 3));
    return { insn: insn((m[1] === 'w' ? Class.ALU : Class.ALU64) | AluOp.NEG, register(m[2]!, col(m, 2))) };
  }
  if ((m = P.end.exec(s))) {
    if (m[1] !== m[4]) throw new Problem('byte swaps work in place: write rN = be16 rN', col(m, 4));
    const bits = Number(m[3]);
    if (bits !== 16 && bits !== 32 && bits !== 64) throw new Problem(`byte swap width ${bits} is not 16, 32 or 64`, col(m, 3));
    const code = m[2] === 'bswap' ? Class.ALU64 | AluOp.END : Class.ALU | AluOp.END | (m[2] === 'be' ? Source.X : Source.K);
    return { insn: insn(code, register(m[1]!, col(m, 1)), 0, 0, bits) };
  }
  if ((m = P.load.exec(s))) {
    const mem = memOperand(m, 2);
    if (mem.signed && mem.size === Size.DW) throw new Problem('there is no s64 sign-extending load', col(m, 2));
    return { insn: insn(Class.LDX | (mem.signed ? Mode.MEMSX : Mode.MEM) | mem.size, register(m[1]!, col(m, 1)), mem.reg, mem.off) };
  }
  if ((m = P.skb.exec(s))) {
    const size = typeSize[m[1]!];
    if (size === undefined || size === Size.DW) throw new Problem(`legacy packet loads take u8, u16 or u32, not ${m[1]}`, col(m, 1));
    const imm = imm32(m[3]!.replace(/\s+/g, ''), col(m, 3));
    if (m[2] === undefined) return { insn: insn(Class.LD | Mode.ABS | size, 0, 0, 0, imm) };
    return { insn: insn(Class.LD | Mode.IND | size, 0, register(m[2], col(m, 2)), 0, imm) };
  }
  if ((m = P.fetch.exec(s))) {
    const mem = atomicMem(m, 4, m[2] === '64');
    const src = register(m[7]!, col(m, 7));
    if (register(m[1]!, col(m, 1)) !== src) throw new Problem('the fetched value goes to the source register: write rS = atomic_fetch_op(..., rS)', col(m, 1));
    return { insn: insn(Class.STX | Mode.ATOMIC | mem.size, mem.reg, src, mem.off, lockOps[{ add: '+', and: '&', or: '|', xor: '^' }[m[3]!]!]! | AtomicOp.FETCH) };
  }
  if ((m = P.cmpxchg.exec(s))) {
    const mem = atomicMem(m, 2, m[1] === '64');
    return { insn: insn(Class.STX | Mode.ATOMIC | mem.size, mem.reg, register(m[5]!, col(m, 5)), mem.off, AtomicOp.CMPXCHG) };
  }
  if ((m = P.xchg.exec(s))) {
    const mem = atomicMem(m, 3, m[2] === '64');
    const src = register(m[6]!, col(m, 6));
    if (register(m[1]!, col(m, 1)) !== src) throw new Problem('xchg returns the old value in the source register', col(m, 1));
    return { insn: insn(Class.STX | Mode.ATOMIC | mem.size, mem.reg, src, mem.off, AtomicOp.XCHG) };
  }
  if ((m = P.loadAcq.exec(s))) {
    const mem = memOperand(m, 2);
    return { insn: insn(Class.STX | Mode.ATOMIC | mem.size, register(m[1]!, col(m, 1)), mem.reg, mem.off, AtomicOp.LOAD_ACQ) };
  }
  if ((m = P.addrCast.exec(s))) {
    const imm = ((Number(m[3]) & 0xffff) << 16) | (Number(m[4]) & 0xffff);
    return { insn: insn(Class.ALU64 | AluOp.MOV | Source.X, register(m[1]!, col(m, 1)), register(m[2]!, col(m, 2)), 1, imm) };
  }
  if ((m = P.percpu.exec(s))) {
    return { insn: insn(Class.ALU64 | AluOp.MOV | Source.X, register(m[1]!, col(m, 1)), register(m[2]!, col(m, 2)), -1) };
  }
  if ((m = P.alu.exec(s))) return parseBpftoolAlu(m, hint);
  throw new Problem(`cannot parse instruction '${s}'`, 0);
}

/** Atomic memory operands: only 32- and 64-bit, and the atomicNN_ prefix must agree with the type. */
function atomicMem(m: RegExpExecArray, k: number, is64?: boolean): ReturnType<typeof memOperand> {
  const mem = memOperand(m, k);
  if (mem.signed || (mem.size !== Size.W && mem.size !== Size.DW)) throw new Problem('atomic operations take u32 or u64', col(m, k));
  if (is64 !== undefined && is64 !== (mem.size === Size.DW)) {
    throw new Problem(is64 ? 'atomic64_* operates on u64' : 'atomic_* (no 64) operates on u32', col(m, k));
  }
  return mem;
}

function parseBpftoolCall(m: RegExpExecArray): Parsed {
  const name = m[1]!;
  const id = m[2];
  if (/^pc[-+]\d+$/.test(name) || (id === undefined && helperId(name) === undefined && name !== 'unknown' && !/^\d+$/.test(name))) {
    return withTarget(insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.LOCAL), name, col(m, 1), 'imm');
  }
  if (name === 'kernel-function') {
    if (id === undefined) throw new Problem('kfunc calls need their BTF id: call kernel-function#ID', col(m, 1));
    return { insn: insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.KFUNC, 0, imm32(id, col(m, 2))) };
  }
  let helper: number;
  if (id !== undefined) {
    helper = imm32(id, col(m, 2));
    const named = helperId(name);
    if (named !== undefined && named !== helper) throw new Problem(`helper ${name} is #${named}, not #${helper}`, col(m, 2));
  } else if (/^\d+$/.test(name)) {
    helper = imm32(name, col(m, 1));
  } else {
    const named = helperId(name);
    if (named === undefined) throw new Problem(`unknown helper '${name}'`, col(m, 1));
    helper = named;
  }
  return { insn: insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.HELPER, 0, helper) };
}

function parseBpftoolAlu(m: RegExpExecArray, hint: number | undefined): Parsed {
  const wide = m[1] === 'r';
  const cls = wide ? Class.ALU64 : Class.ALU;
  const dst = register(m[2]!, col(m, 2), `${m[1]}${m[2]}`);
  const opText = m[3]!;
  const op = aluOps[opText]!;
  const signedDivMod = opText === 's/' || opText === 's%';
  if (m[5] !== undefined) {
    if (m[5] !== m[1]) throw new Problem(`mixes ${m[1]} and ${m[5]} registers (32-bit operations use w registers on both sides)`, col(m, 5));
    const src = register(m[6]!, col(m, 6), `${m[5]}${m[6]}`);
    let offset = signedDivMod ? 1 : 0;
    if (m[4] !== undefined) {
      if (op !== AluOp.MOV) throw new Problem('a sign-extending cast only goes with =', col(m, 4));
      offset = Number(m[4].slice(1));
      if (!wide && offset === 32) throw new Problem('w registers are 32 bits: (s32) has no effect there', col(m, 4));
    }
    return { insn: insn(cls | op | Source.X, dst, src, offset) };
  }
  const rhs = m[7]!.trim();
  const at = col(m, 7);
  if (m[4] !== undefined) throw new Problem('a sign-extending cast needs a register', col(m, 4));
  if (op === AluOp.MOV && wide) {
    const pseudo = pseudoLoad(dst, rhs, at);
    if (pseudo) return { insn: pseudo };
    // bpftool prints lddw constants in hex and mov immediates in decimal; the opcode column settles it too.
    const isLddw = hint === (Class.LD | Size.DW | Mode.IMM) || (hint === undefined && isHex(rhs));
    if (isLddw) return { insn: lddw(dst, imm64(rhs, at)) };
    const v = parseInteger(rhs, at);
    if (hint === undefined && (v < -0x80000000n || v > 0x7fffffffn)) return { insn: lddw(dst, imm64(rhs, at)) };
  }
  return { insn: insn(cls | op | Source.K, dst, 0, signedDivMod ? 1 : 0, imm32(rhs, at)) };
}

// ---- uBPF / conformance dialect ----

interface Operand { text: string; at: number }

/** Splits `mnemonic op1, op2, ...` keeping each operand's column. */
function splitOperands(s: string): { mnemonic: string; words: Operand[]; operands: Operand[] } {
  const words: Operand[] = [];
  const re = /[^\s,]+/g;
  for (let m = re.exec(s); m; m = re.exec(s)) words.push({ text: m[0], at: m.index });
  const mnemonic = words[0]?.text ?? '';
  const rest = s.slice(mnemonic.length);
  const operands: Operand[] = [];
  let start = mnemonic.length;
  if (rest.trim() !== '') {
    for (const part of rest.split(',')) {
      const lead = part.length - part.trimStart().length;
      operands.push({ text: part.trim(), at: start + lead });
      start += part.length + 1;
    }
  }
  return { mnemonic, words, operands };
}

function ubpfReg(o: Operand | undefined, at: number): number {
  if (!o || o.text === '') throw new Problem('expected a register', at);
  const m = /^%r(\d+)$/.exec(o.text);
  if (!m) throw new Problem(`invalid register '${o.text}'`, o.at);
  return register(m[1]!, o.at, o.text);
}

function ubpfMem(o: Operand | undefined, at: number): { reg: number; off: number } {
  if (!o) throw new Problem('expected a memory operand like [%r1+8]', at);
  const m = /^\[\s*(%r\d+)\s*(?:([-+])\s*(0[xX][0-9a-fA-F]+|\d+))?\s*\]$/.exec(o.text);
  if (!m) throw new Problem(`expected a memory operand like [%r1+8], found '${o.text}'`, o.at);
  const reg = register(m[1]!.slice(2), o.at + 1, m[1]);
  return { reg, off: m[2] === undefined ? 0 : off16(`${m[2]}${m[3]}`, o.at + o.text.indexOf(m[2]!)) };
}

const isRegText = (o: Operand | undefined): boolean => o !== undefined && o.text.startsWith('%');

function count(mnemonic: string, operands: Operand[], n: number, end: number): void {
  if (operands.length !== n) {
    throw new Problem(`${mnemonic} takes ${n} operand${n === 1 ? '' : 's'}, found ${operands.length}`, operands[n]?.at ?? end);
  }
}

const ubpfAlu: Record<string, number> = {
  add: AluOp.ADD, sub: AluOp.SUB, mul: AluOp.MUL, div: AluOp.DIV, sdiv: AluOp.DIV, or: AluOp.OR, and: AluOp.AND,
  lsh: AluOp.LSH, rsh: AluOp.RSH, mod: AluOp.MOD, smod: AluOp.MOD, xor: AluOp.XOR, mov: AluOp.MOV, arsh: AluOp.ARSH,
};
const ubpfJumps: Record<string, number> = {
  jeq: JmpOp.JEQ, jgt: JmpOp.JGT, jge: JmpOp.JGE, jset: JmpOp.JSET, jne: JmpOp.JNE, jsgt: JmpOp.JSGT, jsge: JmpOp.JSGE,
  jlt: JmpOp.JLT, jle: JmpOp.JLE, jslt: JmpOp.JSLT, jsle: JmpOp.JSLE,
};

function parseUbpf(s: string): Parsed {
  const { mnemonic, words, operands } = splitOperands(s);
  const end = s.length;
  let m: RegExpExecArray | null;

  if (mnemonic === 'exit') { count(mnemonic, operands, 0, end); return { insn: insn(Class.JMP | JmpOp.EXIT) }; }
  if (mnemonic === 'lock') return parseUbpfLock(words, end);
  if (mnemonic === 'call') return parseUbpfCall(words, end);
  if (mnemonic === '.insn') {
    count(mnemonic, operands, 5, end);
    const [op, dst, src, off, imm] = operands as [Operand, Operand, Operand, Operand, Operand];
    const opcode = Number(parseInteger(op.text, op.at));
    if (opcode < 0 || opcode > 0xff) throw new Problem('opcode must be 0..0xff', op.at);
    const regField = (o: Operand) => { const v = Number(parseInteger(o.text, o.at)); if (v < 0 || v > 15) throw new Problem('register field must be 0..15', o.at); return v; };
    return { insn: insn(opcode, regField(dst), regField(src), off16(off.text, off.at), imm32(imm.text, imm.at)) };
  }
  if ((m = /^(neg)(32|64)?$/.exec(mnemonic))) {
    count(mnemonic, operands, 1, end);
    return { insn: insn((m[2] === '32' ? Class.ALU : Class.ALU64) | AluOp.NEG, ubpfReg(operands[0], end)) };
  }
  if ((m = /^(be|le|swap|bswap)(16|32|64)$/.exec(mnemonic))) {
    count(mnemonic, operands, 1, end);
    const code = m[1] === 'be' ? Class.ALU | AluOp.END | Source.X : m[1] === 'le' ? Class.ALU | AluOp.END | Source.K : Class.ALU64 | AluOp.END;
    return { insn: insn(code, ubpfReg(operands[0], end), 0, 0, Number(m[2])) };
  }
  if ((m = /^movsx(8|16|32)(32|64)$/.exec(mnemonic))) {
    count(mnemonic, operands, 2, end);
    if (m[1] === '32' && m[2] === '32') throw new Problem('movsx3232 does not exist (use mov32)', 0);
    const cls = m[2] === '32' ? Class.ALU : Class.ALU64;
    return { insn: insn(cls | AluOp.MOV | Source.X, ubpfReg(operands[0], end), ubpfReg(operands[1], end), Number(m[1])) };
  }
  if ((m = /^([a-z]+?)(32|64)?$/.exec(mnemonic)) && ubpfAlu[m[1]!] !== undefined) {
    count(mnemonic, operands, 2, end);
    const cls = m[2] === '32' ? Class.ALU : Class.ALU64;
    const op = ubpfAlu[m[1]!]!;
    const offset = m[1] === 'sdiv' || m[1] === 'smod' ? 1 : 0;
    const dst = ubpfReg(operands[0], end);
    const src = operands[1]!;
    if (isRegText(src)) return { insn: insn(cls | op | Source.X, dst, ubpfReg(src, end), offset) };
    return { insn: insn(cls | op | Source.K, dst, 0, offset, imm32(src.text, src.at)) };
  }
  if ((m = /^ldx(s?)(b|h|w|dw)$/.exec(mnemonic))) {
    count(mnemonic, operands, 2, end);
    if (m[1] === 's' && m[2] === 'dw') throw new Problem('there is no ldxsdw (use ldxdw)', 0);
    const dst = ubpfReg(operands[0], end);
    const mem = ubpfMem(operands[1], end);
    return { insn: insn(Class.LDX | (m[1] ? Mode.MEMSX : Mode.MEM) | sizeOf[m[2]!]!, dst, mem.reg, mem.off) };
  }
  if ((m = /^st(x?)(b|h|w|dw)$/.exec(mnemonic))) {
    count(mnemonic, operands, 2, end);
    const mem = ubpfMem(operands[0], end);
    const size = sizeOf[m[2]!]!;
    if (m[1]) return { insn: insn(Class.STX | Mode.MEM | size, mem.reg, ubpfReg(operands[1], end), mem.off) };
    const v = operands[1]!;
    return { insn: insn(Class.ST | Mode.MEM | size, mem.reg, 0, mem.off, imm32(v.text, v.at)) };
  }
  if (mnemonic === 'lddw') {
    count(mnemonic, operands, 2, end);
    const dst = ubpfReg(operands[0], end);
    const v = operands[1]!;
    return { insn: pseudoLoad(dst, v.text, v.at) ?? lddw(dst, imm64(v.text, v.at)) };
  }
  if ((m = /^ld(abs|ind)(b|h|w)$/.exec(mnemonic))) {
    const size = sizeOf[m[2]!]!;
    if (m[1] === 'abs') {
      count(mnemonic, operands, 1, end);
      return { insn: insn(Class.LD | Mode.ABS | size, 0, 0, 0, imm32(operands[0]!.text, operands[0]!.at)) };
    }
    count(mnemonic, operands, 2, end);
    return { insn: insn(Class.LD | Mode.IND | size, 0, ubpfReg(operands[0], end), 0, imm32(operands[1]!.text, operands[1]!.at)) };
  }
  if (mnemonic === 'ja' || mnemonic === 'ja32') {
    count(mnemonic, operands, 1, end);
    const wide = mnemonic === 'ja32';
    return withTarget(insn(wide ? Class.JMP32 | JmpOp.JA : Class.JMP | JmpOp.JA), operands[0]!.text, operands[0]!.at, wide ? 'imm' : 'offset');
  }
  if ((m = /^([a-z]+?)(32)?$/.exec(mnemonic)) && ubpfJumps[m[1]!] !== undefined) {
    count(mnemonic, operands, 3, end);
    const cls = m[2] ? Class.JMP32 : Class.JMP;
    const op = ubpfJumps[m[1]!]!;
    const dst = ubpfReg(operands[0], end);
    const rhs = operands[1]!;
    const i = isRegText(rhs) ? insn(cls | op | Source.X, dst, ubpfReg(rhs, end)) : insn(cls | op | Source.K, dst, 0, 0, imm32(rhs.text, rhs.at));
    return withTarget(i, operands[2]!.text, operands[2]!.at, 'offset');
  }
  throw new Problem(`unknown mnemonic '${mnemonic}'`, 0);
}

/** `lock [fetch] add|and|or|xor|xchg|cmpxchg[32] [%rD+off], %rS` */
function parseUbpfLock(words: Operand[], end: number): Parsed {
  const rest = words.slice(1);
  const fetch = rest[0]?.text === 'fetch';
  const ops = fetch ? rest.slice(1) : rest;
  if (ops.length !== 3) throw new Problem(`lock takes an operation and 2 operands ('lock [fetch] add [%r1+0], %r2'), found ${ops.length} word(s)`, ops[0]?.at ?? end);
  const m = /^(add|and|or|xor|xchg|cmpxchg)(32)?$/.exec(ops[0]!.text);
  if (!m) throw new Problem(`unknown atomic operation '${ops[0]!.text}'`, ops[0]!.at);
  const size = m[2] ? Size.W : Size.DW;
  const mem = ubpfMem(ops[1], end);
  const src = ubpfReg(ops[2], end);
  let imm: number;
  if (m[1] === 'xchg') imm = AtomicOp.XCHG;
  else if (m[1] === 'cmpxchg') imm = AtomicOp.CMPXCHG;
  else imm = { add: AtomicOp.ADD, and: AtomicOp.AND, or: AtomicOp.OR, xor: AtomicOp.XOR }[m[1]!]! | (fetch ? AtomicOp.FETCH : 0);
  return { insn: insn(Class.STX | Mode.ATOMIC | size, mem.reg, src, mem.off, imm) };
}

/** `call N` / `call helper N` (helper), `call local label|+N`, `call runtime N` (kfunc), `call %rN` (callx). */
function parseUbpfCall(words: Operand[], end: number): Parsed {
  const args = words.slice(1);
  if (args.length === 1) args.unshift({ text: 'helper', at: args[0]!.at });
  if (args.length !== 2) throw new Problem(`call takes a target ('call 5', 'call local f', 'call %r2'), found ${args.length} word(s)`, words[1]?.at ?? end);
  const [mode, target] = args as [Operand, Operand];
  if (mode.text === 'helper') {
    if (isRegText(target)) return { insn: insn(Class.JMP | JmpOp.CALL | Source.X, ubpfReg(target, end)) };
    const numeric = /^[-+]?(0x[0-9a-f]+|\d+)$/i.test(target.text);
    const named = numeric ? undefined : helperId(target.text);
    // `call name` with a name that is no helper is a local call (the bpftool dialect writes those as `call pc+N`).
    if (!numeric && named === undefined && words.length === 2) {
      return withTarget(insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.LOCAL), target.text, target.at, 'imm');
    }
    return { insn: insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.HELPER, 0, named ?? imm32(target.text, target.at)) };
  }
  if (mode.text === 'local') return withTarget(insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.LOCAL), target.text, target.at, 'imm');
  if (mode.text === 'runtime') return { insn: insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.KFUNC, 0, imm32(target.text, target.at)) };
  throw new Problem(`unknown call mode '${mode.text}' (helper, local or runtime)`, mode.at);
}
