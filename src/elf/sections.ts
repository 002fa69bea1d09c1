// libbpf's SEC() naming conventions: section name → program type, expected attach type and attach target.
// Facts from libbpf's documented section table (program_types.rst); the table below is our own.
import { AttachType, ProgFlags, ProgType } from '../sys/constants.js';

/** How a section name says to load and attach its programs. */
export interface SectionKind {
  type: ProgType;
  expectedAttachType?: AttachType;
  /** The part after the prefix ("syscalls/sys_enter_openat" for "tracepoint/syscalls/sys_enter_openat"). */
  attachTo?: string;
  /** The matched convention ("tracepoint", "uprobe", "xdp", ...): what the loader attaches by. */
  kind: string;
  /** prog_flags implied by the name (sleepable ".s" variants, XDP frags). */
  flags?: number;
  /** The attach target is a BTF type id in the kernel's BTF (tp_btf, fentry, lsm, iter). */
  needsBtfTarget?: boolean;
}

interface Rule {
  prefix: string;
  type: ProgType;
  attach?: AttachType;
  /** 'exact': no suffix allowed; 'target': "prefix/target"; 'optional': either. */
  form: 'exact' | 'target' | 'optional';
  btf?: boolean;
  flags?: number;
}

const A = AttachType;
const P = ProgType;
const rule = (prefix: string, type: ProgType, form: Rule['form'], attach?: AttachType, extra: Partial<Rule> = {}): Rule =>
  ({ prefix, type, form, ...(attach !== undefined ? { attach } : {}), ...extra });

