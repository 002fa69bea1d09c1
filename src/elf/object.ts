// Reads a clang-built BPF object (ELF64 relocatable, either byte order) into a CollectionSpec: programs split into
// functions by symbols, BPF-to-BPF calls linked (subprograms appended, call offsets fixed), relocations to maps and
// global data resolved to named references, map definitions, global data sections, license and version.
// Pure: bytes in, data out. Every malformed input gives an ObjectError (an ElfError).
import { readFileSync } from 'node:fs';
import { Btf } from '../btf/parse.js';
import { parseBtfExt, type BtfExt, type CoreRelo, type LineInfo } from '../btf/ext.js';
import { BtfError } from '../btf/types.js';
import type { Instruction } from '../isa/instruction.js';
import { Class, JmpOp, PseudoCall, PseudoLoad, isWide } from '../isa/opcodes.js';
import type { CollectionSpec, MapSpec, ProgramSpec } from '../spec/collection.js';
import { MapFlags, MapType } from '../sys/constants.js';
import { decodeBtfMaps } from './btf-maps.js';
import { ObjectError } from './object-error.js';
import { classifySection, type SectionKind } from './sections.js';
import { ElfFile, ElfType, SectionType, SymbolBind, SymbolType, type ElfSection, type ElfSymbol } from './symbols.js';

export { ObjectError };

export const EM_BPF = 247;
const SHT_REL = 9;
const SHF_EXECINSTR = 0x4n;
const R_BPF_NONE = 0;
const R_BPF_64_64 = 1;
const R_BPF_64_32 = 10;
const CALL = Class.JMP | JmpOp.CALL;

/** A global (or static) variable in a data section. */
export interface GlobalVariable {
  name: string;
  /** The data section (= map name) holding it: .data, .rodata, .bss, .data.custom, ... */
  section: string;
  offset: number;
  size: number;
  /** Global (visible to the loader) rather than static. */
  global: boolean;
}

/** A function of a program after linking: where it starts in the program (in instruction slots). */
export interface LinkedFunction {
  name: string;
  section: string;
  /** Slot index of the first instruction in the linked program. */
  slot: number;
  /** Byte offset of the function in its ELF section (for func_info / line_info). */
  sectionOffset: number;
  /** Number of slots. */
  slots: number;
}

export interface ObjectProgramSpec extends ProgramSpec {
  sectionName: string;
  /** What the section name says about attaching (undefined when the section follows no known convention). */
  section?: SectionKind;
  /** The program's own function first, then every subprogram it calls, in order. */
  functions: LinkedFunction[];
  /** func_info records (slot in the linked program → FUNC type id in the object's BTF). */
  funcInfo: Array<{ insn: number; typeId: number }>;
  /** line_info records with slots in the linked program. */
  lineInfo: LineInfo[];
  /** CO-RE relocations with slots in the linked program. */
  coreRelos: CoreRelo[];
}

export interface DataSection {
  name: string;
  /** Initial contents (zeros for .bss). */
  data: Uint8Array;
  readOnly: boolean;
}

export interface ObjectSpec extends CollectionSpec {
  programs: Record<string, ObjectProgramSpec>;
  variables: Record<string, GlobalVariable>;
  dataSections: Record<string, DataSection>;
  license: string;
  kernelVersion: number;
  littleEndian: boolean;
  /** Raw .BTF and .BTF.ext sections, when present. */
  btf?: Uint8Array;
  btfExt?: Uint8Array;
  /** Names of the maps defined BTF-style in .maps. */
  btfMapNames: string[];
  /** The object's parsed .BTF and .BTF.ext (undefined when the object has none). */
  btfTypes?: Btf;
  btfExtInfo?: BtfExt;
  /** Sizes of every section and offsets of every data symbol: what DATASEC fix-ups before BTF_LOAD need. */
  sectionSizes: Record<string, number>;
  symbolOffsets: Record<string, number>;
}

export interface ReadObjectOptions {
  /** Skip .BTF.ext (func_info, line_info, CO-RE): for tools that only want code and maps. */
  ignoreBtfExt?: boolean;
}

/** Reads a .bpf.o file from disk. */
export function readObjectFile(path: string, opts: ReadObjectOptions = {}): ObjectSpec {
  return readObject(readFileSync(path), opts);
}

