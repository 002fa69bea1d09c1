// .BTF.ext decoding: per-section func_info (function start → FUNC type), line_info (instruction → file:line:col
// and the source line's text) and CO-RE relocation records. Strings live in the object's .BTF string section.
import type { Btf } from './parse.js';
import { BtfError } from './types.js';

export enum CoreReloKind {
  FIELD_BYTE_OFFSET = 0,
  FIELD_BYTE_SIZE = 1,
  FIELD_EXISTS = 2,
  FIELD_SIGNED = 3,
  FIELD_LSHIFT_U64 = 4,
  FIELD_RSHIFT_U64 = 5,
  TYPE_ID_LOCAL = 6,
  TYPE_ID_TARGET = 7,
  TYPE_EXISTS = 8,
  TYPE_SIZE = 9,
  ENUMVAL_EXISTS = 10,
  ENUMVAL_VALUE = 11,
  TYPE_MATCHES = 12,
}

export interface FuncInfo {
  /** Byte offset of the function's first instruction in its ELF section. */
  insnOff: number;
  /** The same, in 8-byte instruction slots (what the kernel wants). */
  insn: number;
  /** FUNC type id in the object's BTF. */
  typeId: number;
}

export interface LineInfo {
  insnOff: number;
  insn: number;
  fileName: string;
  /** The source line's text, as clang stored it. */
  lineText: string;
  line: number;
  column: number;
  /** Raw string offsets and line_col, for re-encoding. */
  fileNameOff: number;
  lineOff: number;
  lineCol: number;
}

export interface CoreRelo {
  insnOff: number;
  insn: number;
  /** Root type id in the object's (local) BTF. */
  typeId: number;
  /** Access string: "0:1:2" (field path), "0" (type), or an enumerator index. */
  accessStr: string;
  accessStrOff: number;
  kind: CoreReloKind;
}

export interface BtfExt {
  /** Keyed by ELF section name ("tracepoint/syscalls/sys_enter_openat", ".text", ...). */
  funcInfo: Map<string, FuncInfo[]>;
  lineInfo: Map<string, LineInfo[]>;
  coreRelos: Map<string, CoreRelo[]>;
  /** Record sizes as stored (the kernel wants them with func_info/line_info). */
  funcInfoRecSize: number;
  lineInfoRecSize: number;
  coreReloRecSize: number;
}

const MAGIC = 0xeb9f;

