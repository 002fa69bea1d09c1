// User addresses → function names: a process's executable mappings (/proc/<pid>/maps) locate the mapped file and
// the file offset; the file's PT_LOAD segments turn that into a link-time address, and its ELF function symbols
// (.symtab, then .dynsym for stripped libraries) name it (elf-functions.ts). Maps are snapshotted while the process lives; files are read once
// per (device, inode) and shared between processes.
import { readFileSync } from 'node:fs';
import { ElfFunctions } from './elf-functions.js';
import { lastAtOrBelow } from './sorted.js';

export interface Mapping {
  start: bigint;
  end: bigint;
  offset: bigint;
  /** "dev:inode", the identity of the mapped file. */
  fileId: string;
  path: string;
}

const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+([0-9a-f]+)\s+(\S+)\s+(\d+)\s*(.*)$/;

/** The executable, file-backed mappings of a maps file's text. */
function parseMaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of text.split('\n')) {
    const m = MAPS_LINE.exec(line);
    if (!m || !m[3]!.includes('x') || m[6] === '0' || !m[7]!.startsWith('/')) continue;
    out.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), offset: BigInt(`0x${m[4]}`), fileId: `${m[5]}:${m[6]}`, path: m[7]! });
  }
  return out;
}

export class UserSymbolizer {
  readonly #maps = new Map<number, Mapping[]>();
  readonly #files = new Map<string, ElfFunctions | null>();
  readonly #perfMaps = new Map<number, PerfMap | null>();

  /** Whether maps of `pid` were captured. */
  has(pid: number): boolean {
    return this.#maps.has(pid);
  }

  /** Reads /proc/<pid>/maps now (replacing an earlier snapshot); false when the process is gone. */
  snapshot(pid: number): boolean {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/maps`, 'utf8');
    } catch {
      return false;
    }
    const maps = parseMaps(text);
    if (maps.length > 0 || !this.#maps.has(pid)) this.#maps.set(pid, maps);
    return true;
  }

  /** The function name at `addr` in process `pid`, or undefined when unknown. */
  lookup(pid: number, addr: bigint): string | undefined {
    const mapping = this.#maps.get(pid)?.find((m) => addr >= m.start && addr < m.end);
    if (!mapping) return this.#perfMap(pid)?.lookup(Number(addr));
    const file = this.#file(pid, mapping);
    return file?.lookupFileOffset(Number(addr - mapping.start + mapping.offset));
  }

  /** JIT code (node --perf-basic-prof, Java agents...) is named in /tmp/perf-<pid>.map, which outlives the process. */
  #perfMap(pid: number): PerfMap | null {
    let map = this.#perfMaps.get(pid);
    if (map === undefined) {
      try {
        map = PerfMap.parse(readFileSync(`/tmp/perf-${pid}.map`, 'utf8'));
      } catch {
        map = null;
      }
      this.#perfMaps.set(pid, map);
    }
    return map;
  }

  #file(pid: number, m: Mapping): ElfFunctions | null {
    let file = this.#files.get(m.fileId);
    if (file !== undefined) return file;
    file = null;
    // The mapping's own file first: right even when deleted or inside another mount namespace (container).
    const candidates = [`/proc/${pid}/map_files/${m.start.toString(16)}-${m.end.toString(16)}`, `/proc/${pid}/root${m.path}`, m.path];
    for (const path of candidates) {
      try {
        file = ElfFunctions.read(path);
        break;
      } catch {
        // try the next way to reach the file; a non-ELF or unreadable file leaves its frames unknown
      }
    }
    this.#files.set(m.fileId, file);
    return file;
  }
}

/** A perf map: lines of "START SIZE name" (hex, no 0x), one per JIT-compiled function. */
export class PerfMap {
  private constructor(private readonly starts: Float64Array, private readonly ends: Float64Array, private readonly names: string[]) {}

  static parse(text: string): PerfMap {
    const entries: Array<[number, number, string]> = [];
    for (const line of text.split('\n')) {
      const m = /^(?:0x)?([0-9a-fA-F]+) (?:0x)?([0-9a-fA-F]+) (.+)$/.exec(line);
      if (m) entries.push([parseInt(m[1]!, 16), parseInt(m[2]!, 16), m[3]!]);
    }
    // Later lines win for reused addresses (code is freed and recompiled): keep the last entry per start.
    const byStart = new Map(entries.map((e) => [e[0], e] as const));
    const sorted = [...byStart.values()].sort((a, b) => a[0] - b[0]);
    return new PerfMap(Float64Array.from(sorted, (e) => e[0]), Float64Array.from(sorted, (e) => e[0] + e[1]), sorted.map((e) => e[2]));
  }

  lookup(addr: number): string | undefined {
    const found = lastAtOrBelow(this.starts, addr);
    return found >= 0 && addr < this.ends[found]! ? this.names[found] : undefined;
  }
}
