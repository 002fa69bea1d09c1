// Kernel probes: kprobe/kretprobe through the "kprobe" perf PMU (or, on older kernels, a tracefs kprobe_events
// entry opened as a tracepoint), and kprobe_multi links (fprobe). Programs are KPROBE programs (ctx = pt_regs).
// Kernels built without CONFIG_KPROBES or CONFIG_FPROBE get a NotSupportedError that says so before any attempt.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { cString } from '../../sys/attr.js';
import { native } from '../../sys/native.js';
import { AttachType, PERF, ProgType } from '../../sys/constants.js';
import { Errno } from '../../sys/errno.js';
import { BpfError, NotSupportedError } from '../../sys/errors.js';
import { perfEventAttr, perfEventOpen, pmuRetprobeBit, pmuType } from '../../sys/perf.js';
import { features } from '../features.js';
import { createLink, Link } from '../link.js';
import { ensureTracefs } from '../mounts.js';
import { attachToPerfEvent, type AttachableProgram } from './perf-event.js';
import { FunctionNotFoundError } from './tracing.js';

export interface KprobeOptions {
  /** Bytes past the function's start. */
  offset?: number | bigint;
  /** Fire on return (kretprobe). */
  retprobe?: boolean;
  cookie?: bigint | number;
}

export interface KprobeMultiOptions {
  /** Kernel function names; or give `addresses`. */
  symbols?: readonly string[];
  addresses?: readonly bigint[];
  /** One per site, read with bpf_get_attach_cookie(). */
  cookies?: readonly (bigint | number)[];
  retprobe?: boolean;
}

const KPROBE_MULTI_RETURN = 1;

export const NO_KPROBES_MESSAGE = 'this kernel has no kprobes (CONFIG_KPROBES is off): use a tracepoint, raw_tp or tp_btf instead';
export const NO_FPROBE_MESSAGE = 'this kernel has no fprobe (CONFIG_FPROBE is off), which kprobe_multi links need: attach kprobes one by one, or use tracepoints';

/** Attaches a KPROBE program at kernel function `func` (+offset); a kretprobe with {retprobe: true}. */
export function kprobe(prog: AttachableProgram, func: string, opts: KprobeOptions = {}): Link {
  checkKprobeProgram(prog, func);
  if (!/^[A-Za-z0-9_.]+$/.test(func)) throw new TypeError(`kprobe: '${func}' is not a kernel function name`);
  const kind = opts.retprobe ? 'kretprobe' : 'kprobe';
  const description = `${kind} ${func}${opts.offset ? `+${opts.offset}` : ''}`;
  if (!features.kprobes()) throw new NotSupportedError(`attach ${description}: ${NO_KPROBES_MESSAGE}`, Errno.ENOENT);
  const type = pmuType('kprobe');
  if (type !== undefined) {
    const bit = pmuRetprobeBit('kprobe') ?? 0;
    const attr = perfEventAttr({
      type, config: opts.retprobe ? 1n << BigInt(bit) : 0n, config1: cString(func), config2: opts.offset ?? 0,
      sample: 1, wakeupEvents: 1,
    });
    const fd = openKprobe(() => perfEventOpen(attr, -1, 0, `open ${description}`), func);
    return attachToPerfEvent(prog, fd, description, opts.cookie);
  }
  return tracefsKprobe(prog, func, opts, description);
}

export function kretprobe(prog: AttachableProgram, func: string, opts: Omit<KprobeOptions, 'retprobe'> = {}): Link {
  return kprobe(prog, func, { ...opts, retprobe: true });
}

let tracefsProbeCounter = 0;

