// Attaching one compiled probe to its hook. BEGIN/END are not attached: the runtime test-runs them.
import { perfEvent } from '../../kernel/attach/perf-event.js';
import { tracepoint } from '../../kernel/attach/tracepoint.js';
import { uprobe } from '../../kernel/attach/uprobe.js';
import { usdt } from '../../kernel/attach/usdt.js';
import { onlineCpus } from '../../kernel/cpus.js';
import type { Program } from '../../kernel/program.js';
import { PERF } from '../../sys/constants.js';
import type { AttachSpec } from '../compiled.js';

/** Something attached that detaches when closed (a Link, or one link per CPU). */
export interface Attachment {
  close(): void;
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

export function attachProbe(prog: Program, spec: AttachSpec, opts: AttachOptions = {}): Attachment {
  switch (spec.provider) {
    case 'BEGIN':
    case 'END':
      throw new TypeError(`${spec.provider} probes are run by the runtime, not attached`);
    case 'tracepoint':
      return tracepoint(prog, spec.category, spec.name);
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
      return uprobe(prog, {
        binary: spec.binary, symbol: spec.symbol, retprobe: spec.provider === 'uretprobe',
        ...(pid !== undefined ? { pid } : {}),
      });
    }
    case 'usdt': {
      const pid = spec.pid ?? opts.pid;
      return usdt(prog, { binary: spec.binary, provider: spec.provider_, name: spec.name, ...(pid !== undefined ? { pid } : {}) });
    }
  }
}
