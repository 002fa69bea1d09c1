// The connection record the TCP tools share, and the eBPF pieces that fill it: who (task), which socket (the
// addresses and ports of struct sock_common), when. The tools send it through a ring buffer or key counts with it.
import { R0, R1, R2, R3, R4, R6, R7, R8, R9, type ProgramBuilder, type Register } from '../../isa/builder.js';
import { Helper } from '../../isa/helpers.js';
import { MapType } from '../../sys/constants.js';
import type { MapSpec } from '../../spec/collection.js';
import { comm } from '../framework/format.js';
import { emitCountLost, ringbufMaps } from '../framework/lost.js';
import type { ToolSession } from '../framework/session.js';
import { kernelOffset } from '../framework/kernel-types.js';
import { AF_INET, formatAddress, ipVersion } from './address.js';
import { IPPROTO_TCP } from '../tcp/states.js';
import { emitCount } from '../framework/kit.js';

/**
 * Layout (bytes): u64 ktime_ns @0, u32 pid @8, u32 uid @12, char comm[16] @16, u8 laddr[16] @32, u8 raddr[16] @48,
 * u16 lport (host order) @64, u16 rport (network order, as skc_dport) @66, u16 family @68, u8 kind @70, pad @71.
 * Bytes 32..72 (addresses, ports, family, kind) also serve as a hash key for per-flow counts.
 */
export const REC = { ts: 0, pid: 8, uid: 12, comm: 16, laddr: 32, raddr: 48, lport: 64, rport: 66, family: 68, kind: 70, size: 72 } as const;
const FLOW_KEY_OFFSET = REC.laddr;
const FLOW_KEY_SIZE = REC.size - REC.laddr;

export { IPPROTO_TCP, TCP } from '../tcp/states.js';
/** x86-64 syscall numbers of accept() and accept4(). */
export const SYS_ACCEPT = 43;
export const SYS_ACCEPT4 = 288;

/** Where a record (or a copy of kernel memory) lives: a register plus an offset (FP and a negative offset for stack). */
export interface Place {
  reg: Register;
  off: number;
}

export const at = (p: Place, delta: number): Place => ({ reg: p.reg, off: p.off + delta });

let uniq = 0;
/** Unique label suffix for pieces emitted more than once in a program. */
function labelId(): number {
  return uniq++;
}

/** Zeroes `size` bytes (a multiple of 8) at `p`. */
export function emitZero(b: ProgramBuilder, p: Place, size: number): void {
  for (let i = 0; i < size; i += 8) b.st('dw', p.reg, p.off + i, 0);
}

/** Sets `dst` = the address of `p` (for helper arguments). */
export function emitAddress(b: ProgramBuilder, dst: Register, p: Place): void {
  b.mov(dst, p.reg);
  if (p.off !== 0) b.add(dst, p.off);
}

/** Fills ts, pid (tgid), uid and comm of `rec` from the current task. `rec` must survive helper calls (FP or R6-R9). */
export function emitTaskFields(b: ProgramBuilder, rec: Place): void {
  b.call(Helper.ktime_get_ns).stx('dw', rec.reg, rec.off + REC.ts, R0);
  b.call(Helper.get_current_pid_tgid).rsh(R0, 32).stx('w', rec.reg, rec.off + REC.pid, R0);
  b.call(Helper.get_current_uid_gid).stx('w', rec.reg, rec.off + REC.uid, R0);
  emitAddress(b, R1, at(rec, REC.comm));
  b.mov(R2, 16).call(Helper.get_current_comm);
}

/** Jumps to `fail` unless the record's pid/uid pass the -p/-u filters. */
export function emitTaskFilter(b: ProgramBuilder, rec: Place, filter: { pid?: number; uid?: number }, tmp: Register, fail: string): void {
  if (filter.pid !== undefined) b.ldx('w', tmp, rec.reg, rec.off + REC.pid).jne(tmp, filter.pid, fail);
  if (filter.uid !== undefined) b.ldx('w', tmp, rec.reg, rec.off + REC.uid).jne(tmp, filter.uid, fail);
}

/** Bytes of struct sock_common that hold every field the record takes (through skc_v6_rcv_saddr). */
export function sockCommonPrefixSize(): number {
  return (kernelOffset('sock_common', 'skc_v6_rcv_saddr') + 16 + 7) & ~7;
}

/**
 * Copies family, local/remote address and ports from a struct sock_common at `sk` (a BTF pointer the verifier
 * lets us load from, or a stack copy) into `rec`. Local = skc_rcv_saddr/skc_num, remote = skc_daddr/skc_dport.
 */