interface Func {
  name: string;
  section: ElfSection;
  start: number; // byte offset in section
  insns: Instruction[];
  /** Byte offset in the section of each instruction. */
  offsets: number[];
  global: boolean;
}

/** Parses an ELF BPF object. Throws ObjectError (or ElfError) on malformed input. */
export function readObject(bytes: Uint8Array, opts: ReadObjectOptions = {}): ObjectSpec {
  // BTF is decoded lazily, so a bad type or string can surface anywhere in the reader: report it as the object's.
  return parseBtf(() => new ObjectReader(bytes, opts).read(), '.BTF');
}

/** Runs a BTF decoding step, turning its errors into ObjectErrors that say which part was bad. */
function parseBtf<T>(fn: () => T, what: string): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BtfError || (err as Error)?.name === 'BtfError' || (err as Error)?.name === 'BtfFormatError') {
      throw new ObjectError(`bad ${what}: ${(err as Error).message}`);
    }
    throw err;
  }
}

class ObjectReader {
  private readonly elf: ElfFile;
  private readonly le: boolean;
  private readonly symbols: ElfSymbol[];
  private readonly funcs = new Map<string, Func>(); // key: `${sectionIndex}:${byteOffset}`
  private readonly funcsByName = new Map<string, Func>();
  private readonly maps: Record<string, MapSpec> = {};
  private readonly dataSections: Record<string, DataSection> = {};
  private readonly btfMapNames: Array<{ name: string; offset: number }> = [];
  private legacyMapsByOffset = new Map<string, string>(); // `${shndx}:${offset}` → map name
  private btfExt: BtfExt | undefined;
  private readonly kconfigVars: Record<string, GlobalVariable> = {};

  constructor(bytes: Uint8Array, private readonly opts: ReadObjectOptions) {
    this.elf = ElfFile.parse(bytes);
    this.le = this.elf.header.littleEndian;
    if (this.elf.header.machine !== EM_BPF) {
      throw new ObjectError(`not a BPF object: ELF machine is ${this.elf.header.machine}, expected ${EM_BPF} (EM_BPF)`);
    }
    if (this.elf.header.type !== ElfType.REL) {
      throw new ObjectError(`not a BPF object: ELF type is ${this.elf.header.type}, expected 1 (relocatable)`);
    }
    this.symbols = this.elf.symbols();
  }

  read(): ObjectSpec {
    const license = this.readLicense();
    const kernelVersion = this.readVersion();
    this.readDataSections();
    this.readLegacyMaps();
    this.readBtfMapNames();
    const btfSection = this.elf.section('.BTF');
    const btf = btfSection ? this.elf.sectionData(btfSection) : undefined;
    const btfExtSection = this.elf.section('.BTF.ext');
    const btfExt = btfExtSection ? this.elf.sectionData(btfExtSection) : undefined;
    const btfTypes = btf ? parseBtf(() => Btf.parse(btf), '.BTF') : undefined;
    this.btfExt = btfTypes && btfExt && !this.opts.ignoreBtfExt ? parseBtf(() => parseBtfExt(btfExt, btfTypes), '.BTF.ext') : undefined;
    if (btfTypes) this.readKconfig(btfTypes);
    if (this.btfMapNames.length > 0) {
      if (!btfTypes) throw new ObjectError(`the object defines maps in .maps (${this.btfMapNames.map((m) => m.name).join(', ')}) but has no .BTF section`);
      Object.assign(this.maps, parseBtf(() => decodeBtfMaps(btfTypes, this.btfMapNames), '.maps BTF'));
    }
    this.readFunctions();
    this.relocateFunctions();
    const programs: Record<string, ObjectProgramSpec> = {};
    for (const f of this.funcsByName.values()) {
      if (f.section.name === '.text') continue; // .text holds subprograms only
      programs[f.name] = this.link(f, license, kernelVersion);
    }
    const spec: ObjectSpec = {
      maps: this.maps, programs, variables: { ...this.readVariables(), ...this.kconfigVars }, dataSections: this.dataSections, license,
      kernelVersion, littleEndian: this.le, btfMapNames: this.btfMapNames.map((m) => m.name),
      sectionSizes: Object.fromEntries(this.elf.sections.filter((x) => x.name).map((x) => [x.name, x.size])),
      symbolOffsets: Object.fromEntries(this.symbols.filter((y) => y.type === SymbolType.OBJECT && y.name)
        .map((y) => [y.name, Number(y.value)])),
    };
    if (btf) spec.btf = btf;
    if (btfExt) spec.btfExt = btfExt;
    if (btfTypes) spec.btfTypes = btfTypes;
    if (this.btfExt) spec.btfExtInfo = this.btfExt;
    return spec;
  }

