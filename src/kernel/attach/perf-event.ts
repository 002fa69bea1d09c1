// Programs on perf events: the common "attach a program to a perf event fd" step (a perf_event bpf_link, or the
// PERF_EVENT_IOC_SET_BPF ioctl on kernels without perf links), and software sampling on every CPU (profile:hz).
import { AttachType, PERF, ProgType } from '../../sys/constants.js';
import { Errno, errnoName } from '../../sys/errno.js';
import { errorFromErrno, NotSupportedError } from '../../sys/errors.js';
import { ioctl, perfEventAttr, perfEventOpen } from '../../sys/perf.js';
import { onlineCpus } from '../cpus.js';
import { FileDescriptor } from '../fd.js';
import { createLink, Link } from '../link.js';
import { features } from '../features.js';

/** A loaded program as attach functions need it (a Program fits). */
export interface AttachableProgram {
  readonly fd: { readonly value: number };
  readonly type?: ProgType;
  readonly name?: string;
}

/**
 * Attaches `prog` to an open perf event and takes ownership of `perfFd` (closed with the link, or at once on
 * failure). Uses a perf_event bpf_link when the kernel has them, else SET_BPF + ENABLE on the event itself.
 */
export function attachToPerfEvent(
  prog: AttachableProgram, perfFd: number, description: string, cookie: bigint | number = 0, forceIoctl = false,
): Link {
  const held = new FileDescriptor(perfFd, `perf event (${description})`);
  if (!forceIoctl && features.perfLinks()) {
    return createLink(prog.fd.value, perfFd, AttachType.PERF_EVENT, description, {
      extra: (attr) => attr.u64(16, BigInt.asUintN(64, BigInt(cookie))),
      held: [held],
    });
  }
  // Legacy path: the program lives on the event until the event's fd is closed.
  for (const [request, arg, step] of [[PERF.IOC_SET_BPF, prog.fd.value, 'set program'], [PERF.IOC_ENABLE, 0, 'enable']] as const) {
    const r = ioctl(perfFd, request, arg);
    if (r < 0) {
      held.close();
      throw errorFromErrno(-r, `attach ${description} (perf event ioctl: ${step})`);
    }
  }
  return new Link(null, description, [held], () => void ioctl(perfFd, PERF.IOC_DISABLE, 0));
}

export interface PerfSamplingOptions {
  /** Samples per second per CPU (profile:hz). Give this or `period`. */
  frequency?: number;
  /** Events between samples (for cpu-clock: nanoseconds). */
  period?: number | bigint;
  /** Only this process (followed across CPUs); default: everything on every online CPU. */
  pid?: number;
  /** CPUs to sample when no pid is given; default: every online CPU. */
  cpus?: readonly number[];
  /** perf event type and config; default software cpu-clock. */
  type?: number;
  config?: number | bigint;
  cookie?: bigint | number;
}

/** One link per CPU (or one for a pid), disposed together. */
export class PerfEventLinks implements Disposable {
  constructor(readonly links: readonly Link[], readonly description: string) {}

  get closed(): boolean {
    return this.links.every((l) => l.closed);
  }

  close(): void {
    closeAll(this.links);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Attaches a PERF_EVENT program to sampling events: by default cpu-clock on every online CPU. */
export function perfEvent(prog: AttachableProgram, opts: PerfSamplingOptions): PerfEventLinks {
  if (prog.type !== undefined && prog.type !== ProgType.PERF_EVENT) {
    throw new TypeError(`perf event sampling runs PERF_EVENT programs; '${prog.name ?? 'program'}' is ${ProgType[prog.type] ?? prog.type}`);
  }
  if ((opts.frequency === undefined) === (opts.period === undefined)) {
    throw new TypeError('perfEvent: give exactly one of frequency (Hz) or period');
  }
  const rate = opts.frequency ?? opts.period!;
  if (typeof rate === 'number' && (!Number.isInteger(rate) || rate <= 0)) throw new RangeError(`perfEvent: bad rate ${rate}`);
  const type = opts.type ?? PERF.TYPE_SOFTWARE;
  const config = opts.config ?? PERF.COUNT_SW_CPU_CLOCK;
  const attr = perfEventAttr({ type, config, sample: rate, freq: opts.frequency !== undefined });
  const rateText = opts.frequency !== undefined ? `${opts.frequency} Hz` : `period ${opts.period}`;
  const kind = type === PERF.TYPE_SOFTWARE && Number(config) === PERF.COUNT_SW_CPU_CLOCK ? 'cpu-clock' : `perf ${type}:${config}`;
  // A pid-bound event follows its task across CPUs (cpu -1); otherwise one event per CPU.
  const targets = opts.pid !== undefined ? [{ pid: opts.pid, cpu: -1 }] : (opts.cpus ?? onlineCpus()).map((cpu) => ({ pid: -1, cpu }));
  const description = `${kind} at ${rateText}${opts.pid !== undefined ? ` for pid ${opts.pid}` : ''}`;
  const links: Link[] = [];
  try {
    for (const { pid, cpu } of targets) {
      const where = pid === -1 ? `${description} on cpu ${cpu}` : description;
      const fd = openSampling(attr, pid, cpu, where);
      links.push(attachToPerfEvent(prog, fd, where, opts.cookie));
    }
  } catch (err) {
    closeAll(links);
    throw err;
  }
  return new PerfEventLinks(links, description);
}

function openSampling(attr: ReturnType<typeof perfEventAttr>, pid: number, cpu: number, what: string): number {
  try {
    return perfEventOpen(attr, pid, cpu, `open ${what}`);
  } catch (err) {
    const errno = (err as { errno?: number }).errno;
    if (errno === Errno.ENOENT || errno === Errno.EOPNOTSUPP) {
      throw new NotSupportedError(`open ${what}: this machine has no such perf event (${errnoName(errno)}); virtual machines usually lack hardware counters`, errno);
    }
    throw err;
  }
}

/** Closes every link even if one throws; rethrows the first failure. */
export function closeAll(links: Iterable<{ close(): void }>): void {
  let first: unknown;
  for (const l of links) {
    try {
      l.close();
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}
