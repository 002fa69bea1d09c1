// The bpf() syscall with typed attr builders for each command bpfkit uses. Returns fds / throws typed errors.
import { Attr, cString, type Pointee } from './attr.js';
import { BpfCmd } from './constants.js';
import { check } from './errors.js';
import { native } from './native.js';

/** bpf(cmd, attr): the result, or a typed error naming `what`. */
export function bpf(cmd: BpfCmd, attr: Attr, what: string | (() => string)): number {
  return check(native.bpf(cmd, attr.bytes), what);
}

/** bpf(cmd, attr) returning -errno instead of throwing (for probes and expected misses). */
export function bpfRaw(cmd: BpfCmd, attr: Attr): number {
  return native.bpf(cmd, attr.bytes);
}

export interface MapCreateAttr {
  mapType: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  innerMapFd?: number;
  name?: string;
  ifindex?: number;
  btfFd?: number;
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  btfVmlinuxValueTypeId?: number;
  mapExtra?: bigint;
}

export function mapCreateAttr(a: MapCreateAttr): Attr {
  return new Attr(80)
    .u32(0, a.mapType).u32(4, a.keySize).u32(8, a.valueSize).u32(12, a.maxEntries).u32(16, a.flags ?? 0)
    .u32(20, a.innerMapFd ?? 0).str(28, a.name ?? '', 16).u32(44, a.ifindex ?? 0).u32(48, a.btfFd ?? 0)
    .u32(52, a.btfKeyTypeId ?? 0).u32(56, a.btfValueTypeId ?? 0).u32(60, a.btfVmlinuxValueTypeId ?? 0)
    .u64(64, a.mapExtra ?? 0n);
}

/** Attr for MAP_LOOKUP/UPDATE/DELETE/GET_NEXT_KEY: map_fd, key, value (or next_key), flags. */
export function mapElemAttr(fd: number, key: Pointee, value: Pointee, flags = 0): Attr {
  return new Attr(32).u32(0, fd).ptr(8, key).ptr(16, value).u64(24, flags);
}

/** Attr for the MAP_*_BATCH commands. */
export function mapBatchAttr(
  fd: number, inBatch: Pointee, outBatch: Pointee, keys: Pointee, values: Pointee, count: number, elemFlags = 0,
): Attr {
  return new Attr(56).ptr(0, inBatch).ptr(8, outBatch).ptr(16, keys).ptr(24, values).u32(32, count).u32(36, fd)
    .u64(40, elemFlags);
}

export interface ProgLoadAttr {
  progType: number;
  insns: Uint8Array;
  license: string;
  logLevel?: number;
  logBuf?: Uint8Array;
  kernVersion?: number;
  flags?: number;
  name?: string;
  ifindex?: number;
  expectedAttachType?: number;
  btfFd?: number;
  funcInfoRecSize?: number;
  funcInfo?: Uint8Array;
  funcInfoCnt?: number;
  lineInfoRecSize?: number;
  lineInfo?: Uint8Array;
  lineInfoCnt?: number;
  attachBtfId?: number;
  attachProgFd?: number;
  fdArray?: Uint8Array;
}

export function progLoadAttr(a: ProgLoadAttr): Attr {
  return new Attr(152)
    .u32(0, a.progType).u32(4, a.insns.byteLength / 8).ptr(8, a.insns).ptr(16, cString(a.license))
    .u32(24, a.logLevel ?? 0).u32(28, a.logBuf?.byteLength ?? 0).ptr(32, a.logBuf ?? null)
    .u32(40, a.kernVersion ?? 0).u32(44, a.flags ?? 0).str(48, a.name ?? '', 16).u32(64, a.ifindex ?? 0)
    .u32(68, a.expectedAttachType ?? 0).u32(72, a.btfFd ?? 0)
    .u32(76, a.funcInfoRecSize ?? 0).ptr(80, a.funcInfo ?? null).u32(88, a.funcInfoCnt ?? 0)
    .u32(92, a.lineInfoRecSize ?? 0).ptr(96, a.lineInfo ?? null).u32(104, a.lineInfoCnt ?? 0)
    .u32(108, a.attachBtfId ?? 0).u32(112, a.attachProgFd ?? 0).ptr(120, a.fdArray ?? null);
}