export function emitSockFields(b: ProgramBuilder, sk: Place, rec: Place, tmp: Register): void {
  const id = labelId();
  const load = (size: 'h' | 'w' | 'dw', field: string, dst: number) => {
    b.ldx(size, tmp, sk.reg, sk.off + kernelOffset('sock_common', field));
    b.stx(size, rec.reg, rec.off + dst, tmp);
  };
  load('h', 'skc_family', REC.family);
  load('h', 'skc_num', REC.lport);
  load('h', 'skc_dport', REC.rport);
  b.ldx('h', tmp, sk.reg, sk.off + kernelOffset('sock_common', 'skc_family')).jne(tmp, AF_INET, `v6_${id}`);
  load('w', 'skc_rcv_saddr', REC.laddr);
  load('w', 'skc_daddr', REC.raddr);
  b.ja(`done_${id}`);
  b.label(`v6_${id}`);
  const v6 = (field: string, dst: number) => {
    // in6_addr as four __be32 words: loads the verifier accepts member by member.
    const base = kernelOffset('sock_common', field);
    for (let i = 0; i < 16; i += 4) b.ldx('w', tmp, sk.reg, sk.off + base + i).stx('w', rec.reg, rec.off + dst + i, tmp);
  };
  v6('skc_v6_rcv_saddr', REC.laddr);
  v6('skc_v6_daddr', REC.raddr);
  b.label(`done_${id}`);
}

/**
 * dst[0..size) = kernel memory at src + srcOff via bpf_probe_read_kernel; jumps to `fail` if the read faults.
 * `src` must survive the call setup (not R1-R3).
 */
export function emitReadKernel(b: ProgramBuilder, dst: Place, size: number, src: Register, srcOff: number, fail: string): void {
  emitAddress(b, R1, dst);
  b.mov(R2, size).mov(R3, src);
  if (srcOff !== 0) b.add(R3, srcOff);
  b.call(Helper.probe_read_kernel).jne(R0, 0, fail);
}

/**
 * out = the struct sock behind file descriptor `fd` of the current task (task->files->fdt->fd[fd]->private_data
 * ->sk), read with probe_read_kernel; jumps to `fail` if any link is missing. `fd` and `out` must be R6-R9 and
 * differ; `slot` is an 8-byte stack scratch slot.
 */
export function emitSockOfFd(b: ProgramBuilder, fd: Register, out: Register, slot: Place, fail: string): void {
  const step = (from: Register, off: number, size: 'w' | 'dw' = 'dw') => {
    emitReadKernel(b, slot, size === 'dw' ? 8 : 4, from, off, fail);
    b.ldx(size, out, slot.reg, slot.off).jeq(out, 0, fail);
  };
  b.call(Helper.get_current_task).mov(out, R0).jeq(out, 0, fail);
  step(out, kernelOffset('task_struct', 'files'));
  step(out, kernelOffset('files_struct', 'fdt'));
  // Bounds: fd < fdt->max_fds. The fdt pointer is kept on the stack while max_fds is read.
  b.stx('dw', slot.reg, slot.off, out);
  emitReadKernel(b, at(slot, -8), 4, out, kernelOffset('fdtable', 'max_fds'), fail);
  b.ldx('w', R1, slot.reg, slot.off - 8).jge(fd, R1, fail);
  step(out, kernelOffset('fdtable', 'fd'));
  b.mov(R1, fd).lsh(R1, 3).add(out, R1);
  step(out, 0); // struct file *
  step(out, kernelOffset('file', 'private_data')); // struct socket *
  step(out, kernelOffset('socket', 'sk'));
}

/** A record as user space reads it. */
export interface Connection {
  ktimeNs: bigint;
  pid: number;
  uid: number;
  comm: string;
  family: number;
  /** 4 or 6 */
  ip: 4 | 6;
  laddr: string;
  raddr: string;
  lport: number;
  rport: number;
  kind: number;
}

function decodeConnection(view: DataView, base = 0): Connection {
  const bytes = new Uint8Array(view.buffer, view.byteOffset + base, REC.size);
  const family = view.getUint16(base + REC.family, true);
  return {
    ktimeNs: view.getBigUint64(base + REC.ts, true),
    pid: view.getUint32(base + REC.pid, true),
    uid: view.getUint32(base + REC.uid, true),
    comm: comm(view, base + REC.comm),
    family,
    ip: ipVersion(family),
    laddr: formatAddress(family, bytes, REC.laddr),
    raddr: formatAddress(family, bytes, REC.raddr),
    lport: view.getUint16(base + REC.lport, true),
    rport: view.getUint16(base + REC.rport, false),
    kind: view.getUint8(base + REC.kind),
  };
}

/** A flow key (record bytes 32..72) from a per-flow count map, decoded. */
export function decodeFlowKey(key: Uint8Array): Pick<Connection, 'family' | 'ip' | 'laddr' | 'raddr' | 'lport' | 'rport'> {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const o = -FLOW_KEY_OFFSET;
  const family = view.getUint16(o + REC.family, true);
  return {
    family,
    ip: ipVersion(family),
    laddr: formatAddress(family, key, o + REC.laddr),
    raddr: formatAddress(family, key, o + REC.raddr),
    lport: view.getUint16(o + REC.lport, true),
    rport: view.getUint16(o + REC.rport, false),
  };
}

