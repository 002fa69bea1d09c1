// TCP states as the kernel numbers them (include/net/tcp_states.h) and the names libbpf-tools print.

export const TCP = { ESTABLISHED: 1, SYN_SENT: 2, SYN_RECV: 3, FIN_WAIT1: 4, FIN_WAIT2: 5, TIME_WAIT: 6, CLOSE: 7, CLOSE_WAIT: 8, LAST_ACK: 9, LISTEN: 10 } as const;

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
