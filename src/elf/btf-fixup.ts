// Before an object's BTF can be loaded, its DATASECs need what only the ELF file knows: clang leaves their sizes
// 0 and variable offsets unset. Fill them in from section sizes and symbol values, ordered by offset.
import type { Btf } from '../btf/parse.js';
import { typeList } from '../btf/encode.js';
import { BtfKind, type BtfTypeSpec } from '../btf/types.js';

export function fixupDatasecs(btf: Btf, sectionSizes: Record<string, number>, symbolOffsets: Record<string, number>,
  kconfig: Record<string, { offset: number }> = {}): BtfTypeSpec[] {
  return typeList(btf).map((t) => {
    // The kernel accepts no extern VARs: the loader allocates kconfig values, so they become global (as libbpf does).
    if (t.kind === BtfKind.VAR && t.linkage === 2 && kconfig[t.name]) return { ...t, linkage: 1 };
    if (t.kind !== BtfKind.DATASEC) return t;
    const size = t.size || sectionSizes[t.name] || 0;
    const vars = t.vars.map((v) => {
      const name = btf.type(v.type).name;
      const offset = t.name === '.kconfig' ? kconfig[name]?.offset : symbolOffsets[name];
      return offset === undefined ? v : { ...v, offset };
    }).sort((a, b) => a.offset - b.offset);
    return { ...t, size, vars };
  });
}