/** OBJ_PIN / OBJ_GET. */
export function objPathAttr(path: string, fd = 0, fileFlags = 0): Attr {
  return new Attr(24).ptr(0, cString(path)).u32(8, fd).u32(12, fileFlags);
}

/** PROG_ATTACH / PROG_DETACH. */
export function progAttachAttr(targetFd: number, progFd: number, attachType: number, flags = 0, replaceFd = 0): Attr {
  return new Attr(40).u32(0, targetFd).u32(4, progFd).u32(8, attachType).u32(12, flags).u32(16, replaceFd);
}

export interface TestRunAttr {
  progFd: number;
  dataIn?: Uint8Array;
  dataOut?: Uint8Array;
  repeat?: number;
  ctxIn?: Uint8Array;
  ctxOut?: Uint8Array;
  flags?: number;
  cpu?: number;
  batchSize?: number;
}

/** PROG_TEST_RUN. Read back retval @4, data_size_out @12, duration @36, ctx_size_out @44. */
export function testRunAttr(a: TestRunAttr): Attr {
  return new Attr(80)
    .u32(0, a.progFd).u32(8, a.dataIn?.byteLength ?? 0).u32(12, a.dataOut?.byteLength ?? 0)
    .ptr(16, a.dataIn ?? null).ptr(24, a.dataOut ?? null).u32(32, a.repeat ?? 0)
    .u32(40, a.ctxIn?.byteLength ?? 0).u32(44, a.ctxOut?.byteLength ?? 0).ptr(48, a.ctxIn ?? null)
    .ptr(56, a.ctxOut ?? null).u32(64, a.flags ?? 0).u32(68, a.cpu ?? 0).u32(72, a.batchSize ?? 0);
}

/** *_GET_NEXT_ID and *_GET_FD_BY_ID: an id at offset 0, next_id read back at 4. */
export function idAttr(id: number, openFlags = 0): Attr {
  return new Attr(12).u32(0, id).u32(8, openFlags);
}

/** OBJ_GET_INFO_BY_FD into `info`. */
export function infoAttr(fd: number, info: Uint8Array): Attr {
  return new Attr(16).u32(0, fd).u32(4, info.byteLength).ptr(8, info);
}

/** RAW_TRACEPOINT_OPEN (name may be empty for tp_btf, where the target comes from attach_btf_id). */
export function rawTracepointAttr(name: string | null, progFd: number, cookie = 0n): Attr {
  return new Attr(24).ptr(0, name === null ? null : cString(name)).u32(8, progFd).u64(16, cookie);
}

export function btfLoadAttr(btf: Uint8Array, logBuf?: Uint8Array, logLevel = 0): Attr {
  return new Attr(32).ptr(0, btf).ptr(8, logBuf ?? null).u32(16, btf.byteLength).u32(20, logBuf?.byteLength ?? 0)
    .u32(24, logBuf ? logLevel || 1 : 0);
}

/**
 * LINK_CREATE. Common header: prog_fd, target_fd/ifindex, attach_type, flags; `extra` fills the per-type union
 * that starts at offset 16.
 */
export function linkCreateAttr(progFd: number, target: number, attachType: number, flags = 0,
  extra?: (attr: Attr) => void): Attr {
  const attr = new Attr(64).u32(0, progFd).u32(4, target).u32(8, attachType).u32(12, flags);
  extra?.(attr);
  return attr;
}

/** A single-u32 attr (MAP_FREEZE, LINK_DETACH, ENABLE_STATS, ITER_CREATE). */
export function u32Attr(v: number, second = 0): Attr {
  return new Attr(8).u32(0, v).u32(4, second);
}

export { Attr, cString };
