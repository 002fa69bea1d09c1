// User-space probes: uprobe/uretprobe through the "uprobe" perf PMU plus a perf_event bpf_link, and uprobe_multi
// links. Programs are KPROBE programs; their context is the probed thread's struct pt_regs.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import { ElfError, readElfFile, type ElfFile } from '../../elf/symbols.js';
import { cString, type Attr } from '../../sys/attr.js';
import { AttachType, ProgType } from '../../sys/constants.js';
import { NotSupportedError } from '../../sys/errors.js';
import { perfEventAttr, perfEventOpen, pmuRetprobeBit, pmuType } from '../../sys/perf.js';
import { FileDescriptor } from '../fd.js';
import { createLink, type Link } from '../link.js';

/** Anything with a loaded program fd (a Program); `type`, when known, is checked to be KPROBE. */
export interface ProbeProgram {
  readonly fd: { readonly value: number };
  readonly type?: ProgType;
  readonly name?: string;
}

/** Byte offsets of struct pt_regs fields on x86_64 (the context of uprobe programs). */
export const PtRegs = {
  r15: 0, r14: 8, r13: 16, r12: 24, rbp: 32, rbx: 40, r11: 48, r10: 56, r9: 64, r8: 72, rax: 80, rcx: 88,
  rdx: 96, rsi: 104, rdi: 112, orig_rax: 120, rip: 128, cs: 136, eflags: 144, rsp: 152, ss: 160,
} as const;
export type PtRegName = keyof typeof PtRegs;

/** System V x86_64 integer argument registers, in order. */
export const ARG_REGISTERS: readonly PtRegName[] = ['rdi', 'rsi', 'rdx', 'rcx', 'r8', 'r9'];

/** pt_regs offset of integer argument n (0-based) at function entry. */
export function argOffset(n: number): number {
  const reg = ARG_REGISTERS[n];
  if (reg === undefined) throw new RangeError(`argument ${n} is not passed in a register (x86_64 has 6)`);
  return PtRegs[reg];
}

/** pt_regs offset of the return value at function return (uretprobe). */
export const RETURN_VALUE_OFFSET = PtRegs.rax;

export interface UprobeOptions {
  /** Path of the executable or library, or a bare library name ("libc.so.6"). */
  binary: string;
  /** Function to probe; resolved through .symtab, then .dynsym. */
  symbol?: string;
  /** With `symbol`: bytes past the function's start. Without: the file offset to probe. */
  offset?: bigint | number;
  /** Only this process (its address space); default: every process mapping the file. */
  pid?: number;
  /** Fire on function return (uretprobe). */
  retprobe?: boolean;
  /** Value returned by bpf_get_attach_cookie() in the program. */
  cookie?: bigint | number;
  /** File offset of a reference counter (USDT semaphore, u16) the kernel increments while attached. */
  refCtrOffset?: bigint | number;
}

export interface UprobeMultiOptions {
  binary: string;
  /** Functions to probe; or give `offsets` (file offsets). */
  symbols?: readonly string[];
  offsets?: readonly (bigint | number)[];
  pid?: number;
  retprobe?: boolean;
  /** One cookie per site (bpf_get_attach_cookie()). */
  cookies?: readonly (bigint | number)[];
  /** One semaphore file offset per site (0 for none). */
  refCtrOffsets?: readonly (bigint | number)[];
}

const UPROBE_MULTI_RETURN = 1;

