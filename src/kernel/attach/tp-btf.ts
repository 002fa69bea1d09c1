// BTF-typed raw tracepoints (tp_btf): a TRACING program whose attach_btf_id names the typedef btf_trace_<event>,
// so the verifier knows each argument's type and the program can read them directly.
import { rememberBtf } from '../../btf/vmlinux-cache.js';
import { BtfKind, vmlinuxNames } from '../../btf/vmlinux-names.js';
import { AttachType, ProgType } from '../../sys/constants.js';
import { Errno } from '../../sys/errno.js';
import { NotSupportedError } from '../../sys/errors.js';
import type { Link } from '../link.js';
import type { AttachableProgram } from './perf-event.js';
import { TracepointNotFoundError } from './tracepoint.js';
import { attachTracing } from './tracing.js';

/** The ProgramSpec fields a tp_btf program needs: spread them into the spec before Program.load. */
export interface TracingTarget {
  type: ProgType;
  expectedAttachType: AttachType;
  attachBtfId: number;
  attachTo: string;
}

/** Spec fields for a tp_btf program on the raw tracepoint `event` (e.g. 'sched_process_exec'). */
export function tpBtfTarget(event: string): TracingTarget {
  const id = rememberBtf(`typedef:btf_trace_${event}`, () => vmlinuxNames()?.find(BtfKind.TYPEDEF, `btf_trace_${event}`));
  if (id === undefined && !vmlinuxNames()) throw new NotSupportedError(`tp_btf/${event}: this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing)`, Errno.ENOENT);
  if (id === undefined) throw new TracepointNotFoundError(`tp_btf/${event}: this kernel has no raw tracepoint '${event}' (no BTF typedef btf_trace_${event})`, Errno.ENOENT);
  return { type: ProgType.TRACING, expectedAttachType: AttachType.TRACE_RAW_TP, attachBtfId: id, attachTo: event };
}

/** Attaches a program loaded with tpBtfTarget(event). `event` only names the link in messages. */
export function tpBtf(prog: AttachableProgram, event?: string): Link {
  if (prog.type !== undefined && prog.type !== ProgType.TRACING) {
    throw new TypeError(`tp_btf runs TRACING programs; '${prog.name ?? 'program'}' is ${ProgType[prog.type] ?? prog.type}`);
  }
  return attachTracing(prog, AttachType.TRACE_RAW_TP, `tp_btf ${event ?? prog.name ?? ''}`.trimEnd());
}
