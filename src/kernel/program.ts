// A loaded BPF program: verifier log captured and made readable on failure, test runs, info, pinning.
import { formatInstruction } from '../isa/disasm.js';
import { encode, slots, type Instruction } from '../isa/instruction.js';
import { isWide, PseudoLoad } from '../isa/opcodes.js';
import type { ProgramSpec } from '../spec/collection.js';
import { bpf, bpfRaw, progLoadAttr, testRunAttr } from '../sys/bpf.js';
import { BpfCmd, ProgType } from '../sys/constants.js';
import { Errno } from '../sys/errno.js';
import { BpfError, errorFromErrno, NotSupportedError, PermissionError } from '../sys/errors.js';
import { FileDescriptor } from './fd.js';
import { programInfo, programXlated, type ProgramInfo } from './info.js';
import { sanitizeName } from './map.js';
import { openPinned, pinObject } from './pin.js';

/** Anything with a map fd: a BpfMap, or a bare number. */
export type MapRef = { fd: { value: number } } | number;

export interface LoadOptions {
  /** Maps that instructions reference by name (lddw with `reference`). */
  maps?: Record<string, MapRef> | Map<string, MapRef>;
  /** 0: log only on failure (default). 1: verbose. 2: very verbose. 4: statistics only. */
  logLevel?: number;
  /** Initial verifier log buffer size in bytes. */
  logSize?: number;
  /** Program BTF (clang-built objects): a loaded BTF fd plus kernel-format func_info/line_info records. */
  btf?: ProgramBtf;
}

export interface ProgramBtf {
  fd: number;
  /** 8-byte records {insn, type_id}. */
  funcInfo?: Uint8Array;
  /** 16-byte records {insn, file_name_off, line_off, line_col}. */
  lineInfo?: Uint8Array;
}

export interface TestRunOptions {
  data?: Uint8Array;
  /** Room for the packet the program leaves (defaults to data's length + 256 when data is given). */
  dataOutSize?: number;
  ctx?: Uint8Array;
  ctxOutSize?: number;
  repeat?: number;
  flags?: number;
  cpu?: number;
}

export interface TestRunResult {
  retval: number;
  /** Mean run time per repetition, in ns, as the kernel measured it. */
  durationNs: number;
  dataOut?: Uint8Array;
  ctxOut?: Uint8Array;
}

/** The verifier (or the loader before it) rejected the program. */
export class VerifierError extends BpfError {
  override name = 'VerifierError';
  constructor(
    message: string,
    errno: number,
    readonly log: string,
    /** Index into the spec's instructions of the instruction the verifier stopped at, when known. */
    readonly instructionIndex?: number,
  ) {
    super(message, errno);
  }
}

export class Program implements Disposable {
  /** Verifier log of a successful load when a log level was asked for (statistics, verbose trace). */
  readonly log: string;

  private constructor(
    readonly fd: FileDescriptor,
    readonly name: string,
    readonly type: ProgType,
    log = '',
  ) {
    this.log = log;
  }

