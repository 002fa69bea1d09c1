// eBPF pieces the TCP tools share: copy a socket's addresses and ports into a record (or a map key on the stack),
// and filter a record on family and port lists. The socket pointer comes from a tp_btf argument, so small
// sock_common fields are read with direct (verifier-checked) loads; IPv6 addresses with probe_read_kernel.
import { R0, R1, R2, R3, type ProgramBuilder, type Register } from '../../isa/builder.js';
import { Helper } from '../../isa/helpers.js';
import { kernelOffset } from '../framework/kernel-types.js';
import { ringbufMaps } from '../framework/lost.js';
import { tpBtfProgram } from '../framework/session.js';
import type { CollectionSpec, MapSpec } from '../../spec/collection.js';
import { MapType } from '../../sys/constants.js';
import { AF_INET, AF_INET6 } from './states.js';

/**
 * Layout of the endpoint block (40 bytes) inside a record: u16 family, u16 local port, u16 remote port (both host
 * order), 2 bytes padding, 16-byte local address, 16-byte remote address (IPv4 uses the first 4 bytes).
 */
export const ENDPOINT = { family: 0, lport: 2, rport: 4, saddr: 8, daddr: 24, size: 40 } as const;

export interface SockOffsets {
  family: number;
  /** inet_sock.inet_sport: unlike skc_num it keeps the local port while the socket goes to CLOSE. */
  sport: number;
  dport: number;
  rcvSaddr: number;
  daddr: number;
  v6RcvSaddr: number;
  v6Daddr: number;
  state: number;
  protocol: number;
}

/** struct sock field offsets on this kernel (BTF). */
export function sockOffsets(): SockOffsets {
  const c = (f: string) => kernelOffset('sock', `__sk_common.${f}`);
  return {
    family: c('skc_family'), sport: kernelOffset('inet_sock', 'inet_sport'), dport: c('skc_dport'), rcvSaddr: c('skc_rcv_saddr'),
    daddr: c('skc_daddr'), v6RcvSaddr: c('skc_v6_rcv_saddr'), v6Daddr: c('skc_v6_daddr'), state: c('skc_state'),
    protocol: kernelOffset('sock', 'sk_protocol'),
  };
}

let uniq = 0;

/**
 * Fills the endpoint block at dst+off from socket `sk`. `sk` and `dst` must be callee-saved registers (R6-R9) or
 * FP, since a helper call clobbers R0-R5. Zeroes the block first, so it can serve as a hash key.
 */
export function emitEndpoint(b: ProgramBuilder, o: SockOffsets, sk: Register, dst: Register, off: number): void {
  const id = uniq++;
  for (let i = 0; i < ENDPOINT.size; i += 8) b.st('dw', dst, off + i, 0);
  b.ldx('h', R0, sk, o.family).stx('h', dst, off + ENDPOINT.family, R0);
  // inet_sport lies past struct sock, beyond what a BTF `struct sock *` load may reach: read it with a helper.
  b.mov(R1, dst).add(R1, off + ENDPOINT.lport).mov(R2, 2).mov(R3, sk).add(R3, o.sport).call(Helper.probe_read_kernel);
  b.ldx('h', R0, dst, off + ENDPOINT.lport).be(R0, 16).stx('h', dst, off + ENDPOINT.lport, R0);
  b.ldx('h', R0, sk, o.dport).be(R0, 16).stx('h', dst, off + ENDPOINT.rport, R0);
  b.ldx('h', R0, dst, off + ENDPOINT.family);
  b.jne(R0, AF_INET, `ep_v6_${id}`);
  b.ldx('w', R0, sk, o.rcvSaddr).stx('w', dst, off + ENDPOINT.saddr, R0);
  b.ldx('w', R0, sk, o.daddr).stx('w', dst, off + ENDPOINT.daddr, R0);
  b.ja(`ep_done_${id}`);
  b.label(`ep_v6_${id}`).jne(R0, AF_INET6, `ep_done_${id}`);
  for (const [field, at] of [[o.v6RcvSaddr, ENDPOINT.saddr], [o.v6Daddr, ENDPOINT.daddr]] as const) {
    b.mov(R1, dst).add(R1, off + at).mov(R2, 16).mov(R3, sk).add(R3, field).call(Helper.probe_read_kernel);
  }
  b.label(`ep_done_${id}`);
}

export interface EndpointFilter {
  /** AF_INET or AF_INET6; undefined: both. */
  family?: number;
  localPorts?: number[];
  remotePorts?: number[];
}

/** Jumps to `fail` unless the endpoint block at base+off passes the filter. Clobbers R0. */
export function emitEndpointFilter(b: ProgramBuilder, base: Register, off: number, f: EndpointFilter, fail: string): void {
  const id = uniq++;
  if (f.family !== undefined) b.ldx('h', R0, base, off + ENDPOINT.family).jne(R0, f.family, fail);
  for (const [ports, at, tag] of [[f.localPorts, ENDPOINT.lport, 'l'], [f.remotePorts, ENDPOINT.rport, 'r']] as const) {
    if (!ports?.length) continue;
    const ok = `ep_port_${tag}_${id}`;
    b.ldx('h', R0, base, off + at);
    for (const p of ports) b.jeq(R0, p, ok);
    b.ja(fail).label(ok);
  }
}

/** A hash map keyed by struct sock address (u64): what a tool remembers per socket. */
export function perSocketMap(name: string, valueSize: number): MapSpec {
  return { name, type: MapType.HASH, keySize: 8, valueSize, maxEntries: 10240 };
}

/** The spec of a tool with one inet_sock_set_state program `set_state` that sends records through `events`. */
export function setStateSpec(b: ProgramBuilder, maps: Record<string, MapSpec>): CollectionSpec {
  return {
    maps: { ...maps, ...ringbufMaps(256 * 1024) },
    programs: { set_state: tpBtfProgram('set_state', 'inet_sock_set_state', b.build({ dropUnreachable: true })) },
  };
}
