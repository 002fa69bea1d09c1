// TC programs through tcx links (LINK_CREATE TCX_INGRESS / TCX_EGRESS): no qdisc, ordered multi-attach, and the
// attachment goes away with the link. Programs return TCX_NEXT (-1), TCX_PASS (0), TCX_DROP (2) or TCX_REDIRECT (7).
import { AttachType, ProgType } from '../../sys/constants.js';
import { Errno } from '../../sys/errno.js';
import { createLink, Link } from '../link.js';
import { describeInterface, inNetns, interfaceIndex, requireProgramType, withHints, type NetProgram } from './net-common.js';

export type TcxDirection = 'ingress' | 'egress';

/** tcx return codes. */
export const TcxAction = { NEXT: -1, PASS: 0, DROP: 2, REDIRECT: 7 } as const;

/** Another attachment on the same hook to order against, or 'all' for the very front or back. */
export type TcxAnchor = Link | NetProgram | 'all';

export interface TcxOptions {
  /** Run before this link or program ('all': first of all). */
  before?: TcxAnchor;
  /** Run after this link or program ('all': last of all). */
  after?: TcxAnchor;
  /** Fail with ESTALE unless the hook's revision is still this one (from a previous query). */
  expectedRevision?: bigint | number;
  /** Network namespace the interface lives in (`ip netns` name or path); default: the caller's. */
  netns?: string;
}

/** mprog flags from linux/bpf.h. */
const BPF_F_BEFORE = 1 << 3;
const BPF_F_AFTER = 1 << 4;
const BPF_F_LINK = 1 << 13;

const attachTypes: Record<TcxDirection, AttachType> = {
  ingress: AttachType.TCX_INGRESS, egress: AttachType.TCX_EGRESS,
};

/** Attaches a SCHED_CLS program to an interface's tcx ingress or egress hook. */
export function tcx(prog: NetProgram, iface: number | string, direction: TcxDirection, opts: TcxOptions = {}): Link {
  requireProgramType(prog, [ProgType.SCHED_CLS], 'tcx');
  const attachType = attachTypes[direction];
  if (attachType === undefined) throw new TypeError(`tcx direction must be 'ingress' or 'egress', not '${direction}'`);
  if (opts.before !== undefined && opts.after !== undefined) {
    throw new TypeError('tcx: give `before` or `after`, not both');
  }
  const { flags, relativeFd } = anchorFlags(opts);
  const ifindex = interfaceIndex(iface, opts.netns);
  const where = describeInterface(iface, ifindex);
  return inNetns(opts.netns, () => {
    return withHints(
      () => createLink(prog.fd.value, ifindex, attachType, `tcx ${direction} on ${where}`, {
        flags,
        extra: (attr) => attr.u32(16, relativeFd).u64(24, opts.expectedRevision ?? 0),
      }),
      {
        [Errno.ENODEV]: `no interface with ifindex ${ifindex} in this network namespace`,
        [Errno.ENOENT]: 'the `before`/`after` anchor is not attached to this hook',
        [Errno.EEXIST]: 'this program is already attached to this hook',
        [Errno.EINVAL]: 'tcx needs Linux 6.6+, or the anchor/flags are invalid',
      },
    );
  });
}

function anchorFlags(opts: TcxOptions): { flags: number; relativeFd: number } {
  const anchor = opts.before ?? opts.after;
  if (anchor === undefined) return { flags: 0, relativeFd: 0 };
  const side = opts.before !== undefined ? BPF_F_BEFORE : BPF_F_AFTER;
  if (anchor === 'all') return { flags: side, relativeFd: 0 };
  if (anchor instanceof Link) {
    if (!anchor.fd) throw new TypeError(`tcx anchor ${anchor.description} is not a bpf_link`);
    return { flags: side | BPF_F_LINK, relativeFd: anchor.fd.value };
  }
  return { flags: side, relativeFd: anchor.fd.value };
}
