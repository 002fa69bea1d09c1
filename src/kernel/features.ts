// Feature probes: what the running kernel supports, found by trying the smallest load, create or attach and
// reading the exact errno (and verifier log) it answers with. Results are cached per process.
// Never infer from the kernel version or config: downstream kernels (this VM's) refuse things their version has.
import { existsSync } from 'node:fs';
import { BtfKind, vmlinuxNames } from '../btf/vmlinux-names.js';
import { encode, type Instruction } from '../isa/instruction.js';
import { bpfRaw, btfLoadAttr, linkCreateAttr, mapCreateAttr, progLoadAttr, type MapCreateAttr } from '../sys/bpf.js';
import { AttachType, BpfCmd, MapFlags, MapType, ProgType, SYS } from '../sys/constants.js';
import { Errno, errnoName } from '../sys/errno.js';
import { PermissionError } from '../sys/errors.js';
import { native } from '../sys/native.js';
import { pmuType } from '../sys/perf.js';

/** One probe's answer and, in plain words, why. */
export interface FeatureResult {
  supported: boolean;
  reason: string;
}

export interface FeatureReport extends FeatureResult {
  feature: string;
}

const cache = new Map<string, FeatureResult>();

function cached(key: string, probe: () => FeatureResult): FeatureResult {
  let r = cache.get(key);
  if (!r) cache.set(key, (r = probe()));
  return r;
}

const closeFd = (fd: number) => void native.syscall(SYS.close, fd);
const isRoot = () => process.getuid?.() === 0;

