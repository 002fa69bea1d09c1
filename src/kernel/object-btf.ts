// The BTF side of loading an object: the object's BTF fixed up and loaded (BTF_LOAD), map key/value type ids,
// func_info/line_info for programs, and CO-RE relocations applied against the running kernel's BTF.
import { applyCoreRelocation } from '../btf/core.js';
import { encodeTypes } from '../btf/encode.js';
import { CoreReloKind, encodeFuncInfo, encodeLineInfo } from '../btf/ext.js';
import { loadVmlinuxBtf, type Btf } from '../btf/parse.js';
import { BtfKind } from '../btf/types.js';
import { fixupDatasecs } from '../elf/btf-fixup.js';
import type { ObjectProgramSpec, ObjectSpec } from '../elf/object.js';
import type { BtfMapSpec } from '../elf/btf-maps.js';
import type { Instruction } from '../isa/instruction.js';
import { isWide } from '../isa/opcodes.js';
import { bpfRaw, btfLoadAttr } from '../sys/bpf.js';
import { BpfCmd } from '../sys/constants.js';
import { BpfError } from '../sys/errors.js';
import { FileDescriptor } from './fd.js';
import type { ProgramBtf } from './program.js';

export interface ObjectBtf {
  /** The loaded BTF, or undefined when the object has none or the kernel refused it (see error). */
  fd?: FileDescriptor;
  error?: string;
}

/** One CO-RE relocation as applied: what the object asked for and what it became on this kernel. */
export interface CoreReport {
  insn: number;
  kind: string;
  local: string;
  target?: string;
  localValue: string;
  targetValue: string;
  poisoned: boolean;
  reason?: string;
}

/** The object's BTF in the form BTF_LOAD accepts (DATASECs fixed up), little-endian. */
export function encodeObjectBtf(spec: ObjectSpec): Uint8Array | undefined {
  if (!spec.btfTypes) return undefined;
  const kconfig = Object.fromEntries(Object.values(spec.variables).filter((v) => v.section === '.kconfig').map((v) => [v.name, v]));
  const sizes = { ...spec.sectionSizes, ...(spec.dataSections['.kconfig'] ? { '.kconfig': spec.dataSections['.kconfig'].data.byteLength } : {}) };
  return encodeTypes(fixupDatasecs(spec.btfTypes, sizes, spec.symbolOffsets, kconfig), { strings: spec.btfTypes.strings });
}

/** Loads the object's BTF into the kernel. A refusal is not fatal (programs load without BTF), but is reported. */
export function loadObjectBtf(spec: ObjectSpec): ObjectBtf {
  const bytes = encodeObjectBtf(spec);
  if (!bytes) return {};
  let log = new Uint8Array(0);
  let fd = bpfRaw(BpfCmd.BTF_LOAD, btfLoadAttr(bytes));
  if (fd < 0) {
    log = new Uint8Array(1 << 16);
    fd = bpfRaw(BpfCmd.BTF_LOAD, btfLoadAttr(bytes, log, 1));
  }
  if (fd < 0) {
    const text = new TextDecoder().decode(log.subarray(0, Math.max(0, log.indexOf(0)))).trim().split('\n').slice(-2).join(' / ');
    return { error: `the kernel refused the object's BTF (errno ${-fd})${text ? `: ${text}` : ''}` };
  }
  return { fd: new FileDescriptor(fd, 'object BTF') };
}

/** BTF key/value type ids for a map: from its `.maps` definition, or the DATASEC of a global data section. */
export function mapBtfIds(spec: ObjectSpec, name: string, btfFd: number): { btfFd: number; btfKeyTypeId: number; btfValueTypeId: number } | undefined {
  const m = spec.maps[name] as BtfMapSpec | undefined;
  if (!m || !spec.btfTypes) return undefined;
  if (spec.dataSections[name]) {
    const sec = spec.btfTypes.idsByName(name, BtfKind.DATASEC)[0];
    return sec === undefined ? undefined : { btfFd, btfKeyTypeId: 0, btfValueTypeId: sec };
  }
  if (m.keyTypeId === undefined && m.valueTypeId === undefined) return undefined;
  return { btfFd, btfKeyTypeId: m.keyTypeId ?? 0, btfValueTypeId: m.valueTypeId ?? 0 };
}

/** Kernel func_info/line_info records for a linked program. */
export function programBtf(spec: ObjectProgramSpec, btfFd: number): ProgramBtf {
  const out: ProgramBtf = { fd: btfFd };
  // The kernel wants func_info for every function or none; a program without it loads without.
  if (spec.funcInfo.length > 0 && spec.funcInfo.length === spec.functions.length) out.funcInfo = encodeFuncInfo(spec.funcInfo);
  if (spec.lineInfo.length > 0 && out.funcInfo) out.lineInfo = encodeLineInfo(spec.lineInfo);
  return out;
}

let targetBtf: Btf | undefined;

/** Applies every CO-RE relocation of the program against the running kernel's BTF. */
export function applyCoreRelocations(spec: ObjectProgramSpec, object: ObjectSpec, target?: Btf): { spec: ObjectProgramSpec; report: CoreReport[] } {
  if (spec.coreRelos.length === 0 || !object.btfTypes) return { spec, report: [] };
  const kernel = target ?? (targetBtf ??= loadVmlinuxBtf());
  const bySlot = new Map<number, number>();
  let slot = 0;
  spec.instructions.forEach((insn, i) => {
    bySlot.set(slot, i);
    slot += isWide(insn.opcode) ? 2 : 1;
  });
  const replaced = new Map<number, Instruction[]>();
  const report: CoreReport[] = [];
  for (const relo of spec.coreRelos) {
    const index = bySlot.get(relo.insn);
    if (index === undefined) throw new BpfError(`program '${spec.name}': CO-RE relocation at slot ${relo.insn} names no instruction`);
    const current = replaced.get(index)?.[0] ?? spec.instructions[index]!;
    const r = applyCoreRelocation(current, relo, object.btfTypes, kernel);
    replaced.set(index, r.instructions);
    report.push({
      insn: relo.insn, kind: CoreReloKind[relo.kind] ?? String(relo.kind), local: r.local,
      ...(r.target !== undefined ? { target: r.target } : {}),
      localValue: String(r.localValue), targetValue: String(r.targetValue), poisoned: r.poisoned,
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
    });
  }
  const instructions = spec.instructions.flatMap((insn, i) => replaced.get(i) ?? [insn]);
  return { spec: { ...spec, instructions }, report };
}
