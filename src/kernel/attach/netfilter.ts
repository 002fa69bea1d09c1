// Netfilter hooks through bpf_links (LINK_CREATE NETFILTER). Hooks are per network namespace: the link goes into
// the caller's namespace, or `netns` if given. Programs return NF_DROP (0) or NF_ACCEPT (1).
import { AttachType, ProgType } from '../../sys/constants.js';
import { Errno } from '../../sys/errno.js';
import { createLink, type Link } from '../link.js';
import { inNetns, netnsPath, requireProgramType, withHints, type NetProgram } from './net-common.js';

export const NfVerdict = { DROP: 0, ACCEPT: 1 } as const;

export type NetfilterFamily = 'ipv4' | 'ipv6';
export type NetfilterHook = 'prerouting' | 'local_in' | 'forward' | 'local_out' | 'postrouting';

export interface NetfilterOptions {
  pf: NetfilterFamily;
  hook: NetfilterHook;
  /** Order among hooks (lower runs first); the extremes INT_MIN and INT_MAX are reserved by the kernel. */
  priority: number;
  /** Ask the kernel to reassemble IP fragments before the program runs (BPF_F_NETFILTER_IP_DEFRAG). */
  defrag?: boolean;
  /** Network namespace to hook (`ip netns` name or path); default: the caller's. */
  netns?: string;
}

const families: Record<NetfilterFamily, number> = { ipv4: 2, ipv6: 10 }; // NFPROTO_IPV4, NFPROTO_IPV6
const hooks: Record<NetfilterHook, number> = {
  prerouting: 0, local_in: 1, forward: 2, local_out: 3, postrouting: 4,
};
const BPF_F_NETFILTER_IP_DEFRAG = 1;

/** Attaches a NETFILTER program (loaded with expectedAttachType NETFILTER) to a netfilter hook. */
export function netfilter(prog: NetProgram, opts: NetfilterOptions): Link {
  requireProgramType(prog, [ProgType.NETFILTER], 'netfilter');
  const pf = families[opts.pf];
  const hooknum = hooks[opts.hook];
  if (pf === undefined) throw new TypeError(`netfilter pf must be 'ipv4' or 'ipv6', not '${opts.pf}'`);
  if (hooknum === undefined) throw new TypeError(`netfilter hook must be one of ${Object.keys(hooks).join(', ')}, not '${opts.hook}'`);
  if (!Number.isInteger(opts.priority) || opts.priority <= -0x80000000 || opts.priority >= 0x7fffffff) {
    throw new RangeError(`netfilter priority ${opts.priority} must be an integer strictly between INT_MIN and INT_MAX`);
  }
  const where = opts.netns === undefined ? '' : ` in ${netnsPath(opts.netns)}`;
  const description = `netfilter ${opts.pf} ${opts.hook} priority ${opts.priority}${where}`;
  return inNetns(opts.netns, () => withHints(
    () => createLink(prog.fd.value, 0, AttachType.NETFILTER, description, {
      extra: (attr) => attr.u32(16, pf).u32(20, hooknum).i32(24, opts.priority)
        .u32(28, opts.defrag ? BPF_F_NETFILTER_IP_DEFRAG : 0),
    }),
    {
      [Errno.EBUSY]: `another hook already holds priority ${opts.priority} here`,
      [Errno.EOPNOTSUPP]: 'defragmentation support (nf_defrag) is missing',
      [Errno.EINVAL]: 'the program lacks expectedAttachType NETFILTER, or pf/hook/flags are invalid',
    },
  ));
}
