// TCP states as the kernel numbers them (include/net/tcp_states.h) and the names libbpf-tools print.

export const TCP_ESTABLISHED = 1;
export const TCP_SYN_SENT = 2;
export const TCP_SYN_RECV = 3;
export const TCP_FIN_WAIT1 = 4;
export const TCP_CLOSE = 7;
export const TCP_LAST_ACK = 9;

const NAMES = [
  'UNKNOWN', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT',
  'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV', 'BOUND_INACTIVE',
];

/** "ESTABLISHED", "SYN_SENT"...; "UNKNOWN" for numbers this table does not know. */
export function tcpStateName(state: number): string {
  return NAMES[state] ?? 'UNKNOWN';
}

export const IPPROTO_TCP = 6;
export { AF_INET, AF_INET6 } from '../net/address.js';
