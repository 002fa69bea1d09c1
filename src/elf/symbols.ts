// A small ELF64 reader for user-space probes: sections, segments, symbols and SystemTap SDT (USDT) notes.
// Pure: bytes in, data out (readElfFile is the one thin file-reading wrapper). Malformed input gives ElfError.
import { readFileSync } from 'node:fs';

/** The bytes are not a well-formed ELF64 file (or not one this reader supports). */
export class ElfError extends Error {
  override name = 'ElfError';
}

export const ElfType = { REL: 1, EXEC: 2, DYN: 3, CORE: 4 } as const;
export const SectionType = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, NOTE: 7, NOBITS: 8, DYNSYM: 11, GNU_VERSYM: 0x6fffffff } as const;
export const SegmentType = { LOAD: 1, DYNAMIC: 2, INTERP: 3, NOTE: 4 } as const;
export const SegmentFlags = { X: 1, W: 2, R: 4 } as const;
export const SymbolType = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4, TLS: 6, GNU_IFUNC: 10 } as const;
export const SymbolBind = { LOCAL: 0, GLOBAL: 1, WEAK: 2, GNU_UNIQUE: 10 } as const;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;
const SHN_XINDEX = 0xffff;

export interface ElfHeader {
  /** ET_* (ElfType): EXEC for fixed-address executables, DYN for PIE and shared libraries. */
  type: number;
  machine: number;
  entry: bigint;
  littleEndian: boolean;
}

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

export interface ElfSegment {
  type: number;
  /** PF_* bits (SegmentFlags). */
  flags: number;
  offset: number;
  vaddr: bigint;
  filesz: number;
  memsz: bigint;
}

export interface ElfSymbol {
  name: string;
  value: bigint;
  size: bigint;
  /** STT_* (SymbolType). */
  type: number;
  /** STB_* (SymbolBind). */
  bind: number;
  /** Section index; 0 means undefined (imported). */
  shndx: number;
  table: 'symtab' | 'dynsym';
  /** dynsym only: the symbol is a non-default version (name@VER rather than name@@VER). */
  hiddenVersion?: boolean;
}

/** One SystemTap SDT probe site from a .note.stapsdt note. */
export interface StapsdtNote {
  provider: string;
  name: string;
  /** Link-time address of the probe instruction. */
  pc: bigint;
  /** Link-time address of .stapsdt.base as recorded in the note (for prelink adjustment). */
  base: bigint;
  /** Link-time address of the semaphore (unsigned short), or 0 when the probe has none. */
  semaphore: bigint;
  /** Argument spec string, e.g. "-4@%edi 8@%rsi" (empty when the probe has no arguments). */
  args: string;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

export class ElfFile {
  readonly header: ElfHeader;
  readonly sections: readonly ElfSection[];
  readonly segments: readonly ElfSegment[];
  private readonly view: DataView;
  private readonly le: boolean;
  private symtabCache?: ElfSymbol[];
  private dynsymCache?: ElfSymbol[];

