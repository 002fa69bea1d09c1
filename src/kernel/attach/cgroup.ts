// cgroup hooks through bpf_links (LINK_CREATE with the cgroup directory's fd as target). A link detaches when its
// last fd closes; the legacy PROG_ATTACH stays until someone detaches it, so bpfkit does not use it.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { AttachType, ProgType } from '../../sys/constants.js';
import { Errno } from '../../sys/errno.js';
import { BpfError } from '../../sys/errors.js';
import { createLink, type Link } from '../link.js';
import { requireProgramType, withHints, type NetProgram } from './net-common.js';

/** Friendly names for the cgroup attach types, as bpftool spells them. */
export const CgroupHook = {
  ingress: AttachType.CGROUP_INET_INGRESS,
  egress: AttachType.CGROUP_INET_EGRESS,
  sock_create: AttachType.CGROUP_INET_SOCK_CREATE,
  sock_release: AttachType.CGROUP_INET_SOCK_RELEASE,
  sock_ops: AttachType.CGROUP_SOCK_OPS,
  device: AttachType.CGROUP_DEVICE,
  bind4: AttachType.CGROUP_INET4_BIND,
  bind6: AttachType.CGROUP_INET6_BIND,
  post_bind4: AttachType.CGROUP_INET4_POST_BIND,
  post_bind6: AttachType.CGROUP_INET6_POST_BIND,
  connect4: AttachType.CGROUP_INET4_CONNECT,
  connect6: AttachType.CGROUP_INET6_CONNECT,
  connect_unix: AttachType.CGROUP_UNIX_CONNECT,
  sendmsg4: AttachType.CGROUP_UDP4_SENDMSG,
  sendmsg6: AttachType.CGROUP_UDP6_SENDMSG,
  recvmsg4: AttachType.CGROUP_UDP4_RECVMSG,
  recvmsg6: AttachType.CGROUP_UDP6_RECVMSG,
  getpeername4: AttachType.CGROUP_INET4_GETPEERNAME,
  getpeername6: AttachType.CGROUP_INET6_GETPEERNAME,
  getsockname4: AttachType.CGROUP_INET4_GETSOCKNAME,
  getsockname6: AttachType.CGROUP_INET6_GETSOCKNAME,
  sysctl: AttachType.CGROUP_SYSCTL,
  getsockopt: AttachType.CGROUP_GETSOCKOPT,
  setsockopt: AttachType.CGROUP_SETSOCKOPT,
} as const;
export type CgroupHookName = keyof typeof CgroupHook;

/** Which program type each cgroup attach type runs. */
function programTypeFor(attachType: AttachType): ProgType | undefined {
  switch (attachType) {
    case AttachType.CGROUP_INET_INGRESS:
    case AttachType.CGROUP_INET_EGRESS:
      return ProgType.CGROUP_SKB;
    case AttachType.CGROUP_INET_SOCK_CREATE:
    case AttachType.CGROUP_INET_SOCK_RELEASE:
    case AttachType.CGROUP_INET4_POST_BIND:
    case AttachType.CGROUP_INET6_POST_BIND:
      return ProgType.CGROUP_SOCK;
    case AttachType.CGROUP_SOCK_OPS:
      return ProgType.SOCK_OPS;
    case AttachType.CGROUP_DEVICE:
      return ProgType.CGROUP_DEVICE;
    case AttachType.CGROUP_SYSCTL:
      return ProgType.CGROUP_SYSCTL;
    case AttachType.CGROUP_GETSOCKOPT:
    case AttachType.CGROUP_SETSOCKOPT:
      return ProgType.CGROUP_SOCKOPT;
    case AttachType.CGROUP_INET4_BIND:
    case AttachType.CGROUP_INET6_BIND:
    case AttachType.CGROUP_INET4_CONNECT:
    case AttachType.CGROUP_INET6_CONNECT:
    case AttachType.CGROUP_UNIX_CONNECT:
    case AttachType.CGROUP_UDP4_SENDMSG:
    case AttachType.CGROUP_UDP6_SENDMSG:
    case AttachType.CGROUP_UDP4_RECVMSG:
    case AttachType.CGROUP_UDP6_RECVMSG:
    case AttachType.CGROUP_INET4_GETPEERNAME:
    case AttachType.CGROUP_INET6_GETPEERNAME:
    case AttachType.CGROUP_INET4_GETSOCKNAME:
    case AttachType.CGROUP_INET6_GETSOCKNAME:
      return ProgType.CGROUP_SOCK_ADDR;
    default:
      return undefined;
  }
}

/**
 * Attaches a cgroup program to a cgroup v2 directory. `hook` is an AttachType or its short name ('egress',
 * 'connect4', 'sysctl', ...). Several links may share a cgroup and hook; they all run.
 */
export function cgroup(prog: NetProgram, cgroupPath: string, hook: AttachType | CgroupHookName): Link {
  const attachType = typeof hook === 'string' ? CgroupHook[hook] : hook;
  const name = typeof hook === 'string' ? hook : AttachType[hook] ?? String(hook);
  const progType = attachType === undefined ? undefined : programTypeFor(attachType);
  if (attachType === undefined || progType === undefined) {
    throw new TypeError(`'${name}' is not a cgroup attach type (try one of ${Object.keys(CgroupHook).join(', ')})`);
  }
  requireProgramType(prog, [progType], `cgroup ${name}`);
  const dir = openCgroup(cgroupPath);
  try {
    return withHints(
      () => createLink(prog.fd.value, dir, attachType, `cgroup ${name} on ${cgroupPath}`),
      {
        [Errno.EBADF]: `${cgroupPath} is not a cgroup v2 directory (cgroup v2 is mounted at ${cgroup2Mount() ?? 'nowhere'})`,
        [Errno.EINVAL]: 'was the program loaded with expectedAttachType for this hook?',
      },
    );
  } finally {
    closeSync(dir); // the link holds its own reference to the cgroup
  }
}

function openCgroup(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new BpfError(`open cgroup ${path}: ${code}`, Errno.ENOENT);
  }
}

/** Where cgroup v2 is mounted (the unified hierarchy), from /proc/mounts; undefined if it is not. */
export function cgroup2Mount(): string | undefined {
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, mountPoint, fsType] = line.split(' ');
    if (fsType === 'cgroup2' && mountPoint) return mountPoint.replace(/\\040/g, ' ');
  }
  return undefined;
}