function requirePrivilege(errno: number, what: string): void {
  if ((errno === Errno.EPERM || errno === Errno.EACCES) && !isRoot()) {
    throw new PermissionError(`feature probe (${what}) needs root or CAP_BPF: ${errnoName(errno)}`, errno);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Program loads

const MOV_R0_0: Instruction = { opcode: 0xb7, dst: 0, src: 0, offset: 0, imm: 0 };
const EXIT: Instruction = { opcode: 0x95, dst: 0, src: 0, offset: 0, imm: 0 };
const RETURN_ZERO = encode([MOV_R0_0, EXIT]);

interface LoadShape {
  expectedAttachType?: number;
  attachBtfId?: number;
}

interface LoadOutcome {
  fd: number;
  errno: number;
  log: string;
}

/** Loads `insns` as `type`; closes the program at once. */
function tryLoad(type: ProgType, insns: Uint8Array, shape: LoadShape = {}, wantLog = true): LoadOutcome {
  const logBuf = wantLog ? new Uint8Array(64 * 1024) : undefined;
  const r = bpfRaw(BpfCmd.PROG_LOAD, progLoadAttr({
    progType: type, insns, license: 'GPL', name: 'bpfkit_probe', expectedAttachType: shape.expectedAttachType ?? 0,
    attachBtfId: shape.attachBtfId ?? 0, ...(logBuf ? { logBuf, logLevel: 1 } : {}),
  }));
  if (r >= 0) {
    closeFd(r);
    return { fd: r, errno: 0, log: '' };
  }
  const log = logBuf ? new TextDecoder().decode(logBuf.subarray(0, Math.max(0, logBuf.indexOf(0)))).trim() : '';
  return { fd: -1, errno: -r, log };
}

/** A load that fails with a verifier log got past the program-type check: the kernel knows the type. */
function interpretLoad(o: LoadOutcome, what: string): FeatureResult {
  if (o.fd >= 0) return { supported: true, reason: 'loads' };
  requirePrivilege(o.errno, what);
  if (o.errno === Errno.EPERM) return { supported: false, reason: `${errnoName(o.errno)} at load: this kernel refuses it` };
  if (o.log === '') return { supported: false, reason: `${errnoName(o.errno)} at load without a verifier log: unknown to this kernel` };
  return { supported: true, reason: `known (minimal probe rejected by the verifier${lastLine(o.log) ? `: ${lastLine(o.log)}` : ''})` };
}

/** The verifier's last words, without its statistics lines. */
const lastLine = (log: string) =>
  log.split('\n').filter((l) => l && !l.startsWith('processed ') && !l.startsWith('verification time')).pop() ?? '';

function btfId(kind: BtfKind, ...names: string[]): number | undefined {
  const index = vmlinuxNames();
  for (const n of names) {
    const id = index?.find(kind, n);
    if (id !== undefined) return id;
  }
  return undefined;
}

/** The attach shape a program type needs to load at all (targets for trampolines, a fixed expected attach). */
function defaultShape(type: ProgType): LoadShape | undefined {
  switch (type) {
    case ProgType.CGROUP_SOCK_ADDR: return { expectedAttachType: AttachType.CGROUP_INET4_CONNECT };
    case ProgType.CGROUP_SOCKOPT: return { expectedAttachType: AttachType.CGROUP_GETSOCKOPT };
    case ProgType.SK_LOOKUP: return { expectedAttachType: AttachType.SK_LOOKUP };
    case ProgType.NETFILTER: return { expectedAttachType: AttachType.NETFILTER };
    case ProgType.TRACING: return tracingShape(AttachType.TRACE_RAW_TP);
    case ProgType.LSM: return tracingShape(AttachType.LSM_MAC);
    default: return {};
  }
}

/** Attach type + a real vmlinux target for TRACING/LSM loads; undefined without kernel BTF. */
function tracingShape(attach: AttachType): LoadShape | undefined {
  let id: number | undefined;
  switch (attach) {
    case AttachType.TRACE_RAW_TP: id = btfId(BtfKind.TYPEDEF, 'btf_trace_sched_switch'); break;
    case AttachType.TRACE_ITER: id = btfId(BtfKind.FUNC, 'bpf_iter_task'); break;
    case AttachType.LSM_MAC: case AttachType.LSM_CGROUP: id = btfId(BtfKind.FUNC, 'bpf_lsm_file_open'); break;
    // fmod_ret may only modify security hooks (or error-injectable functions, which need extra config).
    case AttachType.MODIFY_RETURN: id = btfId(BtfKind.FUNC, 'security_file_open', 'bpf_modify_return_test'); break;
    default: id = btfId(BtfKind.FUNC, 'bpf_fentry_test1', 'do_unlinkat', 'vfs_read');
  }
  return id === undefined ? undefined : { expectedAttachType: attach, attachBtfId: id };
}

const noBtf: FeatureResult = { supported: false, reason: 'no kernel BTF to name a target (/sys/kernel/btf/vmlinux)' };

function probeProgramType(type: ProgType): FeatureResult {
  const shape = defaultShape(type);
  if (!shape) return noBtf;
  return interpretLoad(tryLoad(type, RETURN_ZERO, shape), `program type ${ProgType[type]}`);
}

function probeAttachType(type: ProgType, attach: AttachType): FeatureResult {
  if (!probeProgramType(type).supported) return { supported: false, reason: `program type ${ProgType[type]} is not supported` };
  let shape: LoadShape | undefined = { expectedAttachType: attach };
  if (type === ProgType.TRACING || type === ProgType.LSM) shape = tracingShape(attach);
  if (!shape) return noBtf;
  return interpretLoad(tryLoad(type, RETURN_ZERO, shape), `${ProgType[type]} with attach type ${AttachType[attach]}`);
}

/** r1..r5 = 0; call helper; r0 = 0; exit. Unknown or forbidden helpers are named as such in the log. */
function probeHelper(type: ProgType, helper: number): FeatureResult {
  if (!probeProgramType(type).supported) return { supported: false, reason: `program type ${ProgType[type]} is not supported` };
  const shape = defaultShape(type)!;
  const insns: Instruction[] = [1, 2, 3, 4, 5].map((r) => ({ opcode: 0xb7, dst: r, src: 0, offset: 0, imm: 0 }));
  insns.push({ opcode: 0x85, dst: 0, src: 0, offset: 0, imm: helper }, MOV_R0_0, EXIT);
  const o = tryLoad(type, encode(insns), shape);
  if (o.fd >= 0) return { supported: true, reason: 'loads' };
  requirePrivilege(o.errno, `helper ${helper}`);
  const refusal = /invalid func |unknown func |cannot use helper|cannot call /;
  const line = o.log.split('\n').find((l) => refusal.test(l));
  if (line) return { supported: false, reason: `verifier: ${line}` };
  if (o.log === '') return { supported: false, reason: `${errnoName(o.errno)} at load without a verifier log` };
  return { supported: true, reason: `known (probe call rejected for its arguments: ${lastLine(o.log)})` };
}

// ---------------------------------------------------------------------------------------------------------------
// Map creation

/** The smallest valid creation attributes for each map type. */
function mapShape(type: MapType): Omit<MapCreateAttr, 'mapType'> | undefined {
  const small = { keySize: 4, valueSize: 4, maxEntries: 1 };
  switch (type) {
    case MapType.UNSPEC: case MapType.STRUCT_OPS: return undefined;
    case MapType.STACK_TRACE: return { keySize: 4, valueSize: 8, maxEntries: 1 };
    case MapType.LPM_TRIE: return { keySize: 8, valueSize: 4, maxEntries: 1, flags: MapFlags.NO_PREALLOC };
    case MapType.CGROUP_STORAGE: case MapType.PERCPU_CGROUP_STORAGE: return { keySize: 8, valueSize: 4, maxEntries: 0 };
    case MapType.QUEUE: case MapType.STACK: case MapType.BLOOM_FILTER: return { keySize: 0, valueSize: 4, maxEntries: 1 };
    case MapType.RINGBUF: case MapType.USER_RINGBUF: return { keySize: 0, valueSize: 0, maxEntries: 4096 };
    case MapType.ARENA: return { keySize: 0, valueSize: 0, maxEntries: 1, flags: MapFlags.MMAPABLE };
    case MapType.SK_STORAGE: case MapType.INODE_STORAGE: case MapType.TASK_STORAGE: case MapType.CGRP_STORAGE:
      return { keySize: 4, valueSize: 4, maxEntries: 0, flags: MapFlags.NO_PREALLOC };
    default: return small;
  }
}

/** BTF with one type, [1] int: local storage maps must describe key and value with BTF. */
function intBtf(): Uint8Array {
  const strings = new TextEncoder().encode('\0int\0');
  const b = new Uint8Array(24 + 16 + strings.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, 0xeb9f, true); v.setUint8(2, 1); v.setUint32(4, 24, true);
  v.setUint32(8, 0, true); v.setUint32(12, 16, true); v.setUint32(16, 16, true); v.setUint32(20, strings.length, true);
  v.setUint32(24, 1, true); v.setUint32(28, 1 << 24, true); v.setUint32(32, 4, true); v.setUint32(36, (1 << 24) | 32, true);
  b.set(strings, 40);
  return b;
}

function loadBtf(): number {
  return bpfRaw(BpfCmd.BTF_LOAD, btfLoadAttr(intBtf()));
}

function probeMapType(type: MapType): FeatureResult {
  const shape = mapShape(type);
  if (!shape) return { supported: false, reason: 'not probed (needs a kernel struct to describe it)' };
  const held: number[] = [];
  try {
    const attr: MapCreateAttr = { mapType: type, ...shape };
    if (type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS) {
      const inner = bpfRaw(BpfCmd.MAP_CREATE, mapCreateAttr({ mapType: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }));
      if (inner < 0) return { supported: false, reason: `inner map: ${errnoName(-inner)}` };
      held.push(inner);
      attr.innerMapFd = inner;
    }
    if (attr.flags === MapFlags.NO_PREALLOC && attr.maxEntries === 0) {
      const btf = loadBtf();
      if (btf < 0) return { supported: false, reason: `needs BTF, and BTF_LOAD failed: ${errnoName(-btf)}` };
      held.push(btf);
      Object.assign(attr, { btfFd: btf, btfKeyTypeId: 1, btfValueTypeId: 1 });
    }
    const r = bpfRaw(BpfCmd.MAP_CREATE, mapCreateAttr(attr));
    if (r >= 0) {
      closeFd(r);
      return { supported: true, reason: 'creates' };
    }
    requirePrivilege(-r, `map type ${MapType[type]}`);
    return { supported: false, reason: `${errnoName(-r)} at create` };
  } finally {
    held.forEach(closeFd);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Attach-level probes

/** LINK_CREATE(PERF_EVENT) on a bad perf fd: EBADF means the kernel looked for the fd, so perf links exist. */
function probePerfLinks(): FeatureResult {
  return withProgram(ProgType.TRACEPOINT, {}, (fd) => {
    const r = bpfRaw(BpfCmd.LINK_CREATE, linkCreateAttr(fd, 0xffffffff, AttachType.PERF_EVENT));
    if (r >= 0) closeFd(r);
    if (-r === Errno.EBADF) return { supported: true, reason: 'LINK_CREATE(PERF_EVENT) looked up the perf fd (EBADF)' };
    return { supported: false, reason: `LINK_CREATE(PERF_EVENT): ${errnoName(-r)}` };
  });
}

/** kprobe_multi with zero sites: EOPNOTSUPP without fprobe, EINVAL (bad count) when links exist. */
function probeKprobeMulti(): FeatureResult {
  return withProgram(ProgType.KPROBE, { expectedAttachType: AttachType.TRACE_KPROBE_MULTI }, (fd) => {
    const r = bpfRaw(BpfCmd.LINK_CREATE, linkCreateAttr(fd, 0, AttachType.TRACE_KPROBE_MULTI));
    if (r >= 0) closeFd(r);
    if (-r === Errno.EOPNOTSUPP) return { supported: false, reason: 'LINK_CREATE(KPROBE_MULTI): EOPNOTSUPP: CONFIG_FPROBE is off' };
    // Older kernels also say EINVAL (unknown attach type); the attach function in BTF tells them apart.
    if (-r === Errno.EINVAL && btfId(BtfKind.FUNC, 'bpf_kprobe_multi_link_attach') !== undefined) {
      return { supported: true, reason: 'LINK_CREATE(KPROBE_MULTI) checked its arguments (EINVAL)' };
    }
    return { supported: false, reason: `LINK_CREATE(KPROBE_MULTI): ${errnoName(-r)}` };
  });
}

function probeUprobeMulti(): FeatureResult {
  return withProgram(ProgType.KPROBE, { expectedAttachType: AttachType.TRACE_UPROBE_MULTI }, (fd) => {
    const r = bpfRaw(BpfCmd.LINK_CREATE, linkCreateAttr(fd, 0, AttachType.TRACE_UPROBE_MULTI));
    if (r >= 0) closeFd(r);
    if (-r === Errno.EOPNOTSUPP) return { supported: false, reason: 'LINK_CREATE(UPROBE_MULTI): EOPNOTSUPP: CONFIG_UPROBES is off' };
    if ((-r === Errno.EINVAL || -r === Errno.EBADF) && btfId(BtfKind.FUNC, 'bpf_uprobe_multi_link_attach') !== undefined) {
      return { supported: true, reason: `LINK_CREATE(UPROBE_MULTI) checked its arguments (${errnoName(-r)})` };
    }
    return { supported: false, reason: `LINK_CREATE(UPROBE_MULTI): ${errnoName(-r)}` };
  });
}

function withProgram(type: ProgType, shape: LoadShape, body: (fd: number) => FeatureResult): FeatureResult {
  const r = bpfRaw(BpfCmd.PROG_LOAD, progLoadAttr({
    progType: type, insns: RETURN_ZERO, license: 'GPL', name: 'bpfkit_probe', expectedAttachType: shape.expectedAttachType ?? 0,
  }));
  if (r < 0) {
    requirePrivilege(-r, `${ProgType[type]} program`);
    return { supported: false, reason: `${ProgType[type]} program: ${errnoName(-r)} at load` };
  }
  try {
    return body(r);
  } finally {
    closeFd(r);
  }
}

/** kprobes exist when the kprobe PMU or tracefs kprobe_events does; neither exists without CONFIG_KPROBES. */
function probeKprobes(): FeatureResult {
  if (pmuType('kprobe') !== undefined) return { supported: true, reason: 'kprobe perf PMU present' };
  for (const root of ['/sys/kernel/tracing', '/sys/kernel/debug/tracing']) {
    if (existsSync(`${root}/kprobe_events`)) return { supported: true, reason: `${root}/kprobe_events present` };
  }
  return { supported: false, reason: 'no kprobe PMU and no kprobe_events: CONFIG_KPROBES is off' };
}

function probeTrampoline(attach: AttachType, what: string): FeatureResult {
  const type = attach === AttachType.LSM_MAC ? ProgType.LSM : ProgType.TRACING;
  const shape = tracingShape(attach);
  if (!shape) return noBtf;
  const o = tryLoad(type, RETURN_ZERO, shape);
  if (o.fd >= 0) return { supported: true, reason: 'loads' };
  requirePrivilege(o.errno, what);
  if (o.errno === Errno.EPERM && o.log === '') {
    return { supported: false, reason: 'EPERM at load with an empty log: this kernel refuses function trampolines' };
  }
  return { supported: false, reason: `${errnoName(o.errno)} at load${o.log ? `: ${lastLine(o.log)}` : ''}` };
}

function probeBtf(): FeatureResult {
  const r = loadBtf();
  if (r >= 0) {
    closeFd(r);
    return { supported: true, reason: 'BTF_LOAD accepted a one-type blob' };
  }
  requirePrivilege(-r, 'BTF load');
  return { supported: false, reason: `BTF_LOAD: ${errnoName(-r)}` };
}

function probeVmlinuxBtf(): FeatureResult {
  const index = vmlinuxNames();
  return index
    ? { supported: true, reason: `/sys/kernel/btf/vmlinux: ${index.count} types` }
    : { supported: false, reason: '/sys/kernel/btf/vmlinux is missing (CONFIG_DEBUG_INFO_BTF off)' };
}

// ---------------------------------------------------------------------------------------------------------------

/** Cached kernel feature probes. Every method returns a boolean; `explain()` gives the reason. */
export const features = {
  programType: (type: ProgType) => cached(`prog:${type}`, () => probeProgramType(type)).supported,
  mapType: (type: MapType) => cached(`map:${type}`, () => probeMapType(type)).supported,
  /** Whether programs of `type` may call helper `helper` (a Helper id). */
  helper: (type: ProgType, helper: number) => cached(`helper:${type}:${helper}`, () => probeHelper(type, helper)).supported,
  /** Whether programs of `type` load with expected attach type `attach` (the link itself is not tried). */
  attachType: (type: ProgType, attach: AttachType) => cached(`attach:${type}:${attach}`, () => probeAttachType(type, attach)).supported,
  kprobes: () => cached('kprobes', probeKprobes).supported,
  kprobeMulti: () => cached('kprobe_multi', probeKprobeMulti).supported,
  uprobes: () => cached('uprobes', () => (pmuType('uprobe') !== undefined
    ? { supported: true, reason: 'uprobe perf PMU present' }
    : { supported: false, reason: 'no uprobe perf PMU: CONFIG_UPROBES is off' })).supported,
  uprobeMulti: () => cached('uprobe_multi', probeUprobeMulti).supported,
  fentry: () => cached('fentry', () => probeTrampoline(AttachType.TRACE_FENTRY, 'fentry')).supported,
  fexit: () => cached('fexit', () => probeTrampoline(AttachType.TRACE_FEXIT, 'fexit')).supported,
  fmodRet: () => cached('fmod_ret', () => probeTrampoline(AttachType.MODIFY_RETURN, 'fmod_ret')).supported,
  lsm: () => cached('lsm', () => probeTrampoline(AttachType.LSM_MAC, 'lsm')).supported,
  tpBtf: () => cached('tp_btf', () => probeAttachType(ProgType.TRACING, AttachType.TRACE_RAW_TP)).supported,
  iter: () => cached('iter', () => probeAttachType(ProgType.TRACING, AttachType.TRACE_ITER)).supported,
  rawTracepoint: () => features.programType(ProgType.RAW_TRACEPOINT),
  perfLinks: () => cached('perf_links', probePerfLinks).supported,
  ringbuf: () => features.mapType(MapType.RINGBUF),
  /** The kernel accepts BTF_LOAD (program and map BTF). */
  btf: () => cached('btf', probeBtf).supported,
  /** The kernel describes itself in BTF (tp_btf, fentry, iter, CO-RE). */
  vmlinuxBtf: () => cached('vmlinux_btf', probeVmlinuxBtf).supported,

  /** Why a cached probe answered as it did (call the probe first). */
  explain(key: string): string | undefined {
    return cache.get(key)?.reason;
  },

  /** Every named probe and its answer, for `bpfkit --info`. */
  summary(): FeatureReport[] {
    const named: Array<[string, string, () => boolean]> = [
      ['bpf_link for perf events', 'perf_links', features.perfLinks],
      ['kernel BTF', 'vmlinux_btf', features.vmlinuxBtf],
      ['BTF load', 'btf', features.btf],
      ['raw tracepoints', `prog:${ProgType.RAW_TRACEPOINT}`, features.rawTracepoint],
      ['tp_btf', 'tp_btf', features.tpBtf],
      ['bpf_iter', 'iter', features.iter],
      ['kprobes', 'kprobes', features.kprobes],
      ['kprobe_multi', 'kprobe_multi', features.kprobeMulti],
      ['uprobes', 'uprobes', features.uprobes],
      ['uprobe_multi', 'uprobe_multi', features.uprobeMulti],
      ['fentry', 'fentry', features.fentry],
      ['fexit', 'fexit', features.fexit],
      ['fmod_ret', 'fmod_ret', features.fmodRet],
      ['BPF LSM', 'lsm', features.lsm],
      ['ring buffer', `map:${MapType.RINGBUF}`, features.ringbuf],
    ];
    const out: FeatureReport[] = named.map(([feature, key, probe]) => {
      const supported = probe();
      return { feature, supported, reason: cache.get(key)?.reason ?? '' };
    });
    for (const t of programTypes()) {
      const supported = features.programType(t);
      out.push({ feature: `program type ${ProgType[t]}`, supported, reason: cache.get(`prog:${t}`)!.reason });
    }
    for (const t of mapTypes()) {
      const supported = features.mapType(t);
      out.push({ feature: `map type ${MapType[t]}`, supported, reason: cache.get(`map:${t}`)!.reason });
    }
    return out;
  },

  /** Forgets every cached answer. */
  reset(): void {
    cache.clear();
  },
};

function programTypes(): ProgType[] {
  return Object.values(ProgType).filter((v): v is ProgType => typeof v === 'number' && v !== ProgType.UNSPEC);
}

function mapTypes(): MapType[] {
  return Object.values(MapType).filter((v): v is MapType => typeof v === 'number' && v !== MapType.UNSPEC && v !== MapType.STRUCT_OPS);
}
