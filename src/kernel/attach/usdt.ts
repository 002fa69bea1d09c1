// USDT (SystemTap SDT) probes: find a probe's sites in .note.stapsdt, attach a uprobe at each (letting the kernel
// bump the probe's semaphore), and read its arguments from pt_regs in a program.
import type { ElfFile } from '../../elf/symbols.js';
import { FP, type ProgramBuilder, type Register } from '../../isa/builder.js';
import { Helper } from '../../isa/helpers.js';
import { BpfError } from '../../sys/errors.js';
import { Link } from '../link.js';
import { elfFor, PtRegs, resolveBinary, uprobe, uprobeMulti, type ProbeProgram, type PtRegName } from './uprobe.js';

/** One argument of a USDT site, decoded from its spec ("-4@%edi", "8@-24(%rbp)", "4@$5"). */
export type UsdtArg =
  | { kind: 'register'; size: 1 | 2 | 4 | 8; signed: boolean; register: PtRegName; shift: number; text: string }
  | { kind: 'memory'; size: 1 | 2 | 4 | 8; signed: boolean; register: PtRegName; offset: number; text: string }
  | { kind: 'constant'; size: 1 | 2 | 4 | 8; signed: boolean; value: bigint; text: string }
  | { kind: 'unsupported'; size: 1 | 2 | 4 | 8; signed: boolean; text: string; reason: string };

/** One place in a file where a USDT probe fires. */
export interface UsdtSite {
  provider: string;
  name: string;
  /** Link-time address of the probe, adjusted for prelink via .stapsdt.base. */
  address: bigint;
  /** File offset of the probe instruction (what the uprobe attaches to). */
  fileOffset: bigint;
  /** Link-time address of the semaphore, 0 when the probe has none. */
  semaphore: bigint;
  /** File offset of the semaphore (the uprobe ref_ctr_offset), 0 when none. */
  semaphoreOffset: bigint;
  args: UsdtArg[];
  /** The raw argument spec string. */
  argSpec: string;
}

/** A USDT probe could not be found or used. */
export class UsdtError extends BpfError {
  override name = 'UsdtError';
}

// x86_64 register names (all widths) → the pt_regs slot holding them and the bit position of the low bit.
const REGISTERS: Record<string, [PtRegName, number]> = (() => {
  const table: Record<string, [PtRegName, number]> = {};
  const legacy: Array<[PtRegName, string[], string?]> = [
    ['rax', ['eax', 'ax', 'al'], 'ah'], ['rbx', ['ebx', 'bx', 'bl'], 'bh'], ['rcx', ['ecx', 'cx', 'cl'], 'ch'],
    ['rdx', ['edx', 'dx', 'dl'], 'dh'], ['rsi', ['esi', 'si', 'sil']], ['rdi', ['edi', 'di', 'dil']],
    ['rbp', ['ebp', 'bp', 'bpl']], ['rsp', ['esp', 'sp', 'spl']], ['rip', ['eip']],
  ];
  for (const [full, aliases, high] of legacy) {
    table[full] = [full, 0];
    for (const a of aliases) table[a] = [full, 0];
    if (high) table[high] = [full, 8];
  }
  for (let n = 8; n <= 15; n++) {
    const full = `r${n}` as PtRegName;
    for (const a of [full, `${full}d`, `${full}w`, `${full}b`, `${full}l`]) table[a] = [full, 0];
  }
  return table;
})();

const SIZES = new Set([1, 2, 4, 8]);

/** Splits and decodes an argument spec string ("-4@%edi 8@%rsi"). */
export function parseUsdtArgs(spec: string): UsdtArg[] {
  const trimmed = spec.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/).map(parseUsdtArg);
}