/** Decodes .BTF.ext bytes; `btf` is the object's .BTF (for strings). Byte order follows `btf`. */
export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  if (bytes.byteLength < 24) throw new BtfError(`.BTF.ext too short for a header (${bytes.byteLength} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  if (view.getUint16(0, true) === MAGIC) le = true;
  else if (view.getUint16(0, false) === MAGIC) le = false;
  else throw new BtfError('not .BTF.ext data: bad magic');
  if (view.getUint8(2) !== 1) throw new BtfError(`unsupported .BTF.ext version ${view.getUint8(2)}`);
  const hdrLen = view.getUint32(4, le);
  if (hdrLen < 24 || hdrLen > bytes.byteLength) throw new BtfError(`bad .BTF.ext header length ${hdrLen}`);
  const section = (offAt: number): [number, number] | undefined => {
    if (offAt + 8 > hdrLen) return undefined;
    const off = view.getUint32(offAt, le);
    const len = view.getUint32(offAt + 4, le);
    if (len === 0) return undefined;
    if (hdrLen + off + len > bytes.byteLength) throw new BtfError('.BTF.ext sub-section runs past the end of the data');
    return [hdrLen + off, len];
  };
  const ext: BtfExt = {
    funcInfo: new Map(), lineInfo: new Map(), coreRelos: new Map(),
    funcInfoRecSize: 8, lineInfoRecSize: 16, coreReloRecSize: 16,
  };
  const fi = section(8);
  if (fi) {
    ext.funcInfoRecSize = readInfo(view, le, btf, fi, 8, 'func_info', ext.funcInfo, (o) => {
      const insnOff = view.getUint32(o, le);
      return { insnOff, insn: insnOff / 8, typeId: view.getUint32(o + 4, le) };
    });
  }
  const li = section(16);
  if (li) {
    ext.lineInfoRecSize = readInfo(view, le, btf, li, 16, 'line_info', ext.lineInfo, (o) => {
      const insnOff = view.getUint32(o, le);
      const fileNameOff = view.getUint32(o + 4, le);
      const lineOff = view.getUint32(o + 8, le);
      const lineCol = view.getUint32(o + 12, le);
      return {
        insnOff, insn: insnOff / 8, fileName: btf.string(fileNameOff), lineText: btf.string(lineOff),
        line: lineCol >>> 10, column: lineCol & 0x3ff, fileNameOff, lineOff, lineCol,
      };
    });
  }
  const cr = section(24);
  if (cr) {
    ext.coreReloRecSize = readInfo(view, le, btf, cr, 16, 'core_relo', ext.coreRelos, (o) => {
      const insnOff = view.getUint32(o, le);
      const accessStrOff = view.getUint32(o + 8, le);
      const kind = view.getUint32(o + 12, le);
      if (kind > CoreReloKind.TYPE_MATCHES) throw new BtfError(`unknown CO-RE relocation kind ${kind}`);
      return { insnOff, insn: insnOff / 8, typeId: view.getUint32(o + 4, le), accessStr: btf.string(accessStrOff), accessStrOff, kind };
    });
  }
  return ext;
}

/** One info sub-section: u32 record size, then blocks of {sec_name_off, num_info, records}. Returns rec size. */
function readInfo<T>(view: DataView, le: boolean, btf: Btf, [start, len]: [number, number], minRec: number,
  what: string, into: Map<string, T[]>, read: (off: number) => T): number {
  const end = start + len;
  if (len < 4) throw new BtfError(`.BTF.ext ${what} too short`);
  const recSize = view.getUint32(start, le);
  if (recSize < minRec || recSize % 4 !== 0 || recSize > 1024) throw new BtfError(`.BTF.ext ${what} record size ${recSize} is invalid`);
  let p = start + 4;
  while (p < end) {
    if (p + 8 > end) throw new BtfError(`.BTF.ext ${what} block header runs past its section`);
    const secName = btf.string(view.getUint32(p, le));
    const count = view.getUint32(p + 4, le);
    p += 8;
    if (count === 0) throw new BtfError(`.BTF.ext ${what} block for '${secName}' is empty`);
    if (count * recSize > end - p) throw new BtfError(`.BTF.ext ${what} block for '${secName}' runs past its section`);
    const list = into.get(secName) ?? [];
    for (let i = 0; i < count; i++, p += recSize) list.push(read(p));
    into.set(secName, list);
  }
  return recSize;
}

/** func_info records for the kernel (insn index, type id), 8 bytes each. */
export function encodeFuncInfo(records: readonly { insn: number; typeId: number }[]): Uint8Array {
  const out = new Uint8Array(records.length * 8);
  const view = new DataView(out.buffer);
  records.forEach((r, i) => {
    view.setUint32(i * 8, r.insn, true);
    view.setUint32(i * 8 + 4, r.typeId, true);
  });
  return out;
}

/** line_info records for the kernel (insn index, file/line string offsets, line_col), 16 bytes each. */
export function encodeLineInfo(records: readonly { insn: number; fileNameOff: number; lineOff: number; lineCol: number }[]): Uint8Array {
  const out = new Uint8Array(records.length * 16);
  const view = new DataView(out.buffer);
  records.forEach((r, i) => {
    view.setUint32(i * 16, r.insn, true);
    view.setUint32(i * 16 + 4, r.fileNameOff, true);
    view.setUint32(i * 16 + 8, r.lineOff, true);
    view.setUint32(i * 16 + 12, r.lineCol, true);
  });
  return out;
}
