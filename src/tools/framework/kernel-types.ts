// Kernel struct layouts read from this kernel's BTF at start-up: our own CO-RE for tools written with the builder.
// The fast name index answers direct members; a path through anonymous unions falls back to the full BTF parse.
import { loadVmlinuxBtf, type Btf } from '../../btf/parse.js';
import { BtfKind as IndexKind, vmlinuxNames } from '../../btf/vmlinux-names.js';
import { BtfKind } from '../../btf/types.js';
import { rememberBtf } from '../../btf/vmlinux-cache.js';

let full: Btf | undefined;

/** Byte offset of `path` ("real_parent", "__sk_common.skc_daddr") in `struct name`; throws a clear error if absent. */
export function kernelOffset(struct: string, path: string): number {
  const offset = rememberBtf(`member:${struct}.${path}`, () => fastOffset(struct, path) ?? slowOffset(struct, path));
  if (offset === undefined) throw new Error(`this kernel's struct ${struct} has no member '${path}' (BTF)`);
  return offset;
}

/** Like kernelOffset, but undefined when the member does not exist on this kernel (for fields renamed across versions). */
export function kernelOffsetIfAny(struct: string, path: string): number | undefined {
  try {
    return kernelOffset(struct, path);
  } catch {
    return undefined;
  }
}

function fastOffset(struct: string, path: string): number | undefined {
  if (path.includes('.')) return undefined;
  const names = vmlinuxNames();
  const id = names?.find(IndexKind.STRUCT, struct);
  if (!names || id === undefined) return undefined;
  return names.memberOffset(id, path);
}

function slowOffset(struct: string, path: string): number | undefined {
  full ??= loadVmlinuxBtf();
  const t = full.typeByName(struct, BtfKind.STRUCT);
  if (!t) return undefined;
  const loc = full.memberOffset(t.id, path);
  return loc && loc.bitOffset % 8 === 0 ? loc.byteOffset : undefined;
}

/** The pt_regs members holding a syscall's arguments in the x86-64 syscall ABI, in argument order. */
const SYSCALL_ARG_REGS = ['di', 'si', 'dx', 'r10', 'r8', 'r9'] as const;

/** Offset in struct pt_regs of syscall argument `index` (0-5), for tp_btf sys_enter/sys_exit programs. */
export function syscallArgOffset(index: number): number {
  const reg = SYSCALL_ARG_REGS[index];
  if (reg === undefined) throw new RangeError(`syscall argument ${index} out of range 0-5`);
  return kernelOffset('pt_regs', reg);
}

/** Offset in struct pt_regs of the syscall number (orig_ax: ax holds the return value by sys_exit). */
export function syscallNrOffset(): number {
  return kernelOffset('pt_regs', 'orig_ax');
}