// Longest prefixes first where one prefix is a prefix of another (matching is on "prefix" + ("/" | "" | ".s")).
const RULES: Rule[] = [
  rule('socket', P.SOCKET_FILTER, 'optional'),
  rule('sk_reuseport/migrate', P.SK_REUSEPORT, 'exact', A.SK_REUSEPORT_SELECT_OR_MIGRATE),
  rule('sk_reuseport', P.SK_REUSEPORT, 'exact', A.SK_REUSEPORT_SELECT),
  rule('kprobe.multi', P.KPROBE, 'target', A.TRACE_KPROBE_MULTI),
  rule('kretprobe.multi', P.KPROBE, 'target', A.TRACE_KPROBE_MULTI),
  rule('uprobe.multi', P.KPROBE, 'optional', A.TRACE_UPROBE_MULTI),
  rule('uretprobe.multi', P.KPROBE, 'optional', A.TRACE_UPROBE_MULTI),
  rule('uprobe.multi.s', P.KPROBE, 'optional', A.TRACE_UPROBE_MULTI, { flags: ProgFlags.SLEEPABLE }),
  rule('uretprobe.multi.s', P.KPROBE, 'optional', A.TRACE_UPROBE_MULTI, { flags: ProgFlags.SLEEPABLE }),
  rule('kprobe', P.KPROBE, 'optional'),
  rule('kretprobe', P.KPROBE, 'optional'),
  rule('uprobe.s', P.KPROBE, 'optional', undefined, { flags: ProgFlags.SLEEPABLE }),
  rule('uretprobe.s', P.KPROBE, 'optional', undefined, { flags: ProgFlags.SLEEPABLE }),
  rule('uprobe', P.KPROBE, 'optional'),
  rule('uretprobe', P.KPROBE, 'optional'),
  rule('usdt.s', P.KPROBE, 'optional', undefined, { flags: ProgFlags.SLEEPABLE }),
  rule('usdt', P.KPROBE, 'optional'),
  rule('ksyscall', P.KPROBE, 'target'),
  rule('kretsyscall', P.KPROBE, 'target'),
  rule('tc/ingress', P.SCHED_CLS, 'exact', A.TCX_INGRESS),
  rule('tc/egress', P.SCHED_CLS, 'exact', A.TCX_EGRESS),
  rule('tcx/ingress', P.SCHED_CLS, 'exact', A.TCX_INGRESS),
  rule('tcx/egress', P.SCHED_CLS, 'exact', A.TCX_EGRESS),
  rule('tc', P.SCHED_CLS, 'optional'),
  rule('classifier', P.SCHED_CLS, 'optional'),
  rule('action', P.SCHED_ACT, 'optional'),
  rule('tracepoint', P.TRACEPOINT, 'target'),
  rule('tp', P.TRACEPOINT, 'target'),
  rule('raw_tracepoint.w', P.RAW_TRACEPOINT_WRITABLE, 'target'),
  rule('raw_tp.w', P.RAW_TRACEPOINT_WRITABLE, 'target'),
  rule('raw_tracepoint', P.RAW_TRACEPOINT, 'target'),
  rule('raw_tp', P.RAW_TRACEPOINT, 'target'),
  rule('tp_btf', P.TRACING, 'target', A.TRACE_RAW_TP, { btf: true }),
  rule('fentry.s', P.TRACING, 'target', A.TRACE_FENTRY, { btf: true, flags: ProgFlags.SLEEPABLE }),
  rule('fexit.s', P.TRACING, 'target', A.TRACE_FEXIT, { btf: true, flags: ProgFlags.SLEEPABLE }),
  rule('fmod_ret.s', P.TRACING, 'target', A.MODIFY_RETURN, { btf: true, flags: ProgFlags.SLEEPABLE }),
  rule('fentry', P.TRACING, 'target', A.TRACE_FENTRY, { btf: true }),
  rule('fexit', P.TRACING, 'target', A.TRACE_FEXIT, { btf: true }),
  rule('fmod_ret', P.TRACING, 'target', A.MODIFY_RETURN, { btf: true }),
  rule('freplace', P.EXT, 'target'),
  rule('lsm.s', P.LSM, 'target', A.LSM_MAC, { btf: true, flags: ProgFlags.SLEEPABLE }),
  rule('lsm_cgroup', P.LSM, 'target', A.LSM_CGROUP, { btf: true }),
  rule('lsm', P.LSM, 'target', A.LSM_MAC, { btf: true }),
  rule('iter.s', P.TRACING, 'target', A.TRACE_ITER, { btf: true, flags: ProgFlags.SLEEPABLE }),
  rule('iter', P.TRACING, 'target', A.TRACE_ITER, { btf: true }),
  rule('syscall', P.SYSCALL, 'exact', undefined, { flags: ProgFlags.SLEEPABLE }),
  rule('xdp.frags/devmap', P.XDP, 'exact', A.XDP_DEVMAP, { flags: ProgFlags.XDP_HAS_FRAGS }),
  rule('xdp/devmap', P.XDP, 'exact', A.XDP_DEVMAP),
  rule('xdp.frags/cpumap', P.XDP, 'exact', A.XDP_CPUMAP, { flags: ProgFlags.XDP_HAS_FRAGS }),
  rule('xdp/cpumap', P.XDP, 'exact', A.XDP_CPUMAP),
  rule('xdp.frags', P.XDP, 'exact', A.XDP, { flags: ProgFlags.XDP_HAS_FRAGS }),
  rule('xdp', P.XDP, 'exact', A.XDP),
  rule('perf_event', P.PERF_EVENT, 'exact'),
  rule('lwt_in', P.LWT_IN, 'exact'),
  rule('lwt_out', P.LWT_OUT, 'exact'),
  rule('lwt_xmit', P.LWT_XMIT, 'exact'),
  rule('lwt_seg6local', P.LWT_SEG6LOCAL, 'exact'),
  rule('sockops', P.SOCK_OPS, 'exact', A.CGROUP_SOCK_OPS),
  rule('sk_skb/stream_parser', P.SK_SKB, 'exact', A.SK_SKB_STREAM_PARSER),
  rule('sk_skb/stream_verdict', P.SK_SKB, 'exact', A.SK_SKB_STREAM_VERDICT),
  rule('sk_skb/verdict', P.SK_SKB, 'exact', A.SK_SKB_VERDICT),
  rule('sk_skb', P.SK_SKB, 'exact'),
  rule('sk_msg', P.SK_MSG, 'exact', A.SK_MSG_VERDICT),
  rule('lirc_mode2', P.LIRC_MODE2, 'exact', A.LIRC_MODE2),
  rule('flow_dissector', P.FLOW_DISSECTOR, 'exact', A.FLOW_DISSECTOR),
  rule('cgroup_skb/ingress', P.CGROUP_SKB, 'exact', A.CGROUP_INET_INGRESS),
  rule('cgroup_skb/egress', P.CGROUP_SKB, 'exact', A.CGROUP_INET_EGRESS),
  rule('cgroup/skb', P.CGROUP_SKB, 'exact'),
  rule('cgroup/sock_create', P.CGROUP_SOCK, 'exact', A.CGROUP_INET_SOCK_CREATE),
  rule('cgroup/sock_release', P.CGROUP_SOCK, 'exact', A.CGROUP_INET_SOCK_RELEASE),
  rule('cgroup/sock', P.CGROUP_SOCK, 'exact', A.CGROUP_INET_SOCK_CREATE),
  rule('cgroup/post_bind4', P.CGROUP_SOCK, 'exact', A.CGROUP_INET4_POST_BIND),
  rule('cgroup/post_bind6', P.CGROUP_SOCK, 'exact', A.CGROUP_INET6_POST_BIND),
  rule('cgroup/dev', P.CGROUP_DEVICE, 'exact', A.CGROUP_DEVICE),
  rule('cgroup/bind4', P.CGROUP_SOCK_ADDR, 'exact', A.CGROUP_INET4_BIND),
  rule('cgroup/bind6', P.CGROUP_SOCK_ADDR, 'exact', A.CGROUP_INET6_BIND),
  rule('cgroup/connect4', P.CGROUP_SOCK_ADDR, 'exact', A.CGROUP_INET4_CONNECT),
  rule('cgroup/connect6', P.CGROUP_SOCK_ADDR, 'exact', A.CGROUP_INET6_CONNECT),
  rule('cgroup/connect_unix', P.CGROUP_SOCK_ADDR, 'exact', A.CGROUP_UNIX_CONNECT),
  rule('cgroup/sendmsg4', P.CGROUP_SOCK_ADDR, 'exact', A.CGROUP_UDP4_SENDMSG),
  rule('cgroup/sendmsg6', P.CGROUP_SOCK_ADDR, 'exact', A.CGROUP_UDP6_SENDMSG),
  rule('cgroup/recvmsg4', P.CGROUP_SOCK_ADDR, 'exact', A.CGROUP_UDP4_RECVMSG),
  rule('cgroup/recvmsg6', P.CGROUP_SOCK_ADDR, 'exact', A.CGROUP_UDP6_RECVMSG),
  rule('cgroup/getpeername4', P.CGROUP_SOCK_ADDR, 'exact', A.CGROUP_INET4_GETPEERNAME),
  rule('cgroup/getpeername6', P.CGROUP_SOCK_ADDR, 'exact', A.CGROUP_INET6_GETPEERNAME),
  rule('cgroup/getsockname4', P.CGROUP_SOCK_ADDR, 'exact', A.CGROUP_INET4_GETSOCKNAME),
  rule('cgroup/getsockname6', P.CGROUP_SOCK_ADDR, 'exact', A.CGROUP_INET6_GETSOCKNAME),
  rule('cgroup/sysctl', P.CGROUP_SYSCTL, 'exact', A.CGROUP_SYSCTL),
  rule('cgroup/getsockopt', P.CGROUP_SOCKOPT, 'exact', A.CGROUP_GETSOCKOPT),
  rule('cgroup/setsockopt', P.CGROUP_SOCKOPT, 'exact', A.CGROUP_SETSOCKOPT),
  rule('struct_ops.s', P.STRUCT_OPS, 'optional', undefined, { flags: ProgFlags.SLEEPABLE }),
  rule('struct_ops', P.STRUCT_OPS, 'optional'),
  rule('sk_lookup', P.SK_LOOKUP, 'exact', A.SK_LOOKUP),
  rule('netfilter', P.NETFILTER, 'exact', A.NETFILTER),
];

/** The program type and attach details a libbpf-style section name implies, or undefined when unknown. */
export function classifySection(section: string): SectionKind | undefined {
  for (const r of RULES) {
    let attachTo: string | undefined;
    if (section === r.prefix) {
      if (r.form === 'target') continue;
    } else if (section.startsWith(r.prefix + '/') && r.form !== 'exact') {
      attachTo = section.slice(r.prefix.length + 1);
    } else {
      continue;
    }
    const kind: SectionKind = { type: r.type, kind: r.prefix.replace(/\.s$/, '') };
    if (r.attach !== undefined) kind.expectedAttachType = r.attach;
    if (attachTo !== undefined && attachTo !== '') kind.attachTo = attachTo;
    if (r.flags) kind.flags = r.flags;
    if (r.btf) kind.needsBtfTarget = true;
    return kind;
  }
  return undefined;
}
