// Pieces the process tools (execsnoop, exitsnoop, killsnoop) share: x86-64 syscall argument registers and signal
// names.
import { InvalidArgumentError } from 'commander';
import { syscallArgOffset, syscallNrOffset } from '../framework/kernel-types.js';

/** Offsets in struct pt_regs of the x86-64 syscall argument registers, the syscall number and return value. */
export function syscallRegs(): { arg1: number; arg2: number; arg3: number; nr: number } {
  return {
    arg1: syscallArgOffset(0),
    arg2: syscallArgOffset(1),
    arg3: syscallArgOffset(2),
    nr: syscallNrOffset(),
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
