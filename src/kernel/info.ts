// OBJ_GET_INFO_BY_FD for maps, programs and links, decoded into plain objects.
import { BpfCmd } from '../sys/constants.js';
import { bpf, infoAttr } from '../sys/bpf.js';
import { native } from '../sys/native.js';

function cName(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(bytes.subarray(0, end < 0 ? bytes.length : end));
}

function getInfo(fd: number, size: number, what: string, prepare?: (info: Uint8Array) => void): DataView {
  const info = new Uint8Array(size);
  prepare?.(info);
  bpf(BpfCmd.OBJ_GET_INFO_BY_FD, infoAttr(fd, info), what);
  return new DataView(info.buffer);
}

export interface MapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
  btfId: number;
  mapExtra: bigint;
}

export function mapInfo(fd: number): MapInfo {
  const v = getInfo(fd, 88, 'get map info');
  return {
    type: v.getUint32(0, true), id: v.getUint32(4, true), keySize: v.getUint32(8, true),
    valueSize: v.getUint32(12, true), maxEntries: v.getUint32(16, true), flags: v.getUint32(20, true),
    name: cName(new Uint8Array(v.buffer, 24, 16)), btfId: v.getUint32(64, true), mapExtra: v.getBigUint64(80, true),
  };
}

export interface ProgramInfo {
  type: number;
  id: number;
  tag: string;
  name: string;
  jitedSize: number;
  xlatedSize: number;
  loadTime: bigint;
  createdByUid: number;
  mapIds: number[];
  btfId: number;
  runTimeNs: bigint;
  runCount: bigint;
  recursionMisses: bigint;
  verifiedInstructions: number;
}

export function programInfo(fd: number): ProgramInfo {
  // First pass learns how many map ids there are; second fetches them.
  let v = getInfo(fd, 232, 'get program info');
  const nrMaps = v.getUint32(52, true);
  let mapIds: number[] = [];
  if (nrMaps > 0) {
    const ids = new Uint32Array(nrMaps);
    v = getInfo(fd, 232, 'get program info', (info) => {
      const d = new DataView(info.buffer);
      d.setUint32(52, nrMaps, true);
      d.setBigUint64(56, native.addressOf(ids), true);
    });
    mapIds = Array.from(ids.subarray(0, Math.min(nrMaps, v.getUint32(52, true))));
  }
  const tag = Array.from(new Uint8Array(v.buffer, 8, 8), (b) => b.toString(16).padStart(2, '0')).join('');
  return {
    type: v.getUint32(0, true), id: v.getUint32(4, true), tag, name: cName(new Uint8Array(v.buffer, 64, 16)),
    jitedSize: v.getUint32(16, true), xlatedSize: v.getUint32(20, true), loadTime: v.getBigUint64(40, true),
    createdByUid: v.getUint32(48, true), mapIds, btfId: v.getUint32(128, true),
    runTimeNs: v.getBigUint64(192, true), runCount: v.getBigUint64(200, true),
    recursionMisses: v.getBigUint64(208, true), verifiedInstructions: v.getUint32(216, true),
  };
}

/** The program's instructions as the kernel rewrote them (what `bpftool prog dump xlated` shows). */
export function programXlated(fd: number): Uint8Array {
  const first = getInfo(fd, 232, 'get program info');
  const len = first.getUint32(20, true);
  const out = new Uint8Array(len);
  getInfo(fd, 232, 'get program xlated instructions', (info) => {
    const d = new DataView(info.buffer);
    d.setUint32(20, len, true);
    d.setBigUint64(32, native.addressOf(out), true);
  });
  return out;
}

export interface LinkInfo {
  type: number;
  id: number;
  programId: number;
  /** The raw per-type part of bpf_link_info (offset 16 on). */
  extra: DataView;
}

export function linkInfo(fd: number): LinkInfo {
  const v = getInfo(fd, 96, 'get link info');
  return {
    type: v.getUint32(0, true), id: v.getUint32(4, true), programId: v.getUint32(8, true),
    extra: new DataView(v.buffer, 16),
  };
}