  // -- sections ---------------------------------------------------------------------------------

  private readLicense(): string {
    const s = this.elf.section('license');
    if (!s) return '';
    const data = this.elf.sectionData(s);
    const end = data.indexOf(0);
    return new TextDecoder().decode(data.subarray(0, end < 0 ? data.length : end));
  }

  private readVersion(): number {
    const s = this.elf.section('version');
    if (!s) return 0;
    const data = this.elf.sectionData(s);
    if (data.length !== 4) throw new ObjectError(`section 'version' is ${data.length} bytes, expected 4`);
    return new DataView(data.buffer, data.byteOffset, 4).getUint32(0, this.le);
  }

  private static isDataSection(name: string): boolean {
    return /^\.(data|rodata|bss)(\.|$)/.test(name) || name === '.kconfig';
  }

  private readDataSections(): void {
    for (const s of this.elf.sections) {
      if (!ObjectReader.isDataSection(s.name) || s.size === 0 || s.name === '.kconfig') continue;
      if (s.type !== SectionType.PROGBITS && s.type !== SectionType.NOBITS) continue;
      if (s.size > 1 << 30) throw new ObjectError(`data section '${s.name}' is too large (${s.size} bytes)`);
      const readOnly = s.name.startsWith('.rodata');
      const data = s.type === SectionType.NOBITS ? new Uint8Array(s.size) : this.elf.sectionData(s).slice();
      this.dataSections[s.name] = { name: s.name, data, readOnly };
      this.maps[s.name] = {
        name: s.name, type: MapType.ARRAY, keySize: 4, valueSize: s.size, maxEntries: 1,
        flags: MapFlags.MMAPABLE | (readOnly ? MapFlags.RDONLY_PROG : 0),
        contents: [[new Uint8Array(4), data]],
        ...(readOnly ? { freeze: true } : {}),
      };
    }
  }

  private readVariables(): Record<string, GlobalVariable> {
    const out: Record<string, GlobalVariable> = {};
    for (const sym of this.symbols) {
      if (sym.type !== SymbolType.OBJECT) continue;
      const s = this.sectionAt(sym.shndx);
      if (!s || !this.dataSections[s.name]) continue;
      const offset = Number(sym.value);
      const size = Number(sym.size);
      if (offset + size > s.size) throw new ObjectError(`variable '${sym.name}' (${offset}+${size}) lies outside section '${s.name}'`);
      out[sym.name] = { name: sym.name, section: s.name, offset, size, global: sym.bind !== SymbolBind.LOCAL };
    }
    return out;
  }

