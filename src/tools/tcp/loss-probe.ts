// Telling a tail loss probe from other retransmits without a kprobe on tcp_send_loss_probe().
//
// When the loss-probe timer fires, tcp_write_timer_handler() calls tcp_send_loss_probe() with icsk_pending still
// ICSK_TIME_LOSS_PROBE (it is cleared only after the probe went out), and a probe is only armed while the
// congestion state is Open or CWR. The RTO and zero-window-probe paths clear icsk_pending first, and fast
// retransmits run in Recovery/Loss. So "pending == LOSS_PROBE and ca_state in {Open, CWR}" at the
// tcp_retransmit_skb tracepoint marks the retransmit a TLP sends.
import { FP, R0, R1, R2, R3, type ProgramBuilder, type Register } from '../../isa/builder.js';
import { Helper } from '../../isa/helpers.js';
import { kernelOffset } from '../framework/kernel-types.js';

const ICSK_TIME_LOSS_PROBE = 5; // include/net/inet_connection_sock.h
const TCP_CA_OPEN = 0;
const TCP_CA_CWR = 2;
const CA_STATE_BITS = 0x1f; // icsk_ca_state:5, the low bits of its byte

let uniq = 0;

/**
 * Jumps to `isProbe` when the retransmit on socket `sk` (callee-saved register) is a tail loss probe; falls through
 * otherwise. Uses the two stack bytes at FP+scratch and FP+scratch+1; clobbers R0-R5.
 */
export function emitLossProbeCheck(b: ProgramBuilder, sk: Register, scratch: number, isProbe: string): void {
  const id = uniq++;
  const notProbe = `tlp_no_${id}`;
  const read = (field: number, at: number) => b.mov(R1, FP).add(R1, at).mov(R2, 1).mov(R3, sk).add(R3, field).call(Helper.probe_read_kernel);
  // Both fields lie past struct sock (in inet_connection_sock): read them with a helper, not a BTF load.
  b.st('h', FP, scratch, 0);
  read(kernelOffset('inet_connection_sock', 'icsk_pending'), scratch);
  read(kernelOffset('inet_connection_sock', 'icsk_ca_state'), scratch + 1);
  b.ldx('b', R0, FP, scratch).jne(R0, ICSK_TIME_LOSS_PROBE, notProbe);
  b.ldx('b', R0, FP, scratch + 1).and(R0, CA_STATE_BITS);
  b.jeq(R0, TCP_CA_OPEN, isProbe).jeq(R0, TCP_CA_CWR, isProbe);
  b.label(notProbe);
}
