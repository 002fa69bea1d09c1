// The function symbols of an ELF64 file, read the cheap way: only the headers, the symbol tables and their string
// tables are read from disk (a 100 MB binary has a few MB of symbols), entries are filtered on their type byte
// before anything is decoded, and names are decoded only when a lookup returns them.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { lastAtOrBelow } from './sorted.js';

const SHT_SYMTAB = 2;
const SHT_NOTE = 7;
const SHT_NOBITS = 8;
const SHT_DYNSYM = 11;
const PT_LOAD = 1;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const SHN_LORESERVE = 0xff00;
const NT_GNU_BUILD_ID = 3;

interface LoadSegment {
  offset: number;
  filesz: number;
  vaddr: number;
}

const decoder = new TextDecoder();

/** Function symbols gathered from one or more symbol tables (a file and its detached debug file). */
class SymbolCollector {
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  /** 0 for .symtab, 1 for .dynsym: at one address the .symtab name wins. */
  readonly ranks: number[] = [];
  readonly tables: number[] = [];
  readonly offsets: number[] = [];
  readonly strtabs: Uint8Array[] = [];

  build(segments: LoadSegment[]): ElfFunctions {
    const { starts, ranks } = this;
    const order = Array.from(starts.keys()).sort((a, b) => starts[a]! - starts[b]! || ranks[a]! - ranks[b]! || a - b);
    const kept = order.filter((i, k) => k === 0 || starts[i] !== starts[order[k - 1]!]);
    return new ElfFunctions(
      segments,
      Float64Array.from(kept, (i) => starts[i]!),
      Float64Array.from(kept, (i) => this.ends[i]!),
      Uint16Array.from(kept, (i) => this.tables[i]!),
      Uint32Array.from(kept, (i) => this.offsets[i]!),
      this.strtabs,
    );
  }
}

/** Reads the load segments, the build id and the function symbols of symbol tables `types` of one file. */
function scanFile(path: string, into: SymbolCollector, types: number[]): { segments: LoadSegment[]; buildId?: string; hasSymtab: boolean } {
  const fd = openSync(path, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    const at = (offset: number, length: number): DataView => {
      if (offset < 0 || length < 0 || offset + length > fileSize) throw new Error('truncated ELF file');
      const buf = Buffer.alloc(length);
      if (readSync(fd, buf, 0, length, offset) !== length) throw new Error('short read');
      return new DataView(buf.buffer, buf.byteOffset, length);
    };
    const eh = at(0, 64);
    if (eh.getUint32(0, false) !== 0x7f454c46 || eh.getUint8(4) !== 2 || eh.getUint8(5) !== 1) throw new Error('not a little-endian ELF64 file');
    const phoff = Number(eh.getBigUint64(32, true));
    const shoff = Number(eh.getBigUint64(40, true));
    const phentsize = eh.getUint16(54, true);
    const phnum = eh.getUint16(56, true);
    const shentsize = eh.getUint16(58, true);
    const shnum = eh.getUint16(60, true);

    const segments: LoadSegment[] = [];
    if (phoff > 0 && phnum > 0) {
      const ph = at(phoff, phnum * phentsize);
      for (let i = 0; i < phnum; i++) {
        const b = i * phentsize;
        if (ph.getUint32(b, true) !== PT_LOAD) continue;
        segments.push({ offset: Number(ph.getBigUint64(b + 8, true)), vaddr: Number(ph.getBigUint64(b + 16, true)), filesz: Number(ph.getBigUint64(b + 32, true)) });
      }
    }
    const sections: Array<{ type: number; offset: number; size: number; link: number; entsize: number }> = [];
    if (shoff > 0 && shnum > 0) {
      const sh = at(shoff, shnum * shentsize);
      for (let i = 0; i < shnum; i++) {
        const b = i * shentsize;
        sections.push({
          type: sh.getUint32(b + 4, true), offset: Number(sh.getBigUint64(b + 24, true)), size: Number(sh.getBigUint64(b + 32, true)),
          link: sh.getUint32(b + 40, true), entsize: Number(sh.getBigUint64(b + 56, true)),
        });
      }
    }

    for (const type of types) {
      const sec = sections.find((s) => s.type === type);
      const str = sec ? sections[sec.link] : undefined;
      if (!sec || !str || str.type === SHT_NOBITS || sec.type === SHT_NOBITS) continue;
      const entsize = sec.entsize || 24;
      if (entsize < 24) continue;
      const syms = at(sec.offset, sec.size);
      const strView = at(str.offset, str.size);
      const table = into.strtabs.push(new Uint8Array(strView.buffer, strView.byteOffset, strView.byteLength)) - 1;
      for (let b = entsize; b + 24 <= sec.size; b += entsize) {
        const kind = syms.getUint8(b + 4) & 0xf;
        if (kind !== STT_FUNC && kind !== STT_GNU_IFUNC) continue;
        const shndx = syms.getUint16(b + 6, true);
        const value = Number(syms.getBigUint64(b + 8, true));
        if (shndx === 0 || shndx >= SHN_LORESERVE || value === 0) continue;
        into.starts.push(value);
        into.ends.push(value + Number(syms.getBigUint64(b + 16, true)));
        into.ranks.push(type === SHT_SYMTAB ? 0 : 1);
        into.tables.push(table);
        into.offsets.push(syms.getUint32(b, true));
      }
    }
    const hasSymtab = sections.some((s) => s.type === SHT_SYMTAB);
    const buildId = readBuildId(sections.filter((s) => s.type === SHT_NOTE && s.size < 4096).map((s) => at(s.offset, s.size)));
    return { segments, hasSymtab, ...(buildId ? { buildId } : {}) };
  } finally {
    closeSync(fd);
  }
}