/** "TIME(s)" column: seconds since the first event printed, as libbpf-tools' -t shows. */
export class RelativeSeconds {
  #first?: bigint;
  format(ktimeNs: bigint): string {
    this.#first ??= ktimeNs;
    return (Number(ktimeNs - this.#first) / 1e9).toFixed(3);
  }
}

/** The ring buffer the tools send records through (ringbufMaps' name): 1 MiB holds ~13000 records, for bursts while Node is busy. */
const EVENTS = 'events';
const EVENTS_BYTES = 1024 * 1024;
/** Per-flow connection counts: key = record bytes 32..72, value = u64 count. */
export const FLOWS_MAP = { name: 'flows', type: MapType.HASH, keySize: FLOW_KEY_SIZE, valueSize: 8, maxEntries: 10240 };
/** Records parked per socket (u64 struct sock address) until the socket's next state change. */
export function socketMap(name: string) {
  return { name, type: MapType.LRU_HASH, keySize: 8, valueSize: REC.size, maxEntries: 10240 };
}

/** Sends the record at `rec` to the `events` ring buffer. */
export function emitSubmit(b: ProgramBuilder, rec: Place): void {
  b.loadMap(R1, EVENTS);
  emitAddress(b, R2, rec);
  b.mov(R3, REC.size).mov(R4, 0).call(Helper.ringbuf_output);
  const id = labelId();
  b.jeq(R0, 0, `submitted_${id}`);
  emitCountLost(b);
  b.label(`submitted_${id}`);
}

/** Maps a tool that sends records needs: the ring buffer and its lost-record counter. */
export function eventMaps(): Record<string, MapSpec> {
  return ringbufMaps(EVENTS_BYTES);
}

/** flows[record bytes 32..72] += 1. `zero` is an 8-byte stack slot it may overwrite. */
export function emitCountFlow(b: ProgramBuilder, rec: Place, scratch: Place): void {
  emitCount(b, FLOWS_MAP.name, at(rec, FLOW_KEY_OFFSET), scratch);
}

/**
 * rec.lport = inet_sk(sk)->inet_sport in host order. Needed once a socket moves to CLOSE: the kernel releases the
 * local port (skc_num = 0) before the state change is traced, but inet_sport keeps it. struct inet_sock lies beyond
 * struct sock, where BTF loads stop, so this reads with probe_read_kernel. `sk` must not be R1-R3.
 */
export function emitInetSport(b: ProgramBuilder, sk: Register, rec: Place, fail: string): void {
  emitReadKernel(b, at(rec, REC.lport), 2, sk, kernelOffset('inet_sock', 'inet_sport'), fail);
  b.ldx('h', R1, rec.reg, rec.off + REC.lport).be(R1, 16).stx('h', rec.reg, rec.off + REC.lport, R1);
}

/**
 * Opening of an inet_sock_set_state (tp_btf) program: R6 = ctx, R7 = the struct sock, R8 = oldstate,
 * R9 = newstate. Sockets that are not TCP jump to `skip`.
 */
export function emitTcpStateArgs(b: ProgramBuilder, skip: string): void {
  b.mov(R6, R1);
  b.ldx('dw', R7, R6, 0); // const struct sock *sk
  b.ldx('h', R1, R7, kernelOffset('sock', 'sk_protocol')).jne(R1, IPPROTO_TCP, skip);
  b.ldx('dw', R8, R6, 8); // oldstate
  b.ldx('dw', R9, R6, 16); // newstate
}

/** The -t, -U, -p and -u options of the connection tools. */
export interface TaskColumnOptions {
  timestamp?: boolean;
  printUid?: boolean;
  pid?: number;
  uid?: number;
}

/** The TIME(s) (-t) and UID (-U) columns that start a row. */
export function leadingColumns(o: TaskColumnOptions, clock: RelativeSeconds, c: Connection): string {
  return (o.timestamp ? clock.format(c.ktimeNs).padEnd(9) : '') + (o.printUid ? String(c.uid).padEnd(6) : '');
}

/** Their headers. */
export function leadingHeader(o: TaskColumnOptions): string {
  return (o.timestamp ? 'TIME(s)'.padEnd(9) : '') + (o.printUid ? 'UID'.padEnd(6) : '');
}

/** Delivers each connection record of the `events` ring buffer, and reports the ones it had no room for. */
export function onConnection(session: ToolSession, handle: (c: Connection) => void): void {
  session.reportLost();
  session.ringbuf(EVENTS, (view) => handle(decodeConnection(view)));
}