/** Decodes one argument ("SIZE@OPERAND"); operands this reader cannot load become kind 'unsupported'. */
export function parseUsdtArg(text: string): UsdtArg {
  const at = text.indexOf('@');
  let size: 1 | 2 | 4 | 8 = 8;
  let signed = false;
  let operand = text;
  if (at >= 0 && /^-?\d+$/.test(text.slice(0, at))) {
    const n = Number(text.slice(0, at));
    if (!SIZES.has(Math.abs(n))) return { kind: 'unsupported', size: 8, signed: false, text, reason: `bad size ${n}` };
    size = Math.abs(n) as 1 | 2 | 4 | 8;
    signed = n < 0;
    operand = text.slice(at + 1);
  }
  const unsupported = (reason: string): UsdtArg => ({ kind: 'unsupported', size, signed, text, reason });
  let m = /^%(\w+)$/.exec(operand);
  if (m) {
    const reg = REGISTERS[m[1]!];
    return reg ? { kind: 'register', size, signed, register: reg[0], shift: reg[1], text } : unsupported(`unknown register %${m[1]}`);
  }
  m = /^\$(-?(?:0x[0-9a-fA-F]+|\d+))$/.exec(operand);
  if (m) {
    const raw = m[1]!;
    const neg = raw.startsWith('-');
    const value = BigInt(neg ? raw.slice(1) : raw) * (neg ? -1n : 1n);
    return { kind: 'constant', size, signed, value: extend(value, size, signed), text };
  }
  m = /^(-?(?:0x[0-9a-fA-F]+|\d+))?\(%(\w+)\)$/.exec(operand);
  if (m) {
    const reg = REGISTERS[m[2]!];
    if (!reg || reg[1] !== 0) return unsupported(`unknown base register %${m[2]}`);
    const raw = m[1] ?? '0';
    const neg = raw.startsWith('-');
    const offset = Number(neg ? raw.slice(1) : raw) * (neg ? -1 : 1);
    if (reg[0] === 'rip') return unsupported('rip-relative operands need the load address');
    return { kind: 'memory', size, signed, register: reg[0], offset, text };
  }
  return unsupported(`operand '${operand}' is not a register, constant or base+offset memory reference`);
}

function extend(v: bigint, size: number, signed: boolean): bigint {
  return signed ? BigInt.asIntN(size * 8, v) : BigInt.asUintN(size * 8, v);
}

/** All USDT sites in a parsed ELF file, optionally only those of provider:name. Pure. */
export function usdtSites(elf: ElfFile, provider?: string, name?: string): UsdtSite[] {
  const base = elf.stapsdtBase();
  const sites: UsdtSite[] = [];
  for (const note of elf.stapsdtNotes()) {
    if (provider !== undefined && note.provider !== provider) continue;
    if (name !== undefined && note.name !== name) continue;
    // If the file was prelinked after the note was written, every address moved by the same delta as .stapsdt.base.
    const delta = base !== undefined && note.base !== 0n ? base - note.base : 0n;
    const address = note.pc + delta;
    const semaphore = note.semaphore !== 0n ? note.semaphore + delta : 0n;
    sites.push({
      provider: note.provider, name: note.name, address, fileOffset: elf.addressToFileOffset(address),
      semaphore, semaphoreOffset: semaphore !== 0n ? elf.addressToFileOffset(semaphore) : 0n,
      args: parseUsdtArgs(note.args), argSpec: note.args,
    });
  }
  return sites;
}

/** The sites of provider:name in the file at `binary` (path, bare library name or program on $PATH). */
export function findUsdtProbe(binary: string, provider: string, name: string, pid?: number): { path: string; sites: UsdtSite[] } {
  const path = resolveBinary(binary, pid);
  const sites = usdtSites(elfFor(path), provider, name);
  if (sites.length === 0) {
    const known = [...new Set(usdtSites(elfFor(path)).map((s) => `${s.provider}:${s.name}`))];
    throw new UsdtError(`no USDT probe ${provider}:${name} in ${path}` +
      (known.length ? ` (it has ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', ...' : ''})` : ' (it has no USDT probes)'));
  }
  return { path, sites };
}

export interface UsdtOptions {
  binary: string;
  provider: string;
  name: string;
  pid?: number;
  /**
   * Cookie of each site (bpf_get_attach_cookie()): defaults to the site's index in `sites`, so a program can tell
   * sites with different argument specs apart.
   */
  cookies?: (site: UsdtSite, index: number) => bigint | number;
  /** Attach all sites with one uprobe_multi link (program loaded with expectedAttachType TRACE_UPROBE_MULTI). */
  multi?: boolean;
}

/** A USDT attachment: one uprobe per site (or one uprobe_multi link), plus the sites it covers. */
export class UsdtLink extends Link {
  constructor(readonly sites: readonly UsdtSite[], readonly links: readonly Link[], description: string) {
    super(null, description, [], () => {
      for (const l of links) l.close();
    });
  }
}