/** Attaches a KPROBE program as a uprobe (or uretprobe) at a function or file offset. */
export function uprobe(prog: ProbeProgram, opts: UprobeOptions): Link {
  checkProgramType(prog);
  const path = resolveBinary(opts.binary, opts.pid);
  const offset = opts.symbol !== undefined
    ? symbolFileOffset(elfFor(path), opts.symbol) + BigInt(opts.offset ?? 0)
    : requireOffset(opts.offset);
  const kind = opts.retprobe ? 'uretprobe' : 'uprobe';
  const where = `${path}:${opts.symbol ?? `0x${offset.toString(16)}`}${opts.pid !== undefined ? ` (pid ${opts.pid})` : ''}`;
  const description = `${kind} ${where}`;
  const perfFd = openUprobeEvent(path, offset, { retprobe: opts.retprobe, pid: opts.pid, refCtrOffset: opts.refCtrOffset }, description);
  const held = new FileDescriptor(perfFd, `perf event (${description})`);
  return createLink(prog.fd.value, perfFd, AttachType.PERF_EVENT, description, {
    extra: (attr: Attr) => attr.u64(16, BigInt.asUintN(64, BigInt(opts.cookie ?? 0))),
    held: [held],
  });
}

/** Shorthand for uprobe(..., {retprobe: true}). */
export function uretprobe(prog: ProbeProgram, opts: Omit<UprobeOptions, 'retprobe'>): Link {
  return uprobe(prog, { ...opts, retprobe: true });
}

/**
 * Attaches one program at many sites of one file with a single uprobe_multi link. The program must be loaded
 * with expectedAttachType TRACE_UPROBE_MULTI.
 */
export function uprobeMulti(prog: ProbeProgram, opts: UprobeMultiOptions): Link {
  checkProgramType(prog);
  const path = resolveBinary(opts.binary, opts.pid);
  let offsets: bigint[];
  if (opts.symbols !== undefined) {
    if (opts.offsets !== undefined) throw new TypeError('uprobeMulti: give symbols or offsets, not both');
    const elf = elfFor(path);
    offsets = opts.symbols.map((s) => symbolFileOffset(elf, s));
  } else if (opts.offsets !== undefined) {
    offsets = opts.offsets.map((o) => BigInt(o));
  } else {
    throw new TypeError('uprobeMulti: give symbols or offsets');
  }
  if (offsets.length === 0) throw new TypeError('uprobeMulti: no sites to attach');
  const sameLength = (what: string, a?: readonly unknown[]) => {
    if (a !== undefined && a.length !== offsets.length) {
      throw new TypeError(`uprobeMulti: ${a.length} ${what} for ${offsets.length} sites`);
    }
  };
  sameLength('cookies', opts.cookies);
  sameLength('refCtrOffsets', opts.refCtrOffsets);
  const u64s = (vs: readonly (bigint | number)[]) => BigUint64Array.from(vs, (v) => BigInt.asUintN(64, BigInt(v)));
  const pathBytes = cString(path);
  const offsetArray = u64s(offsets);
  const cookieArray = opts.cookies ? u64s(opts.cookies) : null;
  const refCtrArray = opts.refCtrOffsets ? u64s(opts.refCtrOffsets) : null;
  const kind = opts.retprobe ? 'uretprobe_multi' : 'uprobe_multi';
  const names = opts.symbols ? opts.symbols.join(',') : `${offsets.length} offsets`;
  const description = `${kind} ${path}:${names}${opts.pid !== undefined ? ` (pid ${opts.pid})` : ''}`;
  return createLink(prog.fd.value, 0, AttachType.TRACE_UPROBE_MULTI, description, {
    extra: (attr: Attr) => {
      // struct { path, offsets, ref_ctr_offsets, cookies; u32 cnt, flags, pid } uprobe_multi (at offset 16)
      attr.ptr(16, pathBytes).ptr(24, offsetArray).ptr(32, refCtrArray).ptr(40, cookieArray)
        .u32(48, offsets.length).u32(52, opts.retprobe ? UPROBE_MULTI_RETURN : 0).u32(56, opts.pid ?? 0);
    },
  });
}