  static load(spec: ProgramSpec, opts: LoadOptions = {}): Program {
    const insns = resolveMapReferences(spec, opts.maps);
    const bytecode = encode(insns);
    const attrFor = (logBuf?: Uint8Array, logLevel = 0) => progLoadAttr({
      progType: spec.type, insns: bytecode, license: spec.license, name: sanitizeName(spec.name),
      expectedAttachType: spec.expectedAttachType ?? 0, attachBtfId: spec.attachBtfId ?? 0,
      flags: spec.flags ?? 0, kernVersion: spec.kernelVersion ?? 0,
      ...(logBuf ? { logBuf, logLevel } : {}),
      ...(opts.btf ? btfAttr(opts.btf) : {}),
    });
    const what = `load program '${spec.name}' (${ProgType[spec.type] ?? spec.type})`;
    const wantLog = (opts.logLevel ?? 0) > 0;
    let logBuf = wantLog ? new Uint8Array(opts.logSize ?? 1 << 20) : undefined;
    let attr = attrFor(logBuf, opts.logLevel);
    let fd = bpfRaw(BpfCmd.PROG_LOAD, attr);
    // The verifier answers EAGAIN when interrupted (e.g. by a signal); libbpf retries, and so do we.
    for (let tries = 0; fd === -Errno.EAGAIN && tries < 5; tries++) fd = bpfRaw(BpfCmd.PROG_LOAD, attr);
    // On failure, load again with a log so the error can say why; grow the buffer until the log fits.
    for (let tries = 0; fd < 0 && isVerifierErrno(-fd) && tries < 4; tries++) {
      const needed = logBuf ? attr.getU32(140) : 0;
      const size = Math.max(needed + 1, logBuf ? logBuf.byteLength * 4 : opts.logSize ?? 1 << 20);
      logBuf = new Uint8Array(Math.min(size, 1 << 30));
      attr = attrFor(logBuf, wantLog ? opts.logLevel : 1);
      fd = bpfRaw(BpfCmd.PROG_LOAD, attr);
      if (fd !== -Errno.ENOSPC) break;
    }
    const log = logBuf ? decodeLog(logBuf) : '';
    if (fd < 0) throw loadError(-fd, what, log, insns, spec.type);
    return new Program(new FileDescriptor(fd, `program ${spec.name}`), spec.name, spec.type, log);
  }

  /** Opens a pinned program. */
  static fromPin(path: string): Program {
    const fd = openPinned(path);
    const owned = new FileDescriptor(fd, `program ${path}`);
    const info = programInfo(fd);
    return new Program(owned, info.name, info.type);
  }

  /** Runs the program once (or `repeat` times) on the given input with BPF_PROG_TEST_RUN. */
  testRun(opts: TestRunOptions = {}): TestRunResult {
    const dataOut = opts.data ? new Uint8Array(opts.dataOutSize ?? opts.data.byteLength + 256) : undefined;
    // SYSCALL programs write the context back in place; they and raw tracepoints refuse a separate ctx_out.
    const inPlace = this.type === ProgType.SYSCALL || this.type === ProgType.RAW_TRACEPOINT;
    const ctxOut = !inPlace && (opts.ctx || opts.ctxOutSize) ? new Uint8Array(opts.ctxOutSize ?? opts.ctx!.byteLength) : undefined;
    const attr = testRunAttr({
      progFd: this.fd.value, dataIn: opts.data, dataOut, ctxIn: opts.ctx, ctxOut, repeat: opts.repeat ?? 0,
      flags: opts.flags ?? 0, cpu: opts.cpu ?? 0,
    });
    const r = bpfRaw(BpfCmd.PROG_TEST_RUN, attr);
    if (r < 0) {
      if (-r === Errno.ENOTSUPP || -r === Errno.EOPNOTSUPP) {
        throw new NotSupportedError(`test run of program '${this.name}': ${ProgType[this.type]} programs cannot be test-run on this kernel`, -r);
      }
      throw errorFromErrno(-r, `test run of program '${this.name}'`);
    }
    const result: TestRunResult = { retval: attr.getU32(4), durationNs: attr.getU32(36) };
    if (dataOut) result.dataOut = dataOut.subarray(0, attr.getU32(12));
    if (ctxOut) result.ctxOut = ctxOut.subarray(0, attr.getU32(44));
    else if (inPlace && opts.ctx) result.ctxOut = opts.ctx;
    return result;
  }

  info(): ProgramInfo {
    return programInfo(this.fd.value);
  }

  /** Instructions after the kernel's rewrites, as `bpftool prog dump xlated` shows them. */
  xlated(): Uint8Array {
    return programXlated(this.fd.value);
  }

  pin(path: string): void {
    pinObject(this.fd.value, path, `pin program '${this.name}'`);
  }

