// Pieces the process tools (execsnoop, exitsnoop, killsnoop) share: the --cgroup filter, x86-64 syscall argument
// registers, and signal names.
import { closeSync, openSync, statSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import type { ProgramBuilder } from '../../isa/builder.js';
import { R0, R1, R2 } from '../../isa/builder.js';
import { Helper } from '../../isa/helpers.js';
import type { MapSpec } from '../../spec/collection.js';
import { MapType } from '../../sys/constants.js';
import { kernelOffset } from '../framework/kernel-types.js';
import { ToolUsageError, type ToolContext } from '../framework/tool.js';

export const CGROUP_MAP = 'cgroup_filter';

/**
 * The --cgroup filter map: a cgroup array holding the directory's fd, so bpf_current_task_under_cgroup() keeps
 * tasks in that cgroup v2 directory or below it (as libbpf-tools do). The fd is closed once the map is loaded.
 */
export function cgroupFilterMap(ctx: ToolContext, path: string): MapSpec {
  let fd: number;
  try {
    if (!statSync(path).isDirectory()) throw new Error('not a directory');
    fd = openSync(path, 'r');
  } catch (err) {
    throw new ToolUsageError(`--cgroup ${path}: ${err instanceof Error ? err.message : String(err)} (expected a cgroup v2 directory, e.g. under /sys/fs/cgroup/unified)`);
  }
  ctx.defer(() => closeSync(fd));
  const value = new Uint8Array(4);
  new DataView(value.buffer).setUint32(0, fd, true);
  return { name: CGROUP_MAP, type: MapType.CGROUP_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, contents: [[new Uint8Array(4), value]] };
}

/** Jumps to `skip` unless the current task is in the --cgroup directory (or below it). Clobbers R0-R5. */
export function emitCgroupFilter(b: ProgramBuilder, skip: string): void {
  b.loadMap(R1, CGROUP_MAP).mov(R2, 0).call(Helper.current_task_under_cgroup).jne(R0, 1, skip);
}

/** Offsets in struct pt_regs of the x86-64 syscall argument registers, the syscall number and return value. */
export function syscallRegs(): { arg1: number; arg2: number; arg3: number; nr: number } {
  return {
    arg1: kernelOffset('pt_regs', 'di'),
    arg2: kernelOffset('pt_regs', 'si'),
    arg3: kernelOffset('pt_regs', 'dx'),
    nr: kernelOffset('pt_regs', 'orig_ax'),
  };
}

/** x86-64 syscall numbers these tools trace. */
export const SYS = { execve: 59, kill: 62, tkill: 200, tgkill: 234 } as const;

const SIGNALS = [
  '', 'HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM', 'TERM',
  'STKFLT', 'CHLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'WINCH', 'IO',
  'PWR', 'SYS',
];

/** "KILL" for 9; undefined for 0 and real-time signals. */
export function signalName(sig: number): string | undefined {
  return sig > 0 && sig < SIGNALS.length ? SIGNALS[sig] : undefined;
}

/** Parses "-s 15", "-s TERM" or "-s SIGTERM" to a number (commander parser). */
export function parseSignal(value: string): number {
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    if (n >= 0 && n <= 64) return n;
  }
  const name = value.toUpperCase().replace(/^SIG/, '');
  const n = SIGNALS.indexOf(name);
  if (n > 0) return n;
  throw new InvalidArgumentError(`unknown signal '${value}' (expected 0-64 or a name like TERM)`);
}

/** Unix seconds (float) from a bpf_ktime_get_ns() stamp, for JSON. */
export function unixSeconds(ktimeNs: bigint, bootOffsetNs: bigint): number {
  return Number((ktimeNs + bootOffsetNs) / 1000n) / 1e6;
}