/** perf_event_open on the uprobe PMU; returns the perf event fd. */
export function openUprobeEvent(
  path: string, offset: bigint,
  opts: { retprobe?: boolean; pid?: number; refCtrOffset?: bigint | number }, description: string,
): number {
  const type = pmuType('uprobe');
  if (type === undefined) throw new NotSupportedError(`${description}: this kernel has no uprobe PMU (CONFIG_UPROBE_EVENTS)`);
  let config = 0n;
  if (opts.retprobe) {
    const bit = pmuRetprobeBit('uprobe');
    if (bit === undefined) throw new NotSupportedError(`${description}: the uprobe PMU has no retprobe format bit`);
    config |= 1n << BigInt(bit);
  }
  if (opts.refCtrOffset !== undefined && BigInt(opts.refCtrOffset) !== 0n) {
    const shift = refCtrShift();
    if (shift === undefined) throw new NotSupportedError(`${description}: the uprobe PMU has no ref_ctr_offset (semaphore) support`);
    config |= BigInt(opts.refCtrOffset) << BigInt(shift);
  }
  const attr = perfEventAttr({ type, config, config1: cString(path), config2: offset });
  // A per-process event follows its threads on any cpu; a system-wide one must name a cpu, but the BPF
  // program runs wherever the probe hits.
  const pid = opts.pid ?? -1;
  return perfEventOpen(attr, pid, pid === -1 ? 0 : -1, `open ${description}`);
}

