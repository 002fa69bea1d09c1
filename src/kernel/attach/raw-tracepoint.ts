// Raw tracepoints (BPF_RAW_TRACEPOINT_OPEN by name): the program sees the tracepoint's raw u64 arguments.
import { bpfRaw, rawTracepointAttr } from '../../sys/bpf.js';
import { BpfCmd, ProgType } from '../../sys/constants.js';
import { Errno } from '../../sys/errno.js';
import { errorFromErrno } from '../../sys/errors.js';
import { FileDescriptor } from '../fd.js';
import { Link } from '../link.js';
import type { AttachableProgram } from './perf-event.js';
import { TracepointNotFoundError } from './tracepoint.js';

export interface RawTracepointOptions {
  /** Value of bpf_get_attach_cookie() in the program (kernels 6.10+). */
  cookie?: bigint | number;
}

/** Attaches a RAW_TRACEPOINT(_WRITABLE) program to the raw tracepoint `name` (e.g. 'sched_process_exec'). */
export function rawTracepoint(prog: AttachableProgram, name: string, opts: RawTracepointOptions = {}): Link {
  if (prog.type !== undefined && prog.type !== ProgType.RAW_TRACEPOINT && prog.type !== ProgType.RAW_TRACEPOINT_WRITABLE) {
    throw new TypeError(`raw tracepoint ${name} runs RAW_TRACEPOINT programs; '${prog.name ?? 'program'}' is ${ProgType[prog.type] ?? prog.type}`);
  }
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new TypeError(`raw tracepoint name '${name}' is not valid (give the event name, e.g. sched_switch)`);
  const description = `raw tracepoint ${name}`;
  return openRawTracepoint(prog.fd.value, name, description, opts.cookie);
}

/** RAW_TRACEPOINT_OPEN; `name` null for programs whose target came from attach_btf_id (tp_btf, fentry, lsm). */
export function openRawTracepoint(progFd: number, name: string | null, description: string, cookie: bigint | number = 0): Link {
  const r = bpfRaw(BpfCmd.RAW_TRACEPOINT_OPEN, rawTracepointAttr(name, progFd, BigInt.asUintN(64, BigInt(cookie))));
  if (r < 0) {
    if (-r === Errno.ENOENT && name !== null) {
      throw new TracepointNotFoundError(`attach ${description}: this kernel has no raw tracepoint '${name}'`, Errno.ENOENT);
    }
    throw errorFromErrno(-r, `attach ${description}`);
  }
  return new Link(new FileDescriptor(r, `link ${description}`), description);
}
