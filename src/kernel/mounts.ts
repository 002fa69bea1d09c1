// bpffs and tracefs: found where they are mounted, mounted at their usual place when they are not.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cString } from '../sys/attr.js';
import { SYS } from '../sys/constants.js';
import { check } from '../sys/errors.js';
import { native } from '../sys/native.js';

function mountPointOf(fsType: string): string | undefined {
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, where, type] = line.split(' ');
    if (type === fsType && where) return where.replace(/\\040/g, ' ');
  }
  return undefined;
}

function mount(fsType: string, target: string, data: string | null): void {
  mkdirSync(target, { recursive: true });
  check(native.syscall(SYS.mount, cString(fsType), cString(target), cString(fsType), 0, data ? cString(data) : null),
    `mount ${fsType} at ${target}`);
}

let bpffs: string | undefined;
/** The bpffs mount point, mounting /sys/fs/bpf if no bpffs is mounted yet. */
export function ensureBpffs(): string {
  if (bpffs) return bpffs;
  bpffs = mountPointOf('bpf');
  if (!bpffs) {
    mount('bpf', '/sys/fs/bpf', 'mode=0700');
    bpffs = '/sys/fs/bpf';
  }
  return bpffs;
}

let tracefs: string | undefined;
/** The tracefs root (where events/ lives), mounting /sys/kernel/tracing if needed. */
export function ensureTracefs(): string {
  if (tracefs) return tracefs;
  const mounted = mountPointOf('tracefs');
  if (mounted && existsSync(`${mounted}/events`)) return (tracefs = mounted);
  const debugfs = mountPointOf('debugfs');
  if (debugfs && existsSync(`${debugfs}/tracing/events`)) return (tracefs = `${debugfs}/tracing`);
  mount('tracefs', '/sys/kernel/tracing', null);
  return (tracefs = '/sys/kernel/tracing');
}
