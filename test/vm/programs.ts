// Programs and triggers shared by the VM tests: count events of THIS thread by a 64-bit key read from the
// program's context, and make the syscalls that fire them from the main thread (no libuv worker in between).
import { FP, program, R0, R1, R2, R3, R4, R6, R7, type ProgramBuilder } from '../../src/isa/builder.js';
import { Helper } from '../../src/isa/helpers.js';
import { i64, u64 } from '../../src/kernel/codec.js';
import { BpfMap } from '../../src/kernel/map.js';
import { cString } from '../../src/sys/attr.js';
import type { AttachType, ProgType } from '../../src/sys/constants.js';
import { MapType } from '../../src/sys/constants.js';
import { native } from '../../src/sys/native.js';

const SYS_OPENAT = 257;
const AT_FDCWD = -100;
const BPF_NOEXIST = 1;

/** pid_tgid of the calling (main) thread as bpf_get_current_pid_tgid() reports it: tgid << 32 | tid. */
export const selfPidTgid = (BigInt(process.pid) << 32n) | BigInt(process.pid);

/** Exits (r0 = 0) unless the current task is this process's main thread. Clobbers r0-r5. */
export function onlyThisThread(b: ProgramBuilder): ProgramBuilder {
  return b.call(Helper.get_current_pid_tgid).lddw(R1, selfPidTgid).jne(R0, R1, 'out');
}

/** Where the key comes from; `int: true` keeps the low 32 bits (an int argument's upper register half is junk). */
export type KeySource = { ctxOffset: number; int?: boolean } | 'cookie';

/** Count only events whose u64 (or int) at ctx + ctxOffset equals `equals` (a 32-bit immediate). */
export interface CountFilter {
  ctxOffset: number;
  int?: boolean;
  equals: number;
}

export interface CountOptions {
  where?: CountFilter;
  expectedAttachType?: AttachType;
  attachBtfId?: number;
}

/**
 * counts[key] += 1 for events of this thread (that pass `where`), key = the u64 at ctx + ctxOffset (an argument
 * or return value) or the attach cookie.
 */
export function countByKey(name: string, type: ProgType, key: KeySource, { where, ...target }: CountOptions = {}) {
  const b = program().mov(R6, R1);
  onlyThisThread(b);
  if (where) {
    b.ldx('dw', R1, R6, where.ctxOffset);
    if (where.int) b.mov32(R1, R1);
    b.jne(R1, where.equals, 'out');
  }
  if (key === 'cookie') b.mov(R1, R6).call(Helper.get_attach_cookie).mov(R7, R0);
  else {
    b.ldx('dw', R7, R6, key.ctxOffset);
    if (key.int) b.mov32(R7, R7);
  }
  b.stx('dw', FP, -8, R7).st('dw', FP, -16, 0)
    .loadMap(R1, 'counts').mov(R2, FP).add(R2, -8).mov(R3, FP).add(R3, -16).mov(R4, BPF_NOEXIST).call(Helper.map_update_elem)
    .loadMap(R1, 'counts').mov(R2, FP).add(R2, -8).call(Helper.map_lookup_elem).jeq(R0, 0, 'out')
    .mov(R1, 1).atomic('dw', 'add', R0, 0, R1)
    .label('out').mov(R0, 0).exit();
  return { name, type, license: 'GPL', instructions: b.build(), ...target };
}

/** The `counts` map countByKey programs write: signed 64-bit key (return values are negative errnos) → count. */
export function countsMap(): BpfMap<bigint, bigint> {
  return BpfMap.create({ name: 'counts', type: MapType.HASH, keySize: 8, valueSize: 8, maxEntries: 64 }, { key: i64, value: u64 });
}

/** openat(dfd, path, O_RDONLY) from this thread; returns the fd or -errno. Closes a successful fd at once. */
export function rawOpenat(path: string, dfd = AT_FDCWD): number {
  const r = Number(native.syscall(SYS_OPENAT, dfd, cString(path), 0, 0));
  if (r >= 0) native.syscall(3, r);
  return r;
}

/** An absolute path that does not exist: its open fails with ENOENT without touching `dfd`. */
export const MISSING_PATH = `/nonexistent-bpfkit-vm-${process.pid}/file`;

/** Repeats `fn` n times. */
export function times(n: number, fn: () => unknown): void {
  for (let i = 0; i < n; i++) fn();
}