  close(): void {
    this.fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function btfAttr(b: ProgramBtf) {
  return {
    btfFd: b.fd,
    ...(b.funcInfo?.byteLength ? { funcInfoRecSize: 8, funcInfo: b.funcInfo, funcInfoCnt: b.funcInfo.byteLength / 8 } : {}),
    ...(b.lineInfo?.byteLength ? { lineInfoRecSize: 16, lineInfo: b.lineInfo, lineInfoCnt: b.lineInfo.byteLength / 16 } : {}),
  };
}

function isVerifierErrno(errno: number): boolean {
  return errno === Errno.EACCES || errno === Errno.EINVAL || errno === Errno.E2BIG || errno === Errno.ENOSPC
    || errno === Errno.EPERM || errno === Errno.EFAULT;
}

function decodeLog(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(buf.subarray(0, end < 0 ? buf.length : end)).trimEnd();
}

/** Patches lddw instructions that name a map with that map's fd. */
function resolveMapReferences(spec: ProgramSpec, maps: LoadOptions['maps']): Instruction[] {
  const lookup = (name: string): MapRef | undefined => (maps instanceof Map ? maps.get(name) : maps?.[name]);
  return spec.instructions.map((insn) => {
    if (!isWide(insn.opcode) || insn.reference === undefined) return insn;
    if (insn.src !== PseudoLoad.MAP_FD && insn.src !== PseudoLoad.MAP_VALUE) return insn;
    const map = lookup(insn.reference);
    if (map === undefined) {
      throw new BpfError(`load program '${spec.name}': instruction refers to map '${insn.reference}', which was not given`);
    }
    const fd = typeof map === 'number' ? map : map.fd.value;
    const high = insn.src === PseudoLoad.MAP_VALUE ? BigInt.asUintN(32, (insn.constant ?? 0n) >> 32n) : 0n;
    return { ...insn, imm: fd, constant: (high << 32n) | BigInt(fd) };
  });
}

/** Builds the error for a failed load: the verifier's own words, the instruction it stopped at, its source. */
function loadError(errno: number, what: string, log: string, insns: Instruction[], type: ProgType): BpfError {
  if (errno === Errno.EPERM && log === '' && process.getuid?.() !== 0) return errorFromErrno(errno, what);
  if (errno === Errno.EPERM && log === '' && (type === ProgType.TRACING || type === ProgType.LSM || type === ProgType.EXT)) {
    return new NotSupportedError(`${what}: this kernel refuses ${ProgType[type]} programs (function trampolines are disabled); use a tracepoint, raw_tp or tp_btf instead`, errno);
  }
  if (errno === Errno.EINVAL && log === '') {
    return new NotSupportedError(`${what}: rejected without a verifier log (program type or attach type not supported by this kernel?)`, errno);
  }
  const lines = log.split('\n');
  const slotIndex = lastInstructionSlot(lines);
  const index = slotIndex === undefined ? undefined : instructionAtSlot(insns, slotIndex);
  const reason = lines.filter((l) => l && !/^\d+: /.test(l) && !l.startsWith('processed ') && !l.startsWith('from ')
    && !l.startsWith(';')).slice(-3).join('\n  ');
  const parts = [`${what}: the verifier rejected it (${errnoWord(errno)})`];
  if (reason) parts.push(`  ${reason}`);
  if (index !== undefined && insns[index]) {
    const insn = insns[index]!;
    parts.push(`  at instruction ${slotIndex}: ${formatInstruction(insn)}`);
    if (insn.source) {
      const src = insn.source;
      parts.push(`  from ${src.file ? src.file + ':' : 'line '}${src.line}${src.column ? ':' + src.column : ''}${src.text ? ': ' + src.text.trim() : ''}`);
    }
  }
  parts.push('  (the full verifier log is in the error\'s `log` property)');
  const err = new VerifierError(parts.join('\n'), errno, log, index);
  return err;
}

function errnoWord(errno: number): string {
  return Object.entries(Errno).find(([, v]) => v === errno)?.[0] ?? `errno ${errno}`;
}

/** The slot index of the last instruction the verifier printed before giving up. */
function lastInstructionSlot(lines: string[]): number | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^(\d+): \([0-9a-f]{2}\)/.exec(lines[i]!);
    if (m) return Number(m[1]);
  }
  return undefined;
}

function instructionAtSlot(insns: Instruction[], slot: number): number | undefined {
  let s = 0;
  for (let i = 0; i < insns.length; i++) {
    if (s === slot) return i;
    s += slots(insns[i]!);
    if (s > slot) return i;
  }
  return undefined;
}

export { PermissionError };