/** The GNU build id (hex) from note sections, if any. */
function readBuildId(notes: DataView[]): string | undefined {
  for (const v of notes) {
    let off = 0;
    while (off + 12 <= v.byteLength) {
      const namesz = v.getUint32(off, true);
      const descsz = v.getUint32(off + 4, true);
      const type = v.getUint32(off + 8, true);
      const desc = off + 12 + ((namesz + 3) & ~3);
      if (desc + descsz > v.byteLength) break;
      const owner = namesz === 4 ? String.fromCharCode(v.getUint8(off + 12), v.getUint8(off + 13), v.getUint8(off + 14)) : '';
      if (type === NT_GNU_BUILD_ID && owner === 'GNU') {
        let hex = '';
        for (let i = 0; i < descsz; i++) hex += v.getUint8(desc + i).toString(16).padStart(2, '0');
        return hex;
      }
      off = desc + ((descsz + 3) & ~3);
    }
  }
  return undefined;
}

export class ElfFunctions {
  readonly #names = new Map<number, string>();

  /** Use ElfFunctions.read. */
  constructor(
    private readonly segments: readonly LoadSegment[],
    /** Sorted start addresses; ends and name locations (string table index, offset) side by side. */
    private readonly starts: Float64Array,
    private readonly ends: Float64Array,
    private readonly nameTable: Uint16Array,
    private readonly nameOffsets: Uint32Array,
    private readonly strtabs: readonly Uint8Array[],
  ) {}

  /**
   * Reads the function symbols of the ELF file at `path`; throws on anything that is not a readable ELF64 file.
   * A file without .symtab (a stripped distribution library) also gets the .symtab of its detached debug file
   * (/usr/lib/debug/.build-id/xx/yyyy.debug, from the -dbg / -dbgsym packages) when one is installed.
   */
  static read(path: string, debugRoot = '/usr/lib/debug'): ElfFunctions {
    const symbols = new SymbolCollector();
    const file = scanFile(path, symbols, [SHT_SYMTAB, SHT_DYNSYM]);
    if (!file.hasSymtab && file.buildId && file.buildId.length > 2) {
      try {
        scanFile(`${debugRoot}/.build-id/${file.buildId.slice(0, 2)}/${file.buildId.slice(2)}.debug`, symbols, [SHT_SYMTAB]);
      } catch {
        // no debug file installed: .dynsym names what it can
      }
    }
    return symbols.build(file.segments);
  }

  /** The function at `fileOffset` of the file (as a mapping's offset places it), or undefined. */
  lookupFileOffset(fileOffset: number): string | undefined {
    const seg = this.segments.find((s) => fileOffset >= s.offset && fileOffset < s.offset + s.filesz);
    return seg ? this.lookupAddress(fileOffset - seg.offset + seg.vaddr) : undefined;
  }

  /** The function at link-time address `vaddr`, or undefined. */
  lookupAddress(vaddr: number): string | undefined {
    const found = lastAtOrBelow(this.starts, vaddr);
    if (found < 0) return undefined;
    // A sized symbol must contain the address; a size-0 one (hand-written assembly) runs to the next symbol.
    if (this.ends[found]! > this.starts[found]! && vaddr >= this.ends[found]!) return undefined;
    return this.#name(found);
  }

  #name(i: number): string {
    let name = this.#names.get(i);
    if (name === undefined) {
      const table = this.strtabs[this.nameTable[i]!]!;
      const start = this.nameOffsets[i]!;
      let end = start;
      while (end < table.length && table[end] !== 0) end++;
      name = decoder.decode(table.subarray(start, end));
      this.#names.set(i, name);
    }
    return name;
  }
}
