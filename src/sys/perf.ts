// perf_event_open(2) and the perf ioctls: tracepoint, software, uprobe/kprobe PMU events and bpf output buffers.
import { readFileSync } from 'node:fs';
import { Attr } from './attr.js';
import { PERF, SYS } from './constants.js';
import { check } from './errors.js';
import { native } from './native.js';

export interface PerfEventAttr {
  type: number;
  config?: bigint | number;
  /** Sample period, or frequency when `freq` is set. */
  sample?: bigint | number;
  freq?: boolean;
  sampleType?: bigint | number;
  disabled?: boolean;
  /** perf_event_attr bitfield bits beyond disabled/freq (e.g. exclude flags), or'ed in. */
  extraFlags?: bigint;
  wakeupEvents?: number;
  /** Wake on bytes (watermark) rather than events. */
  watermark?: boolean;
  /** config1: kprobe function name or uprobe path pointer. */
  config1?: Uint8Array | bigint;
  /** config2: probe offset / address. */
  config2?: bigint | number;
}

export const PERF_ATTR_SIZE = 136;

export function perfEventAttr(a: PerfEventAttr): Attr {
  const attr = new Attr(PERF_ATTR_SIZE).u32(0, a.type).u32(4, PERF_ATTR_SIZE).u64(8, a.config ?? 0)
    .u64(16, a.sample ?? 0).u64(24, a.sampleType ?? 0);
  let flags = a.extraFlags ?? 0n;
  if (a.disabled) flags |= 1n << 0n;
  if (a.freq) flags |= 1n << 10n;
  if (a.watermark) flags |= 1n << 14n;
  attr.u64(40, flags).u32(48, a.wakeupEvents ?? 0);
  if (a.config1 instanceof Uint8Array) attr.ptr(56, a.config1);
  else if (a.config1 !== undefined) attr.u64(56, a.config1);
  attr.u64(64, a.config2 ?? 0);
  return attr;
}

/** perf_event_open(attr, pid, cpu, group_fd, flags); returns the fd (close-on-exec) or throws. */
export function perfEventOpen(attr: Attr, pid: number, cpu: number, what: string, groupFd = -1): number {
  return check(native.syscall(SYS.perf_event_open, attr.bytes, pid, cpu, groupFd, PERF.FLAG_FD_CLOEXEC), what);
}

export function perfEventOpenRaw(attr: Attr, pid: number, cpu: number, groupFd = -1): number {
  return native.syscall(SYS.perf_event_open, attr.bytes, pid, cpu, groupFd, PERF.FLAG_FD_CLOEXEC);
}

export function ioctl(fd: number, request: number, arg: number | bigint = 0): number {
  return native.syscall(SYS.ioctl, fd, request, arg);
}

/** The dynamic PMU type of a perf event source (uprobe, kprobe), or undefined when the kernel lacks it. */
export function pmuType(name: string): number | undefined {
  try {
    return Number(readFileSync(`/sys/bus/event_source/devices/${name}/type`, 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** The config bit a PMU uses for its "retprobe" format flag (config:N). */
export function pmuRetprobeBit(name: string): number | undefined {
  try {
    const m = /config:(\d+)/.exec(readFileSync(`/sys/bus/event_source/devices/${name}/format/retprobe`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