/** Older kernels: define the probe in tracefs kprobe_events, open it as a tracepoint, delete it on close. */
function tracefsKprobe(prog: AttachableProgram, func: string, opts: KprobeOptions, description: string): Link {
  const root = ensureTracefs();
  const event = `bpfkit_${process.pid}_${tracefsProbeCounter++}_${func.replace(/\./g, '_')}`.slice(0, 63);
  const spec = `${opts.retprobe ? 'r' : 'p'}:bpfkit/${event} ${func}${opts.offset ? `+${opts.offset}` : ''}`;
  try {
    appendFileSync(`${root}/kprobe_events`, spec + '\n');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EINVAL') {
      throw new FunctionNotFoundError(`attach ${description}: the kernel cannot probe '${func}' (unknown or not traceable)`, Errno.ENOENT);
    }
    throw err;
  }
  const remove = () => appendFileSync(`${root}/kprobe_events`, `-:bpfkit/${event}\n`);
  let inner: Link;
  try {
    const id = Number(readFileSync(`${root}/events/bpfkit/${event}/id`, 'utf8').trim());
    const attr = perfEventAttr({ type: PERF.TYPE_TRACEPOINT, config: id, sample: 1, wakeupEvents: 1 });
    inner = attachToPerfEvent(prog, perfEventOpen(attr, -1, 0, `open ${description}`), description, opts.cookie);
  } catch (err) {
    remove();
    throw err;
  }
  // The event can only be deleted once its perf fd is closed, so close the inner link first.
  return new Link(null, description, [], () => {
    try {
      inner.close();
    } finally {
      remove();
    }
  });
}

/**
 * Attaches a KPROBE program (loaded with expectedAttachType TRACE_KPROBE_MULTI) to many functions at once
 * with one kprobe_multi link.
 */
export function kprobeMulti(prog: AttachableProgram, opts: KprobeMultiOptions): Link {
  checkKprobeProgram(prog, 'kprobe_multi');
  const count = opts.symbols?.length ?? opts.addresses?.length ?? 0;
  if ((opts.symbols === undefined) === (opts.addresses === undefined) || count === 0) {
    throw new TypeError('kprobeMulti: give a non-empty list of symbols or of addresses (not both)');
  }
  if (opts.cookies && opts.cookies.length !== count) throw new RangeError(`kprobeMulti: ${opts.cookies.length} cookies for ${count} sites`);
  const description = `kprobe_multi${opts.retprobe ? ' (return)' : ''} ${opts.symbols ? opts.symbols.slice(0, 3).join(',') : `${count} addresses`}${count > 3 ? ',…' : ''}`;
  if (!features.kprobeMulti()) throw new NotSupportedError(`attach ${description}: ${NO_FPROBE_MESSAGE}`, Errno.EOPNOTSUPP);
  const names = opts.symbols?.map((s) => cString(s));
  const symPtrs = names ? u64Array(names.map((n) => addressOf(n))) : undefined;
  const addrs = opts.addresses ? u64Array(opts.addresses) : undefined;
  const cookies = opts.cookies ? u64Array(opts.cookies.map((c) => BigInt.asUintN(64, BigInt(c)))) : undefined;
  return createLink(prog.fd.value, 0, AttachType.TRACE_KPROBE_MULTI, description, {
    extra: (a) => {
      a.u32(16, opts.retprobe ? KPROBE_MULTI_RETURN : 0).u32(20, count).ptr(24, symPtrs).ptr(32, addrs).ptr(40, cookies);
      a.hold(...(names ?? []));
    },
  });
}

function u64Array(values: readonly bigint[]): BigUint64Array {
  return BigUint64Array.from(values);
}

function addressOf(buf: Uint8Array): bigint {
  return native.addressOf(buf);
}

function checkKprobeProgram(prog: AttachableProgram, what: string): void {
  if (prog.type !== undefined && prog.type !== ProgType.KPROBE) {
    throw new TypeError(`${what}: kprobes run KPROBE programs; '${prog.name ?? 'program'}' is ${ProgType[prog.type] ?? prog.type}`);
  }
}

function openKprobe(open: () => number, func: string): number {
  try {
    return open();
  } catch (err) {
    if (err instanceof BpfError && (err.errno === Errno.ENOENT || err.errno === Errno.EINVAL)) {
      throw new FunctionNotFoundError(`${err.message} (is '${func}' a traceable kernel function? see /proc/kallsyms)`, err.errno);
    }
    throw err;
  }
}

/** True when tracefs offers kprobe_events (the legacy probe interface). */
export function hasTracefsKprobes(): boolean {
  try {
    return existsSync(`${ensureTracefs()}/kprobe_events`);
  } catch {
    return false;
  }
}
