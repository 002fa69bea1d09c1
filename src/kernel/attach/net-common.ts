// What the networking attachments share: the program they take, interface name → ifindex, and running a few
// syscalls inside another network namespace (setns on the calling thread only, then straight back).
import { closeSync, openSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ProgType } from '../../sys/constants.js';
import { Errno } from '../../sys/errno.js';
import { BpfError, errorFromErrno } from '../../sys/errors.js';
import { native } from '../../sys/native.js';

/** x86_64 syscall numbers used only by the networking attachments. */
export const NetSys = {
  socket: 41, ioctl: 16, setsockopt: 54, fcntl: 72, setns: 308, close: 3,
} as const;

export const CLONE_NEWNET = 0x40000000;
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SIOCGIFINDEX = 0x8933;
const IFNAMSIZ = 16;

/** A loaded program (a Program); `type`, when known, is checked against what the hook accepts. */
export interface NetProgram {
  readonly fd: { readonly value: number };
  readonly type?: ProgType;
  readonly name?: string;
}

/** An interface that does not exist (in the namespace it was looked up in). */
export class InterfaceNotFoundError extends BpfError {
  override name = 'InterfaceNotFoundError';
}

/** Throws a TypeError unless the program's type is one the hook takes. */
export function requireProgramType(prog: NetProgram, allowed: readonly ProgType[], hook: string): void {
  if (prog.type === undefined || allowed.includes(prog.type)) return;
  const want = allowed.map((t) => ProgType[t]).join(' or ');
  throw new TypeError(
    `${hook} takes ${want} programs; '${prog.name ?? 'program'}' is ${ProgType[prog.type] ?? prog.type}`);
}

/** /run/netns/NAME for a bare name (as `ip netns add` makes), the path itself otherwise. */
export function netnsPath(netns: string): string {
  return isAbsolute(netns) ? netns : join('/run/netns', netns);
}

/** Opens a network namespace file read-only, with a clear message when it is missing. */
export function openNetns(netns: string): number {
  const path = netnsPath(netns);
  try {
    return openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new BpfError(`open network namespace ${path}: ${code}`, Errno.ENOENT);
  }
}

/**
 * Runs `fn` with the calling thread in network namespace `netns` (a path or an `ip netns` name), then moves it
 * back. Only this thread moves (setns(CLONE_NEWNET) is per thread), and `fn` must be synchronous: sockets, ifindex
 * lookups and LINK_CREATE for netns-scoped hooks (XDP, tcx, netfilter) all resolve against the caller's netns.
 */
export function inNetns<T>(netns: string | undefined, fn: () => T): T {
  if (netns === undefined) return fn();
  const original = openSync('/proc/thread-self/ns/net', 'r');
  let target = -1;
  try {
    target = openNetns(netns);
    const r = native.syscall(NetSys.setns, target, CLONE_NEWNET);
    if (r < 0) throw errorFromErrno(-r, `enter network namespace ${netnsPath(netns)}`);
    try {
      return fn();
    } finally {
      const back = native.syscall(NetSys.setns, original, CLONE_NEWNET);
      // Staying in the wrong namespace would silently misdirect everything after; better to stop loudly.
      if (back < 0) throw errorFromErrno(-back, 'return to the original network namespace (thread is now stuck)');
    }
  } finally {
    if (target >= 0) closeSync(target);
    closeSync(original);
  }
}

/**
 * ifindex of an interface, looked up with SIOCGIFINDEX on a socket made in `netns` (default: the caller's).
 * Unlike /sys/class/net, this sees the namespace the thread is in, not the one sysfs was mounted from.
 */
export function interfaceIndex(iface: number | string, netns?: string): number {
  if (typeof iface === 'number') {
    if (!Number.isInteger(iface) || iface <= 0) throw new RangeError(`invalid ifindex ${iface}`);
    return iface;
  }
  const name = new TextEncoder().encode(iface);
  if (name.length === 0 || name.length >= IFNAMSIZ) {
    throw new RangeError(`interface name '${iface}' must be 1 to ${IFNAMSIZ - 1} bytes`);
  }
  return inNetns(netns, () => {
    const sock = native.syscall(NetSys.socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) throw errorFromErrno(-sock, `open a socket to look up interface '${iface}'`);
    try {
      const ifreq = new Uint8Array(40);
      ifreq.set(name);
      const r = native.syscall(NetSys.ioctl, sock, SIOCGIFINDEX, ifreq);
      const where = netns === undefined ? '' : ` in network namespace ${netnsPath(netns)}`;
      if (r === -Errno.ENODEV) throw new InterfaceNotFoundError(`no network interface '${iface}'${where}`, Errno.ENODEV);
      if (r < 0) throw errorFromErrno(-r, `look up interface '${iface}'${where}`);
      return new DataView(ifreq.buffer).getInt32(IFNAMSIZ, true);
    } finally {
      native.syscall(NetSys.close, sock);
    }
  });
}

/** "veth0 (ifindex 5)" or "ifindex 5" for messages. */
export function describeInterface(iface: number | string, ifindex: number): string {
  return typeof iface === 'string' ? `${iface} (ifindex ${ifindex})` : `ifindex ${ifindex}`;
}

/**
 * Runs an attach and, when it fails with an errno listed in `hints`, rethrows the same typed error with the hint
 * appended: the kernel's bare EBUSY or EINVAL rarely says which of the usual mistakes it was.
 */
export function withHints<T>(attach: () => T, hints: Partial<Record<number, string>>): T {
  try {
    return attach();
  } catch (err) {
    if (err instanceof BpfError && hints[err.errno] !== undefined) err.message += ` (${hints[err.errno]})`;
    throw err;
  }
}
