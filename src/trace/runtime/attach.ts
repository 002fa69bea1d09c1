// Attaching one compiled probe to its hook. BEGIN/END are not attached: the runtime test-runs them.
import { attachToPerfEvent, perfEvent } from '../../kernel/attach/perf-event.js';
import { tracepointId } from '../../kernel/attach/tracepoint.js';
import { onlineCpus } from '../../kernel/cpus.js';
import type { Program } from '../../kernel/program.js';
import { PERF } from '../../sys/constants.js';
import { native } from '../../sys/native.js';
import { perfEventAttr, perfEventOpen } from '../../sys/perf.js';
import type { AttachSpec } from '../compiled.js';

/** Something attached that detaches when closed (a Link, or one link per CPU). */
export interface Attachment {
  close(): void;
  /**
   * File descriptors still open after close() whose release is slow in the kernel (a tracepoint perf event's last
   * close waits for an RCU grace period under a global mutex: ~40-70 ms each). The program no longer runs on them;
   * the owner releases them once output is done (see releaseFds).
   */
  lingering?: number[];
  /**
   * Closes this process's handles without the slow kernel teardown and returns fds that keep the attachment alive
   * (the caller hands them to releaseFds). Only right when the program no longer acts by other means (the
   * script's stop switch is set).
   */
  abandon?(): number[];
}

export interface AttachOptions {
  /** -p PID: uprobes and USDT probes only in this process. */
  pid?: number;
}

/** perf software event names bpftrace accepts (long and short forms) → PERF_COUNT_SW_* config. */
export const SOFTWARE_EVENTS: Record<string, number> = {
  'cpu-clock': 0, cpu: 0,
  'task-clock': 1,
  'page-faults': 2, faults: 2,
  'context-switches': 3, cs: 3,
  'cpu-migrations': 4, migrations: 4,
  'minor-faults': 5,
  'major-faults': 6,
  'alignment-faults': 7,
  'emulation-faults': 8,
  dummy: 9,
  'bpf-output': 10,
};

// uprobe/USDT support pulls in the ELF readers: loaded only for scripts that use them (start-up time).
let uprobes: typeof import('../../kernel/attach/uprobe.js') | undefined;
let usdts: typeof import('../../kernel/attach/usdt.js') | undefined;

/** Loads the attach code the given probes need; call (and await) before attachProbe. */
export async function prepareAttach(specs: readonly AttachSpec[]): Promise<void> {
  if (specs.some((s) => s.provider === 'uprobe' || s.provider === 'uretprobe')) uprobes ??= await import('../../kernel/attach/uprobe.js');
  if (specs.some((s) => s.provider === 'usdt')) usdts ??= await import('../../kernel/attach/usdt.js');
}

function loaded<T>(module: T | undefined, provider: string): T {
  if (!module) throw new Error(`internal: ${provider} support not loaded (call prepareAttach first)`);
  return module;
}

export function attachProbe(prog: Program, spec: AttachSpec, opts: AttachOptions = {}): Attachment {
  switch (spec.provider) {
    case 'BEGIN':
    case 'END':
      throw new TypeError(`${spec.provider} probes are run by the runtime, not attached`);
    case 'tracepoint':
      return attachTracepoint(prog, spec.category, spec.name);
    case 'profile':
      // cpu-clock counts nanoseconds, so a period in ns is the sample period.
      return spec.frequencyHz !== undefined
        ? perfEvent(prog, { frequency: spec.frequencyHz })
        : perfEvent(prog, { period: BigInt(spec.periodNs ?? 0) });
    case 'interval':
      // One timer for the whole machine: bpftrace uses a cpu-clock event on a single CPU.
      return perfEvent(prog, { period: BigInt(spec.periodNs), cpus: [onlineCpus()[0] ?? 0] });
    case 'software': {
      const config = SOFTWARE_EVENTS[spec.event];
      if (config === undefined) throw new TypeError(`unknown software event '${spec.event}'`);
      return perfEvent(prog, { type: PERF.TYPE_SOFTWARE, config, period: BigInt(spec.period) });
    }
    case 'uprobe':
    case 'uretprobe': {
      const pid = spec.pid ?? opts.pid;
      return loaded(uprobes, spec.provider).uprobe(prog, {
        binary: spec.binary, symbol: spec.symbol, retprobe: spec.provider === 'uretprobe',
        ...(pid !== undefined ? { pid } : {}),
      });
    }
    case 'usdt': {
      const pid = spec.pid ?? opts.pid;
      return loaded(usdts, 'usdt').usdt(prog, { binary: spec.binary, provider: spec.provider_, name: spec.name, ...(pid !== undefined ? { pid } : {}) });
    }
  }
}

const SYS_fcntl = 72;
const F_DUPFD_CLOEXEC = 1030;

/**
 * A tracepoint attachment whose perf event outlives the link: closing the link detaches the program at once, and
 * the perf event's slow final release is left to the caller (Attachment.lingering).
 */
export function attachTracepoint(prog: Program, category: string, name: string): Attachment {
  const id = tracepointId(category, name);
  const description = `tracepoint ${category}:${name}`;
  const attr = perfEventAttr({ type: PERF.TYPE_TRACEPOINT, config: id, sample: 1, wakeupEvents: 1 });
  const fd = perfEventOpen(attr, -1, 0, `open ${description}`);
  const keep = native.syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0);
  if (keep < 0) {
    native.syscall(SYS_close, fd);
    throw new Error(`${description}: cannot duplicate the perf event fd (errno ${-keep})`);
  }
  try {
    const link = attachToPerfEvent(prog, fd, description);
    const attachment: Attachment = {
      close: () => link.close(),
      lingering: [keep],
      abandon: () => {
        const linkFd = link.fd && !link.fd.closed ? native.syscall(SYS_fcntl, link.fd.value, F_DUPFD_CLOEXEC, 0) : -1;
        link.close();
        return linkFd >= 0 ? [linkFd, keep] : [keep];
      },
    };
    return attachment;
  } catch (err) {
    native.syscall(SYS_close, keep);
    throw err;
  }
}

const SYS_close = 3;