/** The first config bit of the uprobe PMU's ref_ctr_offset field ("config:32-63" → 32). */
function refCtrShift(): number | undefined {
  try {
    const m = /config:(\d+)/.exec(readFileSync('/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** File offset of a function symbol: its value minus the vaddr of the PT_LOAD segment holding it plus its offset. */
export function symbolFileOffset(elf: ElfFile, symbol: string): bigint {
  const sym = elf.findFunction(symbol);
  return elf.addressToFileOffset(sym.value);
}

/** The file offset of `symbol` in the file at `path` (after resolving bare library names). */
export function resolveUprobeOffset(binary: string, symbol: string, pid?: number): { path: string; offset: bigint } {
  const path = resolveBinary(binary, pid);
  return { path, offset: symbolFileOffset(elfFor(path), symbol) };
}

/**
 * Turns what the user wrote into an absolute file path: paths (with a '/') are made absolute; a bare library name is
 * looked up in the target's /proc/PID/maps (when a pid is given), then /etc/ld.so.cache, then the standard
 * library directories; any other bare name is searched on $PATH.
 */
export function resolveBinary(binary: string, pid?: number): string {
  if (binary.includes('/')) {
    if (!existsSync(binary)) throw new ElfError(`${binary}: no such file`);
    return resolvePath(binary);
  }
  const isLibrary = /\.so(\.|$)/.test(binary);
  if (isLibrary) {
    const found = (pid !== undefined ? fromProcMaps(binary, pid) : undefined) ?? fromLdCache(binary) ?? fromLibDirs(binary);
    if (found) return found;
    throw new ElfError(`library ${binary} not found (looked in ${pid !== undefined ? `/proc/${pid}/maps, ` : ''}/etc/ld.so.cache and ${LIB_DIRS.join(', ')})`);
  }
  // Skip wrapper scripts (pyenv shims, ...): only an ELF file can carry the symbols and notes we need.
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = join(dir || '.', binary);
    if (isFile(p) && isElf(p)) return p;
  }
  throw new ElfError(`${binary}: not a path and no ELF file of that name on $PATH`);
}

const LIB_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib'];

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isElf(p: string): boolean {
  try {
    const fd = openSync(p, 'r');
    try {
      const head = Buffer.alloc(4);
      return readSync(fd, head, 0, 4, 0) === 4 && head.toString('latin1') === '\x7fELF';
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

function fromProcMaps(lib: string, pid: number): string | undefined {
  let maps: string;
  try {
    maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of maps.split('\n')) {
    const path = line.split(/\s+/, 6)[5];
    if (path && isAbsolute(path) && (path.endsWith(`/${lib}`) || baseStartsWithLib(path, lib))) {
      // Read it through the process's root so a library inside a container resolves to the same inode.
      const viaRoot = `/proc/${pid}/root${path}`;
      return isFile(path) ? path : isFile(viaRoot) ? viaRoot : undefined;
    }
  }
  return undefined;
}

/** "libc.so" matches a mapped "libc.so.6", as the dynamic loader's soname would. */
function baseStartsWithLib(path: string, lib: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.startsWith(`${lib}.`);
}

/** Looks a library name up in glibc's /etc/ld.so.cache (new "glibc-ld.so.cache1.1" format), x86_64 entries only. */
export function fromLdCache(lib: string, cachePath = '/etc/ld.so.cache'): string | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(cachePath);
  } catch {
    return undefined;
  }
  for (const entry of parseLdCache(bytes)) {
    if (entry.name === lib && isFile(entry.path)) return entry.path;
  }
  return undefined;
}

const LD_CACHE_MAGIC = 'glibc-ld.so.cache1.1';
const LD_CACHE_X86_64_LIBC6 = 0x0303; // FLAG_ELF_LIBC6 | FLAG_X8664_LIB64

/** Entries of a glibc ld.so.cache ({name, path}), 64-bit x86 libraries only. Pure. */
export function parseLdCache(bytes: Uint8Array): Array<{ name: string; path: string }> {
  // An old-format ("ld.so-1.7.0") table may come first; the new table then starts after it, 8-byte aligned.
  let base = 0;
  const text = (from: number, len: number) => Buffer.from(bytes.buffer, bytes.byteOffset + from, len).toString('latin1');
  if (bytes.length >= 16 && text(0, 11) === 'ld.so-1.7.0') {
    const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
    base = (16 + n * 12 + 7) & ~7;
  }
  if (bytes.length < base + 48 || text(base, LD_CACHE_MAGIC.length) !== LD_CACHE_MAGIC) return [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = v.getUint32(base + 20, true);
  const cstr = (off: number) => {
    if (off >= bytes.length) return '';
    let end = off;
    while (end < bytes.length && bytes[end] !== 0) end++;
    return text(off, end - off);
  };
  const out: Array<{ name: string; path: string }> = [];
  for (let i = 0; i < count; i++) {
    const e = base + 48 + i * 24;
    if (e + 24 > bytes.length) break;
    if ((v.getInt32(e, true) & 0xffff) !== LD_CACHE_X86_64_LIBC6) continue;
    // String offsets in the new format are relative to the start of the new-format header.
    out.push({ name: cstr(base + v.getUint32(e + 4, true)), path: cstr(base + v.getUint32(e + 8, true)) });
  }
  return out;
}

function fromLibDirs(lib: string): string | undefined {
  for (const dir of LIB_DIRS) {
    const p = join(dir, lib);
    if (isFile(p)) return p;
  }
  return undefined;
}

/** Parsed ELF files, keyed by path and checked against size and mtime (libc is read once per process). */
const elfCache = new Map<string, { key: string; elf: ElfFile }>();

export function elfFor(path: string): ElfFile {
  const st = statSync(path);
  const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  const hit = elfCache.get(path);
  if (hit && hit.key === key) return hit.elf;
  const elf = readElfFile(path);
  if (elfCache.size > 16) elfCache.clear();
  elfCache.set(path, { key, elf });
  return elf;
}

function requireOffset(offset: bigint | number | undefined): bigint {
  if (offset === undefined) throw new TypeError('uprobe: give a symbol or a file offset');
  const o = BigInt(offset);
  if (o < 0n) throw new RangeError(`uprobe: negative offset ${o}`);
  return o;
}

function checkProgramType(prog: ProbeProgram): void {
  if (prog.type !== undefined && prog.type !== ProgType.KPROBE) {
    throw new TypeError(`uprobes run KPROBE programs; '${prog.name ?? 'program'}' is ${ProgType[prog.type] ?? prog.type}`);
  }
}