  /**
   * `extern ... __kconfig` variables: no ELF section holds them; the BTF DATASEC '.kconfig' lists them. They are
   * laid out here (each at its natural alignment) in a read-only '.kconfig' map the loader fills in.
   */
  private readKconfig(btf: Btf): void {
    const sec = btf.idsByName('.kconfig', 15 /* DATASEC */)[0];
    if (sec === undefined) return;
    const t = btf.type(sec);
    if (t.kind !== 15) return;
    // libbpf's layout, so both loaders produce the same code: alignment descending, size ascending, then name.
    const vars = t.vars.map((v) => {
      const variable = btf.type(v.type) as { name: string; type: number };
      const size = parseBtf(() => btf.sizeOf(variable.type), '.kconfig BTF');
      if (size <= 0 || size > 4096) throw new ObjectError(`.kconfig extern '${variable.name}' has an unusable size ${size}`);
      const align = Math.min(8, parseBtf(() => btf.alignOf(variable.type), '.kconfig BTF'));
      return { name: variable.name, size, align };
    }).sort((a, b) => b.align - a.align || a.size - b.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let offset = 0;
    for (const v of vars) {
      offset = Math.ceil(offset / v.align) * v.align;
      this.kconfigVars[v.name] = { name: v.name, section: '.kconfig', offset, size: v.size, global: true };
      offset += v.size;
    }
    if (offset === 0) return;
    const data = new Uint8Array(offset);
    this.dataSections['.kconfig'] = { name: '.kconfig', data, readOnly: true };
    this.maps['.kconfig'] = {
      name: '.kconfig', type: MapType.ARRAY, keySize: 4, valueSize: offset, maxEntries: 1,
      flags: MapFlags.MMAPABLE | MapFlags.RDONLY_PROG, contents: [[new Uint8Array(4), data]], freeze: true,
    };
  }

  /** Legacy `maps` section: an array of struct bpf_map_def, one symbol each. */
  private readLegacyMaps(): void {
    for (const s of this.elf.sections) {
      if (s.name !== 'maps' && !s.name.startsWith('maps/')) continue;
      const syms = this.symbols.filter((y) => y.shndx === s.index && y.type !== SymbolType.SECTION && y.name !== '');
      if (syms.length === 0) continue;
      const data = this.elf.sectionData(s);
      const defSize = Math.floor(data.length / syms.length);
      if (defSize < 20 || defSize % 4 !== 0) {
        throw new ObjectError(`legacy maps section '${s.name}': ${data.length} bytes for ${syms.length} maps is not a struct bpf_map_def array`);
      }
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      for (const sym of syms) {
        const off = Number(sym.value);
        if (off % defSize !== 0 || off + defSize > data.length) {
          throw new ObjectError(`legacy map '${sym.name}' at offset ${off} is not a whole struct bpf_map_def in '${s.name}'`);
        }
        const u32 = (i: number) => view.getUint32(off + i * 4, this.le);
        const spec: MapSpec = {
          name: sym.name, type: u32(0) as MapType, keySize: u32(1), valueSize: u32(2), maxEntries: u32(3), flags: u32(4),
        };
        this.maps[sym.name] = spec;
        this.legacyMapsByOffset.set(`${s.index}:${off}`, sym.name);
      }
    }
  }

  /** BTF-style `.maps`: the names and offsets; the definitions themselves are decoded from BTF. */
  private readBtfMapNames(): void {
    const s = this.elf.section('.maps');
    if (!s) return;
    for (const sym of this.symbols) {
      if (sym.shndx !== s.index || sym.type === SymbolType.SECTION || sym.name === '') continue;
      this.btfMapNames.push({ name: sym.name, offset: Number(sym.value) });
    }
  }

  private sectionAt(index: number): ElfSection | undefined {
    return index > 0 && index < this.elf.sections.length ? this.elf.sections[index] : undefined;
  }

  // -- functions ----------------------------------------------------------------------------------

  private readFunctions(): void {
    for (const s of this.elf.sections) {
      if (s.type !== SectionType.PROGBITS || (s.flags & SHF_EXECINSTR) === 0n || s.size === 0) continue;
      const { insns, offsets } = this.decodeSection(s);
      const syms = this.symbols
        .filter((y) => y.shndx === s.index && y.type === SymbolType.FUNC)
        .sort((a, b) => Number(a.value - b.value));
      if (syms.length === 0) throw new ObjectError(`section '${s.name}' has code but no function symbols`);
      for (let i = 0; i < syms.length; i++) {
        const sym = syms[i]!;
        const start = Number(sym.value);
        const next = i + 1 < syms.length ? Number(syms[i + 1]!.value) : s.size;
        const end = sym.size > 0n ? Math.min(start + Number(sym.size), s.size) : next;
        if (start % 8 !== 0 || start >= s.size || end <= start || end > next && next !== start) {
          throw new ObjectError(`function '${sym.name}' in '${s.name}' has a bad range ${start}..${end}`);
        }
        if (this.funcsByName.has(sym.name)) throw new ObjectError(`function '${sym.name}' is defined twice`);
        if (s.name !== '.text' && sym.bind === SymbolBind.LOCAL) {
          throw new ObjectError(`program '${sym.name}' in section '${s.name}' is static; programs must be global`);
        }
        const first = offsets.indexOf(start);
        if (first < 0) throw new ObjectError(`function '${sym.name}' starts in the middle of an instruction`);
        let last = first;
        while (last < offsets.length && offsets[last]! < end) last++;
        const f: Func = {
          name: sym.name, section: s, start, insns: insns.slice(first, last), offsets: offsets.slice(first, last),
          global: sym.bind !== SymbolBind.LOCAL,
        };
        this.funcs.set(`${s.index}:${start}`, f);
        this.funcsByName.set(sym.name, f);
      }
    }
  }

  /** Decodes instructions in the object's byte order (for big-endian the register nibbles swap). */
  private decodeSection(s: ElfSection): { insns: Instruction[]; offsets: number[] } {
    const bytes = this.elf.sectionData(s);
    if (bytes.length % 8 !== 0) throw new ObjectError(`section '${s.name}' is ${bytes.length} bytes, not a whole number of instructions`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const insns: Instruction[] = [];
    const offsets: number[] = [];
    for (let off = 0; off < bytes.length; off += 8) {
      const opcode = view.getUint8(off);
      const regs = view.getUint8(off + 1);
      const dst = this.le ? regs & 0xf : regs >> 4;
      const src = this.le ? regs >> 4 : regs & 0xf;
      const insn: Instruction = { opcode, dst, src, offset: view.getInt16(off + 2, this.le), imm: view.getInt32(off + 4, this.le) };
      offsets.push(off);
      if (isWide(opcode)) {
        if (off + 16 > bytes.length) throw new ObjectError(`section '${s.name}': lddw at byte ${off} is missing its second half`);
        const hi = BigInt(view.getUint32(off + 12, this.le));
        insn.constant = (hi << 32n) | BigInt(insn.imm >>> 0);
        off += 8;
      }
      insns.push(insn);
    }
    return { insns, offsets };
  }

  // -- relocations --------------------------------------------------------------------------------

  private relocationsFor(s: ElfSection): Map<number, { sym: ElfSymbol; type: number }> {
    const out = new Map<number, { sym: ElfSymbol; type: number }>();
    for (const r of this.elf.sections) {
      if (r.type !== SHT_REL || r.info !== s.index) continue;
      if (r.entsize !== 16 && r.entsize !== 0) throw new ObjectError(`relocation section '${r.name}' has entry size ${r.entsize}, expected 16`);
      const data = this.elf.sectionData(r);
      if (data.length % 16 !== 0) throw new ObjectError(`relocation section '${r.name}' is not a whole number of entries`);
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      for (let off = 0; off < data.length; off += 16) {
        const offset = view.getBigUint64(off, this.le);
        const info = view.getBigUint64(off + 8, this.le);
        const symIndex = Number(info >> 32n);
        const type = Number(info & 0xffffffffn);
        if (type === R_BPF_NONE) continue;
        if (offset >= BigInt(s.size) || offset % 8n !== 0n) {
          throw new ObjectError(`relocation in '${r.name}' at offset ${offset} is outside section '${s.name}' (${s.size} bytes) or misaligned`);
        }
        // Symbol index 0 is the null symbol; readSymbolTable drops it, so index i is symbols[i-1].
        const sym = this.symbols[symIndex - 1];
        if (!sym) throw new ObjectError(`relocation in '${r.name}' at offset ${offset} names symbol ${symIndex}, which does not exist`);
        out.set(Number(offset), { sym, type });
      }
    }
    return out;
  }

  private relocateFunctions(): void {
    const bySection = new Map<number, Func[]>();
    for (const f of this.funcsByName.values()) {
      const list = bySection.get(f.section.index) ?? [];
      list.push(f);
      bySection.set(f.section.index, list);
    }
    for (const [index, funcs] of bySection) {
      const section = this.elf.sections[index]!;
      const relos = this.relocationsFor(section);
      const covered = new Set<number>();
      for (const f of funcs) {
        for (let i = 0; i < f.insns.length; i++) {
          const at = f.offsets[i]!;
          const relo = relos.get(at);
          if (relo) covered.add(at);
          f.insns[i] = this.relocate(f, f.insns[i]!, at, relo);
        }
      }
      for (const at of relos.keys()) {
        if (!covered.has(at)) throw new ObjectError(`relocation at offset ${at} in '${section.name}' does not point at an instruction of any function`);
      }
    }
  }

  private relocate(f: Func, insn: Instruction, at: number, relo: { sym: ElfSymbol; type: number } | undefined): Instruction {
    const where = `${f.section.name}+${at} (in '${f.name}')`;
    if (!relo) {
      if (insn.opcode === CALL && insn.src === PseudoCall.LOCAL) {
        return { ...insn, reference: this.funcAt(f.section.index, at + (insn.imm + 1) * 8, where).name };
      }
      if (isWide(insn.opcode) && insn.src !== PseudoLoad.NONE) {
        throw new ObjectError(`${where}: lddw with src ${insn.src} has no relocation`);
      }
      return insn;
    }
    const { sym, type } = relo;
    if (type !== R_BPF_64_64 && type !== R_BPF_64_32) throw new ObjectError(`${where}: unsupported relocation type ${type}`);
    if (sym.shndx === 0 && isWide(insn.opcode) && this.kconfigVars[sym.name]) {
      const offset = this.kconfigVars[sym.name]!.offset + insn.imm;
      return { ...insn, src: PseudoLoad.MAP_VALUE, imm: 0, constant: BigInt(offset) << 32n, reference: '.kconfig' };
    }
    if (sym.shndx === 0) {
      throw new ObjectError(`${where}: refers to extern '${sym.name}' (kfuncs, ksyms and .kconfig externs are not supported yet)`);
    }
    const target = this.sectionAt(sym.shndx);
    if (!target) throw new ObjectError(`${where}: symbol '${sym.name}' is in section ${sym.shndx}, which does not exist`);
    if (insn.opcode === CALL) {
      if (insn.src !== PseudoCall.LOCAL) throw new ObjectError(`${where}: relocated call is not a BPF-to-BPF call (src ${insn.src})`);
      const byte = Number(sym.value) + (insn.imm + 1) * 8;
      return { ...insn, reference: this.funcAt(target.index, byte, where).name };
    }
    if (!isWide(insn.opcode)) throw new ObjectError(`${where}: relocation on an instruction that is neither lddw nor call (opcode 0x${insn.opcode.toString(16)})`);
    if ((target.flags & SHF_EXECINSTR) !== 0n) {
      const byte = Number(sym.value) + insn.imm;
      return { ...insn, src: PseudoLoad.FUNC, reference: this.funcAt(target.index, byte, where).name };
    }
    if (target.name === '.maps' || target.name === 'maps' || target.name.startsWith('maps/')) {
      const name = target.name === '.maps' ? sym.name : this.legacyMapsByOffset.get(`${target.index}:${Number(sym.value) + insn.imm}`);
      if (!name || (target.name === '.maps' && sym.type === SymbolType.SECTION)) {
        throw new ObjectError(`${where}: map reference to '${sym.name}' in '${target.name}' names no map definition`);
      }
      return { ...insn, src: PseudoLoad.MAP_FD, imm: 0, constant: 0n, reference: name };
    }
    if (this.dataSections[target.name]) {
      const offset = Number(sym.value) + insn.imm;
      if (offset < 0 || offset >= target.size) throw new ObjectError(`${where}: offset ${offset} is outside '${target.name}'`);
      return { ...insn, src: PseudoLoad.MAP_VALUE, imm: 0, constant: BigInt(offset) << 32n, reference: target.name };
    }
    throw new ObjectError(`${where}: relocation against '${sym.name}' in section '${target.name}', which is neither code, maps nor data`);
  }

  private funcAt(sectionIndex: number, byte: number, where: string): Func {
    const f = this.funcs.get(`${sectionIndex}:${byte}`);
    if (!f) throw new ObjectError(`${where}: call target ${this.sectionAt(sectionIndex)?.name ?? sectionIndex}+${byte} is not the start of a function`);
    return f;
  }

  // -- linking ------------------------------------------------------------------------------------

  /** The program's function followed by every function it reaches, call and function-pointer offsets fixed. */
  private link(main: Func, license: string, kernelVersion: number): ObjectProgramSpec {
    // Depth-first in instruction order, as libbpf appends them: a callee, then its own callees, then the next.
    const order: Func[] = [];
    const seen = new Set<string>();
    const visit = (f: Func) => {
      seen.add(f.name);
      order.push(f);
      for (const insn of f.insns) {
        const ref = insn.reference;
        if (ref === undefined || seen.has(ref) || !this.isCodeRef(insn)) continue;
        const callee = this.funcsByName.get(ref);
        if (!callee) throw new ObjectError(`program '${main.name}' calls '${ref}', which is not defined`);
        visit(callee);
      }
    };
    visit(main);
    const functions: LinkedFunction[] = [];
    const startSlot = new Map<string, number>();
    let slot = 0;
    for (const f of order) {
      let n = 0;
      for (const insn of f.insns) n += isWide(insn.opcode) ? 2 : 1;
      functions.push({ name: f.name, section: f.section.name, slot, sectionOffset: f.start, slots: n });
      startSlot.set(f.name, slot);
      slot += n;
    }
    const instructions: Instruction[] = [];
    slot = 0;
    for (const f of order) {
      f.insns.forEach((orig, i) => {
        const insn: Instruction = { ...orig };
        if (i === 0) insn.symbol = f.name;
        if (this.isCodeRef(insn)) {
          const rel = startSlot.get(insn.reference!)! - (slot + 1);
          insn.imm = rel;
          if (isWide(insn.opcode)) insn.constant = BigInt(rel >>> 0);
        }
        instructions.push(insn);
        slot += isWide(insn.opcode) ? 2 : 1;
      });
    }
    const section = classifySection(main.section.name);
    const spec: ObjectProgramSpec = {
      name: main.name, type: section?.type ?? 0, instructions, license, sectionName: main.section.name, functions,
      kernelVersion, ...this.extInfoFor(functions, instructions),
    };
    if (section) {
      spec.section = section;
      if (section.expectedAttachType !== undefined) spec.expectedAttachType = section.expectedAttachType;
      if (section.attachTo !== undefined) spec.attachTo = section.attachTo;
      if (section.flags) spec.flags = section.flags;
    }
    return spec;
  }

  /** func_info, line_info and CO-RE records of the linked functions, moved to their slots in the program. */
  private extInfoFor(functions: LinkedFunction[], instructions: Instruction[]): Pick<ObjectProgramSpec, 'funcInfo' | 'lineInfo' | 'coreRelos'> {
    const out: Pick<ObjectProgramSpec, 'funcInfo' | 'lineInfo' | 'coreRelos'> = { funcInfo: [], lineInfo: [], coreRelos: [] };
    const ext = this.btfExt;
    if (!ext) return out;
    const bySlot = new Map<number, Instruction>();
    let slot = 0;
    for (const insn of instructions) {
      bySlot.set(slot, insn);
      slot += isWide(insn.opcode) ? 2 : 1;
    }
    for (const f of functions) {
      const move = (insnOff: number): number | undefined => {
        const rel = insnOff - f.sectionOffset;
        return rel >= 0 && rel < f.slots * 8 && rel % 8 === 0 ? f.slot + rel / 8 : undefined;
      };
      for (const r of ext.funcInfo.get(f.section) ?? []) {
        const at = move(r.insnOff);
        if (at !== undefined) out.funcInfo.push({ insn: at, typeId: r.typeId });
      }
      for (const r of ext.lineInfo.get(f.section) ?? []) {
        const at = move(r.insnOff);
        if (at === undefined) continue;
        out.lineInfo.push({ ...r, insn: at });
      }
      for (const r of ext.coreRelos.get(f.section) ?? []) {
        const at = move(r.insnOff);
        if (at === undefined) continue;
        if (!bySlot.has(at)) throw new ObjectError(`CO-RE relocation at ${f.section}+${r.insnOff} points into the middle of an instruction`);
        out.coreRelos.push({ ...r, insn: at });
      }
    }
    // Each instruction remembers its source line, so verifier errors can name file:line.
    const lines = [...out.lineInfo].sort((a, b) => a.insn - b.insn);
    let li = 0;
    let current: LineInfo | undefined;
    slot = 0;
    const sourced = instructions.map((insn) => {
      while (li < lines.length && lines[li]!.insn <= slot) current = lines[li++];
      slot += isWide(insn.opcode) ? 2 : 1;
      return current ? { ...insn, source: { file: current.fileName, line: current.line, column: current.column, text: current.lineText } } : insn;
    });
    instructions.splice(0, instructions.length, ...sourced);
    out.funcInfo.sort((a, b) => a.insn - b.insn);
    out.lineInfo.sort((a, b) => a.insn - b.insn);
    return out;
  }

  private isCodeRef(insn: Instruction): boolean {
    return insn.reference !== undefined &&
      ((insn.opcode === CALL && insn.src === PseudoCall.LOCAL) || (isWide(insn.opcode) && insn.src === PseudoLoad.FUNC));
  }
}