  private constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 64) throw new ElfError(`not an ELF file: ${bytes.length} bytes is shorter than an ELF header`);
    if (!ELF_MAGIC.every((b, i) => bytes[i] === b)) throw new ElfError('not an ELF file: bad magic');
    if (bytes[4] !== 2) throw new ElfError(`unsupported ELF class ${bytes[4]}: only ELF64 is supported`);
    if (bytes[5] !== 1 && bytes[5] !== 2) throw new ElfError(`bad ELF data encoding ${bytes[5]}`);
    this.le = bytes[5] === 1;
    this.header = { type: this.u16(16), machine: this.u16(18), entry: this.u64(24), littleEndian: this.le };
    this.sections = this.readSections();
    this.segments = this.readSegments();
  }

  /** Parses an ELF64 image; throws ElfError on anything malformed. */
  static parse(bytes: Uint8Array): ElfFile {
    return new ElfFile(bytes);
  }

  get isPie(): boolean {
    return this.header.type === ElfType.DYN;
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** Raw contents of a section (empty for NOBITS). */
  sectionData(s: ElfSection): Uint8Array {
    if (s.type === SectionType.NOBITS) return new Uint8Array(0);
    return this.slice(s.offset, s.size, `section ${s.name || s.index}`);
  }

  /** Symbols of .symtab (empty when stripped). */
  symbols(): ElfSymbol[] {
    return (this.symtabCache ??= this.readSymbolTable(SectionType.SYMTAB, 'symtab'));
  }

  /** Symbols of .dynsym (exported and imported dynamic symbols). */
  dynamicSymbols(): ElfSymbol[] {
    return (this.dynsymCache ??= this.readSymbolTable(SectionType.DYNSYM, 'dynsym'));
  }

  /**
   * The defined function (or ifunc/notype) symbol called `name`, looked up in .symtab then .dynsym.
   * Among versioned .dynsym duplicates the default version (name@@VER) wins; a "@VER" suffix on `name` is
   * stripped, not matched.
   * Throws ElfError when absent or when distinct addresses make the name ambiguous.
   */
  findFunction(name: string): ElfSymbol {
    const at = name.indexOf('@');
    const bare = at < 0 ? name : name.slice(0, at);
    const defined = (s: ElfSymbol) => s.name === bare && s.shndx !== SHN_UNDEF &&
      (s.type === SymbolType.FUNC || s.type === SymbolType.GNU_IFUNC || s.type === SymbolType.NOTYPE);
    let found = this.symbols().filter(defined);
    if (found.length === 0) found = this.dynamicSymbols().filter(defined);
    if (found.length === 0) throw new ElfError(`symbol '${name}' not found (or not a defined function)`);
    if (at < 0 && found.some((s) => s.hiddenVersion === false)) found = found.filter((s) => s.hiddenVersion !== true);
    const values = new Set(found.map((s) => s.value));
    if (values.size > 1) {
      throw new ElfError(`symbol '${name}' is ambiguous: ${[...values].map((v) => `0x${v.toString(16)}`).join(', ')}`);
    }
    return found[0]!;
  }

  /** The PT_LOAD segment that maps virtual address `vaddr`. */
  segmentAt(vaddr: bigint): ElfSegment | undefined {
    return this.segments.find((p) => p.type === SegmentType.LOAD && vaddr >= p.vaddr && vaddr < p.vaddr + p.memsz);
  }

  /**
   * File offset of a link-time virtual address: vaddr - p_vaddr + p_offset of the PT_LOAD segment holding it
   * (falling back to section headers for files without segments). This is what uprobes want.
   */
  addressToFileOffset(vaddr: bigint): bigint {
    const seg = this.segmentAt(vaddr);
    if (seg) return vaddr - seg.vaddr + BigInt(seg.offset);
    const sec = this.sections.find((s) => s.addr !== 0n && s.type !== SectionType.NOBITS &&
      vaddr >= s.addr && vaddr < s.addr + BigInt(s.size));
    if (sec) return vaddr - sec.addr + BigInt(sec.offset);
    throw new ElfError(`address 0x${vaddr.toString(16)} is not in any loadable segment`);
  }

  /** SystemTap SDT probes from every .note.stapsdt section. */
  stapsdtNotes(): StapsdtNote[] {
    const out: StapsdtNote[] = [];
    for (const s of this.sections) {
      if (s.type !== SectionType.NOTE || s.name !== '.note.stapsdt') continue;
      for (const n of this.notes(s)) {
        if (n.owner !== 'stapsdt' || n.type !== 3) continue;
        out.push(this.decodeStapsdt(n.desc));
      }
    }
    return out;
  }

  /** Address of the .stapsdt.base section, when present (USDT pc adjustment). */
  stapsdtBase(): bigint | undefined {
    return this.section('.stapsdt.base')?.addr;
  }

  // -- decoding -------------------------------------------------------------------------------------

  private u16(off: number): number {
    this.need(off, 2);
    return this.view.getUint16(off, this.le);
  }
  private u32(off: number): number {
    this.need(off, 4);
    return this.view.getUint32(off, this.le);
  }
  private u64(off: number): bigint {
    this.need(off, 8);
    return this.view.getBigUint64(off, this.le);
  }
  private need(off: number, len: number): void {
    if (off < 0 || off + len > this.bytes.length) {
      throw new ElfError(`truncated ELF file: need bytes ${off}..${off + len} of ${this.bytes.length}`);
    }
  }
  private slice(off: number, len: number, what: string): Uint8Array {
    if (off < 0 || len < 0 || off + len > this.bytes.length) {
      throw new ElfError(`truncated ELF file: ${what} spans bytes ${off}..${off + len} of ${this.bytes.length}`);
    }
    return this.bytes.subarray(off, off + len);
  }
  private smallNumber(v: bigint, what: string): number {
    if (v > BigInt(this.bytes.length)) throw new ElfError(`truncated ELF file: ${what} ${v} is beyond its ${this.bytes.length} bytes`);
    return Number(v);
  }

  private readSections(): ElfSection[] {
    const shoff = this.smallNumber(this.u64(40), 'section header offset');
    const shentsize = this.u16(58);
    let shnum = this.u16(60);
    let shstrndx = this.u16(62);
    if (shoff === 0) return [];
    if (shentsize < 64) throw new ElfError(`bad section header size ${shentsize}`);
    // Extended numbering: the real counts live in section 0.
    if (shnum === 0) shnum = this.smallNumber(this.u64(shoff + 32), 'section count');
    if (shstrndx === SHN_XINDEX) shstrndx = this.u32(shoff + 40);
    this.need(shoff, shnum * shentsize);
    const raw = Array.from({ length: shnum }, (_, index) => {
      const b = shoff + index * shentsize;
      const type = this.u32(b + 4);
      const offset = this.smallNumber(this.u64(b + 24), 'section offset');
      const size = type === SectionType.NOBITS ? Number(this.u64(b + 32)) : this.smallNumber(this.u64(b + 32), 'section size');
      if (type !== SectionType.NOBITS && type !== SectionType.NULL) this.need(offset, size);
      return {
        index, nameOff: this.u32(b), type, flags: this.u64(b + 8), addr: this.u64(b + 16), offset, size,
        link: this.u32(b + 40), info: this.u32(b + 44), entsize: Number(this.u64(b + 56)),
      };
    });
    const strtab = shstrndx !== 0 ? raw[shstrndx] : undefined;
    if (shstrndx !== 0 && !strtab) throw new ElfError(`section name table index ${shstrndx} out of range (${shnum} sections)`);
    return raw.map(({ nameOff, ...s }) => ({ ...s, name: strtab ? this.cstr(strtab.offset, strtab.size, nameOff) : '' }));
  }

  private readSegments(): ElfSegment[] {
    const phoff = this.smallNumber(this.u64(32), 'program header offset');
    const phentsize = this.u16(54);
    const phnum = this.u16(56);
    if (phoff === 0 || phnum === 0) return [];
    if (phentsize < 56) throw new ElfError(`bad program header size ${phentsize}`);
    this.need(phoff, phnum * phentsize);
    return Array.from({ length: phnum }, (_, i) => {
      const b = phoff + i * phentsize;
      return {
        type: this.u32(b), flags: this.u32(b + 4), offset: this.smallNumber(this.u64(b + 8), 'segment offset'),
        vaddr: this.u64(b + 16), filesz: this.smallNumber(this.u64(b + 32), 'segment size'), memsz: this.u64(b + 40),
      };
    });
  }

  /** NUL-terminated string at `index` within the string table at [base, base+size). */
  private cstr(base: number, size: number, index: number): string {
    if (index >= size) throw new ElfError(`string index ${index} outside its table of ${size} bytes`);
    const table = this.slice(base, size, 'string table');
    let end = index;
    while (end < size && table[end] !== 0) end++;
    return decoder.decode(table.subarray(index, end));
  }

  private readSymbolTable(type: number, table: 'symtab' | 'dynsym'): ElfSymbol[] {
    const sec = this.sections.find((s) => s.type === type);
    if (!sec) return [];
    const strtab = this.sections[sec.link];
    if (!strtab) throw new ElfError(`${table} links to missing string table ${sec.link}`);
    const entsize = sec.entsize || 24;
    if (entsize < 24) throw new ElfError(`bad ${table} entry size ${entsize}`);
    const versym = table === 'dynsym' ? this.sections.find((s) => s.type === SectionType.GNU_VERSYM && s.link === sec.index) : undefined;
    const count = Math.floor(sec.size / entsize);
    const out: ElfSymbol[] = [];
    for (let i = 1; i < count; i++) {
      const b = sec.offset + i * entsize;
      const info = this.bytes[b + 4]!;
      const sym: ElfSymbol = {
        name: this.cstr(strtab.offset, strtab.size, this.u32(b)),
        value: this.u64(b + 8), size: this.u64(b + 16), type: info & 0xf, bind: info >> 4, shndx: this.u16(b + 6), table,
      };
      // Version index bit 15 marks a hidden (non-default) version; indexes 0/1 are local/global (unversioned).
      if (versym && versym.size >= (i + 1) * 2) sym.hiddenVersion = (this.u16(versym.offset + i * 2) & 0x8000) !== 0;
      else if (table === 'dynsym') sym.hiddenVersion = false;
      out.push(sym);
    }
    return out;
  }

  private notes(s: ElfSection): Array<{ owner: string; type: number; desc: Uint8Array }> {
    const out: Array<{ owner: string; type: number; desc: Uint8Array }> = [];
    const align4 = (n: number) => (n + 3) & ~3;
    let off = s.offset;
    const end = s.offset + s.size;
    while (off + 12 <= end) {
      const namesz = this.u32(off);
      const descsz = this.u32(off + 4);
      const type = this.u32(off + 8);
      const nameAt = off + 12;
      const descAt = nameAt + align4(namesz);
      const next = descAt + align4(descsz);
      if (namesz > s.size || descsz > s.size || next > end + 3) throw new ElfError(`malformed note in ${s.name} at byte ${off}`);
      const name = this.slice(nameAt, namesz, 'note name');
      const owner = decoder.decode(name.subarray(0, name.indexOf(0) < 0 ? namesz : name.indexOf(0)));
      out.push({ owner, type, desc: this.slice(descAt, descsz, 'note descriptor') });
      off = next;
    }
    return out;
  }

  private decodeStapsdt(desc: Uint8Array): StapsdtNote {
    if (desc.length < 24 + 3) throw new ElfError(`stapsdt note too short (${desc.length} bytes)`);
    const v = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
    const strings: string[] = [];
    let at = 24;
    for (let k = 0; k < 3; k++) {
      const end = desc.indexOf(0, at);
      if (end < 0) throw new ElfError('stapsdt note strings are not NUL-terminated');
      strings.push(decoder.decode(desc.subarray(at, end)));
      at = end + 1;
    }
    return {
      pc: v.getBigUint64(0, this.le), base: v.getBigUint64(8, this.le), semaphore: v.getBigUint64(16, this.le),
      provider: strings[0]!, name: strings[1]!, args: strings[2]!,
    };
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/** True when the section index refers to a real section (not UNDEF, ABS, COMMON, ...). */
export function isDefinedInSection(shndx: number): boolean {
  return shndx !== SHN_UNDEF && shndx < SHN_LORESERVE;
}

/** Reads and parses an ELF file from disk. */
export function readElfFile(path: string): ElfFile {
  return ElfFile.parse(readFileSync(path));
}
