// XDP through a bpf_link (LINK_CREATE, attach type XDP): detached when the last fd closes, unlike a netlink
// attachment, which outlives the process.
import { AttachType, ProgType, XdpFlags } from '../../sys/constants.js';
import { Errno } from '../../sys/errno.js';
import { createLink, type Link } from '../link.js';
import { describeInterface, inNetns, interfaceIndex, requireProgramType, withHints, type NetProgram } from './net-common.js';

/** generic: skb mode, works on any device. native: in the driver (veth, real NICs). auto: native if possible. */
export type XdpMode = 'generic' | 'native' | 'auto';

export interface XdpOptions {
  mode?: XdpMode;
  /** Network namespace the interface lives in (`ip netns` name or path); default: the caller's. */
  netns?: string;
}

const modeFlags: Record<XdpMode, number> = { generic: XdpFlags.SKB_MODE, native: XdpFlags.DRV_MODE, auto: 0 };

/** Attaches an XDP program to an interface (name or ifindex). */
export function xdp(prog: NetProgram, iface: number | string, opts: XdpOptions = {}): Link {
  requireProgramType(prog, [ProgType.XDP], 'xdp');
  const mode = opts.mode ?? 'auto';
  if (!(mode in modeFlags)) throw new TypeError(`xdp mode must be generic, native or auto, not '${mode}'`);
  const ifindex = interfaceIndex(iface, opts.netns);
  const where = describeInterface(iface, ifindex);
  return inNetns(opts.netns, () => {
    return withHints(
      () => createLink(prog.fd.value, ifindex, AttachType.XDP, `xdp (${mode}) on ${where}`, { flags: modeFlags[mode] }),
      {
        [Errno.EOPNOTSUPP]: `the driver of ${where} has no native XDP; use mode 'generic'`,
        [Errno.EBUSY]: `${where} already has an XDP program, attached by another link or through netlink`,
        [Errno.EEXIST]: `${where} already has an XDP program in the other mode (native and generic exclude each other)`,
        [Errno.ENODEV]: `no interface with ifindex ${ifindex} in this network namespace`,
        [Errno.EINVAL]: 'an XDP program attached with another mode, or flags this kernel rejects',
      },
    );
  });
}
