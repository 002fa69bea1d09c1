// accept()/accept4() as the accepting task sees them. inet_csk_accept (where BCC hooks) has no tracepoint and
// kprobes do not run here, so we hook the syscall's return (tp_btf sys_exit, in the accepting task) and follow the
// returned fd to its socket: task->files->fdt->fd[fd]->private_data (struct socket)->sk.
import { FP, R0, R1, R6, R7, R8, type ProgramBuilder } from '../../isa/builder.js';
import { Helper } from '../../isa/helpers.js';
import { kernelOffset, syscallNrOffset } from '../framework/kernel-types.js';
import { AF_INET, AF_INET6 } from './address.js';
import {
  emitInetSport, emitReadKernel, emitSockFields, emitSockOfFd, emitTaskFields, emitTaskFilter, emitZero, IPPROTO_TCP, REC,
  sockCommonPrefixSize, SYS_ACCEPT, SYS_ACCEPT4, type Place,
} from './connection.js';

export interface AcceptFilter {
  pid?: number;
  uid?: number;
  /** Only these local ports (host order). */
  localPorts?: number[];
  /** Only AF_INET or AF_INET6. */
  family?: number;
}

/**
 * Emits the start of a tp_btf sys_exit program: for a successful accept()/accept4() of a TCP socket passing
 * `filter`, leaves a filled record (kind unset) on the stack at the returned place and the struct sock address in
 * R8; anything else jumps to `out`. Uses R6-R8.
 */
export function emitAcceptRecord(b: ProgramBuilder, filter: AcceptFilter, out: string): Place {
  const prefix = sockCommonPrefixSize();
  const slot: Place = { reg: FP, off: -8 };
  const copy: Place = { reg: FP, off: -8 - prefix };
  const rec: Place = { reg: FP, off: -8 - prefix - REC.size };
  b.mov(R6, R1);
  b.ldx('dw', R7, R6, 8).jslt(R7, 0, out); // the return value: the new fd, or -errno
  b.ldx('dw', R1, R6, 0).ldx('dw', R1, R1, syscallNrOffset());
  b.jeq(R1, SYS_ACCEPT, 'accept_returned').jne(R1, SYS_ACCEPT4, out);
  b.label('accept_returned');
  if (filter.pid !== undefined) b.call(Helper.get_current_pid_tgid).rsh(R0, 32).jne(R0, filter.pid, out);
  emitSockOfFd(b, R7, R8, slot, out);
  emitReadKernel(b, slot, 2, R8, kernelOffset('sock', 'sk_protocol'), out);
  b.ldx('h', R1, slot.reg, slot.off).jne(R1, IPPROTO_TCP, out);
  emitReadKernel(b, copy, prefix, R8, 0, out);
  b.ldx('h', R1, copy.reg, copy.off + kernelOffset('sock_common', 'skc_family'));
  if (filter.family !== undefined) b.jne(R1, filter.family, out);
  else b.jeq(R1, AF_INET, 'accept_inet').jne(R1, AF_INET6, out).label('accept_inet');
  emitZero(b, rec, REC.size);
  emitTaskFields(b, rec);
  emitTaskFilter(b, rec, filter, R1, out);
  emitSockFields(b, copy, rec, R1);
  // A connection reset before accept() returned has already given its port back (skc_num = 0); inet_sport keeps it.
  emitInetSport(b, R8, rec, out);
  if (filter.localPorts?.length) {
    b.ldx('h', R1, rec.reg, rec.off + REC.lport);
    for (const p of filter.localPorts) b.jeq(R1, p, 'accept_port_ok');
    b.ja(out);
    b.label('accept_port_ok');
  }
  return rec;
}
