// Trampoline-based tracing: fentry, fexit, fmod_ret and BPF LSM. The target is chosen at load time
// (attach_btf_id of a vmlinux FUNC), so attaching only needs the program. Also the shared attach step for every
// TRACING/LSM program (tp_btf uses it too): LINK_CREATE, or RAW_TRACEPOINT_OPEN on kernels before tracing links.
// Some kernels (this VM's among them) refuse trampoline programs at load with EPERM; Program.load reports that as
// NotSupportedError, and features.fentry() / features.lsm() detect it up front.
import { BtfKind, vmlinuxNames } from '../../btf/vmlinux-names.js';
import { bpfRaw, linkCreateAttr } from '../../sys/bpf.js';
import { AttachType, BpfCmd, ProgType } from '../../sys/constants.js';
import { Errno } from '../../sys/errno.js';
import { BpfError, errorFromErrno, NotSupportedError } from '../../sys/errors.js';
import { FileDescriptor } from '../fd.js';
import { Link } from '../link.js';
import type { AttachableProgram } from './perf-event.js';
import { openRawTracepoint } from './raw-tracepoint.js';
import type { TracingTarget } from './tp-btf.js';

export type TrampolineKind = 'fentry' | 'fexit' | 'fmod_ret' | 'lsm';

const trampolineAttach: Record<TrampolineKind, { type: ProgType; attach: AttachType }> = {
  fentry: { type: ProgType.TRACING, attach: AttachType.TRACE_FENTRY },
  fexit: { type: ProgType.TRACING, attach: AttachType.TRACE_FEXIT },
  fmod_ret: { type: ProgType.TRACING, attach: AttachType.MODIFY_RETURN },
  lsm: { type: ProgType.LSM, attach: AttachType.LSM_MAC },
};

/** A kernel function (or LSM hook, without the bpf_lsm_ prefix) that has no BTF FUNC record. */
export class FunctionNotFoundError extends BpfError {
  override name = 'FunctionNotFoundError';
}

/** Spec fields for an fentry/fexit/fmod_ret program on kernel function `func`, or an lsm program on hook `func`. */
export function trampolineTarget(kind: TrampolineKind, func: string): TracingTarget {
  const names = vmlinuxNames();
  if (!names) throw new NotSupportedError(`${kind}/${func}: this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing)`, Errno.ENOENT);
  const symbol = kind === 'lsm' ? `bpf_lsm_${func}` : func;
  const id = names.find(BtfKind.FUNC, symbol);
  if (id === undefined) {
    throw new FunctionNotFoundError(kind === 'lsm'
      ? `lsm/${func}: this kernel has no LSM hook '${func}' (no BTF function ${symbol})`
      : `${kind}/${func}: this kernel has no traceable function '${func}' (no BTF FUNC record; static or inlined?)`, Errno.ENOENT);
  }
  const { type, attach } = trampolineAttach[kind];
  return { type, expectedAttachType: attach, attachBtfId: id, attachTo: func };
}

export const fentryTarget = (func: string) => trampolineTarget('fentry', func);
export const fexitTarget = (func: string) => trampolineTarget('fexit', func);
export const fmodRetTarget = (func: string) => trampolineTarget('fmod_ret', func);
export const lsmTarget = (hook: string) => trampolineTarget('lsm', hook);

export function fentry(prog: AttachableProgram, func?: string): Link {
  return attachTracing(prog, AttachType.TRACE_FENTRY, `fentry ${func ?? prog.name ?? ''}`.trimEnd());
}
export function fexit(prog: AttachableProgram, func?: string): Link {
  return attachTracing(prog, AttachType.TRACE_FEXIT, `fexit ${func ?? prog.name ?? ''}`.trimEnd());
}
export function fmodRet(prog: AttachableProgram, func?: string): Link {
  return attachTracing(prog, AttachType.MODIFY_RETURN, `fmod_ret ${func ?? prog.name ?? ''}`.trimEnd());
}
export function lsm(prog: AttachableProgram, hook?: string): Link {
  return attachTracing(prog, AttachType.LSM_MAC, `lsm ${hook ?? prog.name ?? ''}`.trimEnd());
}

/**
 * Attaches a TRACING or LSM program whose target was fixed at load (attach_btf_id). `attachType` must equal the
 * program's expected attach type.
 */
export function attachTracing(prog: AttachableProgram, attachType: AttachType, description: string, cookie: bigint | number = 0): Link {
  if (prog.type !== undefined && prog.type !== ProgType.TRACING && prog.type !== ProgType.LSM) {
    throw new TypeError(`${description}: needs a TRACING or LSM program; '${prog.name ?? 'program'}' is ${ProgType[prog.type] ?? prog.type}`);
  }
  const c = BigInt.asUintN(64, BigInt(cookie));
  // The cookie sits in link_create.raw_tp for tp_btf and in link_create.tracing (after target_btf_id) otherwise.
  const attr = linkCreateAttr(prog.fd.value, 0, attachType, 0, (a) => {
    if (attachType === AttachType.TRACE_RAW_TP) a.u64(16, c);
    else a.u32(16, 0).u64(24, c);
  });
  const r = bpfRaw(BpfCmd.LINK_CREATE, attr);
  if (r >= 0) return new Link(new FileDescriptor(r, `link ${description}`), description);
  // Kernels before tracing links (5.7-5.9 for trampolines, <6.? for LSM) answer EINVAL: use the older command.
  if (-r === Errno.EINVAL && c === 0n) return openRawTracepoint(prog.fd.value, null, description);
  throw errorFromErrno(-r, `attach ${description}`);
}