/** Attaches a KPROBE program at every site of a USDT probe; semaphores are incremented by the kernel while attached. */
export function usdt(prog: ProbeProgram, opts: UsdtOptions): UsdtLink {
  const { path, sites } = findUsdtProbe(opts.binary, opts.provider, opts.name, opts.pid);
  const cookie = (s: UsdtSite, i: number) => BigInt(opts.cookies ? opts.cookies(s, i) : i);
  const description = `usdt ${path}:${opts.provider}:${opts.name}${opts.pid !== undefined ? ` (pid ${opts.pid})` : ''}`;
  if (opts.multi) {
    const link = uprobeMulti(prog, {
      binary: path, offsets: sites.map((s) => s.fileOffset), pid: opts.pid,
      cookies: sites.map(cookie), refCtrOffsets: sites.map((s) => s.semaphoreOffset),
    });
    return new UsdtLink(sites, [link], description);
  }
  const links: Link[] = [];
  try {
    sites.forEach((s, i) => {
      links.push(uprobe(prog, {
        binary: path, offset: s.fileOffset, pid: opts.pid, cookie: cookie(s, i),
        refCtrOffset: s.semaphoreOffset !== 0n ? s.semaphoreOffset : undefined,
      }));
    });
  } catch (err) {
    for (const l of links) l.close();
    throw err;
  }
  return new UsdtLink(sites, links, description);
}

export interface ArgLoadOptions {
  /** Register receiving the value. */
  dst: Register;
  /** Register holding the pt_regs context (R1 at program entry). Keep it in R6–R9 to load several arguments. */
  ctx: Register;
  /** Frame-pointer offset of an 8-byte stack slot for memory operands (default -8). */
  stackOffset?: number;
}

/**
 * Emits instructions that load a USDT argument into `dst`, sized and sign- or zero-extended to 64 bits.
 * Registers are read straight from pt_regs; memory operands go through bpf_probe_read_user (clobbering R0–R5,
 * and yielding 0 if the read faults); constants become an immediate.
 */
export function loadUsdtArg(b: ProgramBuilder, arg: UsdtArg, opts: ArgLoadOptions): ProgramBuilder {
  const { dst, ctx } = opts;
  switch (arg.kind) {
    case 'constant':
      return b.lddw(dst, arg.value);
    case 'register':
      b.ldx('dw', dst, ctx, PtRegs[arg.register]);
      if (arg.shift) b.rsh(dst, arg.shift);
      return narrow(b, dst, arg.size, arg.signed);
    case 'memory': {
      const slot = opts.stackOffset ?? -8;
      if (slot > -8 || slot % 8 !== 0) throw new RangeError(`stackOffset ${slot} must be a negative multiple of 8`);
      const R1 = { reg: 1 }, R2 = { reg: 2 }, R3 = { reg: 3 };
      b.ldx('dw', R3, ctx, PtRegs[arg.register]);
      if (arg.offset !== 0) b.add(R3, arg.offset);
      b.st('dw', FP, slot, 0).mov(R1, FP).add(R1, slot).mov(R2, arg.size).call(Helper.probe_read_user);
      b.ldx('dw', dst, FP, slot);
      return narrow(b, dst, arg.size, arg.signed);
    }
    case 'unsupported':
      throw new UsdtError(`cannot load USDT argument '${arg.text}': ${arg.reason}`);
  }
}

/** Loads argument `n` of a site (throws a clear error when the site has fewer). */
export function loadUsdtArgN(b: ProgramBuilder, site: UsdtSite, n: number, opts: ArgLoadOptions): ProgramBuilder {
  const arg = site.args[n];
  if (!arg) throw new UsdtError(`USDT probe ${site.provider}:${site.name} has ${site.args.length} arguments; arg${n} does not exist`);
  return loadUsdtArg(b, arg, opts);
}

/** Keeps the low `size` bytes of dst, sign- or zero-extended. */
function narrow(b: ProgramBuilder, dst: Register, size: number, signed: boolean): ProgramBuilder {
  if (size === 8) return b;
  const bits = 64 - size * 8;
  if (signed) return b.lsh(dst, bits).arsh(dst, bits);
  if (size === 4) return b.mov32(dst, dst);
  return b.and(dst, size === 1 ? 0xff : 0xffff);
}
