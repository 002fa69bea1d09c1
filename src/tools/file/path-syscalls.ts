// The kernel side shared by opensnoop and statsnoop: syscalls that take a user-space path. sys_enter remembers the
// path pointer (and open flags) per thread; sys_exit emits one ring buffer record with the result and the path,
// read from user memory at exit as libbpf-tools does (the buffer is still there while the call returns).
import { program, R0, R1, R2, R3, R4, R6, R7, R8, R9, FP, type ProgramBuilder, type Register } from '../../isa/builder.js';
import { Helper } from '../../isa/helpers.js';
import { MapType } from '../../sys/constants.js';
import type { CollectionSpec } from '../../spec/collection.js';
import { syscallArgOffset, syscallNrOffset } from '../framework/kernel-types.js';
import { comm, cString } from '../framework/format.js';
import { tpBtfProgram } from '../framework/session.js';
import { emitReserve, ringbufMaps } from '../framework/lost.js';


/** One traced syscall: its x86-64 number, which argument is the path, and how to find its flags (if any). */
export interface PathSyscall {
  nr: number;
  pathArg: number;
  /** Argument holding the flags as a value (open, openat). */
  flagsArg?: number;
  /** Argument pointing at a user struct whose first u64 is the flags (openat2's struct open_how). */
  flagsPtrArg?: number;
}

export interface PathFilters {
  pid?: number;
  tid?: number;
  uid?: number;
  failedOnly?: boolean;
}

export const PATH_SIZE = 256;
// Record: u64 ktime_ns, u32 pid, u32 tid, u32 uid, u32 flags, s64 ret, char comm[16], char path[PATH_SIZE].
const RECORD_SIZE = 48 + PATH_SIZE;
// Pending value: u64 path pointer, u32 flags, u32 syscall nr.
const PENDING_SIZE = 16;

export interface PathEvent {
  ns: bigint;
  pid: number;
  tid: number;
  uid: number;
  flags: number;
  ret: number;
  comm: string;
  path: string;
}

export function decodePathEvent(r: DataView): PathEvent {
  return {
    ns: r.getBigUint64(0, true),
    pid: r.getUint32(8, true),
    tid: r.getUint32(12, true),
    uid: r.getUint32(16, true),
    flags: r.getUint32(20, true),
    ret: Number(r.getBigInt64(24, true)),
    comm: comm(r, 32),
    path: cString(r, 48, PATH_SIZE),
  };
}

/** Loads syscall argument `index` from the BTF pt_regs pointer in `regs`. */
function loadArg(b: ProgramBuilder, dst: Register, regs: Register, index: number): void {
  b.ldx('dw', dst, regs, syscallArgOffset(index));
}

function enterProgram(calls: PathSyscall[], f: PathFilters) {
  const b = program();
  b.mov(R6, R1);
  b.ldx('dw', R7, R6, 8); // args[1]: syscall number
  for (const c of calls) b.jeq(R7, c.nr, `nr_${c.nr}`);
  b.ja('out');
  b.label('filters');
  // R9 = pid_tgid; filters before spending a map update.
  b.call(Helper.get_current_pid_tgid).mov(R9, R0);
  if (f.pid !== undefined) b.mov(R1, R9).rsh(R1, 32).jne(R1, f.pid, 'out');
  if (f.tid !== undefined) b.mov32(R1, R9).jne(R1, f.tid, 'out');
  if (f.uid !== undefined) b.call(Helper.get_current_uid_gid).mov32(R0, R0).jne(R0, f.uid, 'out');
  b.mov32(R1, R9).stx('dw', FP, -8, R1);
  b.loadMap(R1, 'pending').mov(R2, FP).add(R2, -8).mov(R3, FP).add(R3, -24).mov(R4, 0).call(Helper.map_update_elem);
  b.ja('out');
  for (const c of calls) {
    b.label(`nr_${c.nr}`);
    b.ldx('dw', R8, R6, 0); // args[0]: struct pt_regs *
    loadArg(b, R1, R8, c.pathArg);
    b.stx('dw', FP, -24, R1).stx('w', FP, -12, R7);
    if (c.flagsArg !== undefined) {
      loadArg(b, R1, R8, c.flagsArg);
      b.stx('w', FP, -16, R1);
    } else if (c.flagsPtrArg !== undefined) {
      b.st('dw', FP, -32, 0);
      loadArg(b, R3, R8, c.flagsPtrArg);
      b.mov(R1, FP).add(R1, -32).mov(R2, 8).call(Helper.probe_read_user);
      b.ldx('w', R1, FP, -32).stx('w', FP, -16, R1);
    } else {
      b.st('w', FP, -16, 0);
    }
    b.ja('filters');
  }
  b.label('out').mov(R0, 0).exit();
  return b.build();
}

function exitProgram(failedOnly: boolean) {
  const b = program();
  b.ldx('dw', R8, R1, 8); // args[1]: the return value
  b.ldx('dw', R6, R1, 0); // args[0]: struct pt_regs *
  b.ldx('dw', R6, R6, syscallNrOffset()); // the syscall number
  b.call(Helper.get_current_pid_tgid).mov(R9, R0);
  b.mov32(R1, R9).stx('dw', FP, -8, R1);
  b.loadMap(R1, 'pending').mov(R2, FP).add(R2, -8).call(Helper.map_lookup_elem);
  b.jeq(R0, 0, 'out').mov(R7, R0);
  // A stale entry from another syscall (the tool started mid-call) is dropped, not reported.
  b.ldx('w', R1, R7, 12).jne(R1, R6, 'drop');
  if (failedOnly) b.jmp('jsge', R8, 0, 'drop');
  emitReserve(b, RECORD_SIZE, 'drop');
  b.mov(R6, R0);
  b.call(Helper.ktime_get_ns).stx('dw', R6, 0, R0);
  b.mov(R1, R9).rsh(R1, 32).stx('w', R6, 8, R1);
  b.stx('w', R6, 12, R9);
  b.call(Helper.get_current_uid_gid).stx('w', R6, 16, R0);
  b.ldx('w', R1, R7, 8).stx('w', R6, 20, R1);
  b.stx('dw', R6, 24, R8);
  b.mov(R1, R6).add(R1, 32).mov(R2, 16).call(Helper.get_current_comm);
  b.ldx('dw', R3, R7, 0);
  b.mov(R1, R6).add(R1, 48).mov(R2, PATH_SIZE).call(Helper.probe_read_user_str);
  b.mov(R1, R6).mov(R2, 0).call(Helper.ringbuf_submit);
  b.label('drop');
  b.loadMap(R1, 'pending').mov(R2, FP).add(R2, -8).call(Helper.map_delete_elem);
  b.label('out').mov(R0, 0).exit();
  return b.build();
}

/** Maps and the two programs (path_enter on sys_enter, path_exit on sys_exit). Attach the exit first. */
export function pathSyscallSpec(calls: PathSyscall[], filters: PathFilters): CollectionSpec {
  return {
    maps: {
      pending: { name: 'pending', type: MapType.HASH, keySize: 8, valueSize: PENDING_SIZE, maxEntries: 10240 },
      ...ringbufMaps(1024 * 1024),
    },
    programs: {
      path_enter: tpBtfProgram('path_enter', 'sys_enter', enterProgram(calls, filters)),
      path_exit: tpBtfProgram('path_exit', 'sys_exit', exitProgram(filters.failedOnly === true)),
    },
  };
}
