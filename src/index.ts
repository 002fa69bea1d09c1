// bpfkit's public API.
export * from './sys/constants.js';
export * from './sys/errors.js';
export { Errno, errnoName } from './sys/errno.js';
export * from './isa/index.js';
export * from './spec/collection.js';
export * from './kernel/codec.js';
export { BpfMap, isPerCpu, type MapCodecs } from './kernel/map.js';
export * from './kernel/maps/index.js';
export { Program, VerifierError, type LoadOptions, type TestRunOptions, type TestRunResult } from './kernel/program.js';
export { Link, createLink } from './kernel/link.js';
export { FileDescriptor } from './kernel/fd.js';
export { openPinned, unpin } from './kernel/pin.js';
export { ensureBpffs, ensureTracefs } from './kernel/mounts.js';
export { possibleCpus, onlineCpus } from './kernel/cpus.js';
export * from './kernel/info.js';
export { xdp, type XdpMode, type XdpOptions } from './kernel/attach/xdp.js';
export { tcx, TcxAction, type TcxDirection, type TcxOptions, type TcxAnchor } from './kernel/attach/tcx.js';
export { cgroup, cgroup2Mount, CgroupHook, type CgroupHookName } from './kernel/attach/cgroup.js';
export { socketFilter } from './kernel/attach/socket-filter.js';
export { skLookup, SkAction } from './kernel/attach/sk-lookup.js';
export { netfilter, NfVerdict, type NetfilterOptions, type NetfilterHook, type NetfilterFamily } from './kernel/attach/netfilter.js';
export { inNetns, interfaceIndex, InterfaceNotFoundError, type NetProgram } from './kernel/attach/net-common.js';
export { tracepoint, tracepointId, listTracepoints, TracepointNotFoundError } from './kernel/attach/tracepoint.js';
export { rawTracepoint } from './kernel/attach/raw-tracepoint.js';
export { tpBtf, tpBtfTarget } from './kernel/attach/tp-btf.js';
export { perfEvent, type PerfEventLinks } from './kernel/attach/perf-event.js';
export { kprobe, kretprobe, kprobeMulti } from './kernel/attach/kprobe.js';
export { fentry, fexit, fmodRet, lsm, fentryTarget, fexitTarget, fmodRetTarget, lsmTarget } from './kernel/attach/tracing.js';
export { iter } from './kernel/attach/iter.js';
export { uprobe, uretprobe, uprobeMulti, PtRegs, argOffset } from './kernel/attach/uprobe.js';
export { usdt, usdtSites, findUsdtProbe, loadUsdtArg } from './kernel/attach/usdt.js';
export { features } from './kernel/features.js';
export { listPrograms, listMaps, listLinks, enableStats } from './kernel/objects.js';
export { Collection, type CollectionOptions } from './kernel/collection.js';
export {
  RingBufferReader, type RingBufferReaderOptions, type RingBufferMapLike, type RingRecordCallback, type RawRecordCallback,
} from './kernel/readers/ringbuf.js';
export {
  PerfReader, type PerfReaderOptions, type PerfRecord, type PerfRecordCallback, type PerfLostCallback,
  type PerfEventArrayMapLike,
} from './kernel/readers/perf.js';
export { type ReaderOptions } from './kernel/readers/reader.js';
export {
  readObject, readObjectFile, ObjectError, type ObjectSpec, type ObjectProgramSpec, type GlobalVariable,
  type LinkedFunction, type DataSection, type ReadObjectOptions,
} from './elf/object.js';
export { classifySection, type SectionKind } from './elf/sections.js';
export { generateTypes, type GenTypesOptions } from './elf/gen-types.js';
export {
  ObjectCollection, Variable, attachBySection, AttachNotPossibleError, type LoadObjectOptions, type AttachContext,
  type VariableValue,
} from './kernel/object.js';
