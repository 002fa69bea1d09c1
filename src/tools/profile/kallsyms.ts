// Kernel addresses → function names from /proc/kallsyms (text symbols, including modules and BPF programs).
// Kernel addresses all have their top 16 bits set (canonical upper half), so the low 48 bits, exact in a double,
// are what gets stored and compared: parsing 120k BigInts would take a second.
import { readFileSync } from 'node:fs';
import { lastAtOrBelow } from './sorted.js';

const LOW48 = (1n << 48n) - 1n;

export class KernelSymbols {
  private constructor(private readonly addrs: Float64Array, private readonly names: string[]) {}

  /** Parses kallsyms text ("ffffffff81000000 T _stext", module symbols end in "\t[module]"). */
  static parse(text: string): KernelSymbols {
    const addrs: number[] = [];
    const names: string[] = [];
    let pos = 0;
    while (pos < text.length) {
      let eol = text.indexOf('\n', pos);
      if (eol < 0) eol = text.length;
      const line = text.slice(pos, eol);
      const space = line.indexOf(' ');
      if (space > 0 && space + 3 < line.length && line.startsWith('ffff')) {
        const type = line[space + 1];
        // Text symbols only (t/T, and weak w/W): data symbols would name random addresses.
        if (type === 't' || type === 'T' || type === 'w' || type === 'W') {
          const tab = line.indexOf('\t', space + 3);
          addrs.push(parseInt(line.slice(4, space), 16));
          names.push(line.slice(space + 3, tab >= 0 ? tab : line.length));
        }
      }
      pos = eol + 1;
    }
    const order = Array.from(addrs.keys()).sort((a, b) => addrs[a]! - addrs[b]! || a - b);
    return new KernelSymbols(Float64Array.from(order, (i) => addrs[i]!), order.map((i) => names[i]!));
  }

  /** The running kernel's symbols (without root the addresses read as 0 and no symbols are kept). */
  static load(path = '/proc/kallsyms'): KernelSymbols {
    return KernelSymbols.parse(readFileSync(path, 'utf8'));
  }

  get size(): number {
    return this.names.length;
  }

  /** The function containing kernel address `addr` (the nearest symbol at or below it), or undefined. */
  lookup(addr: bigint): string | undefined {
    if (addr >> 48n !== 0xffffn) return undefined;
    const low = Number(addr & LOW48);
    const found = lastAtOrBelow(this.addrs, low);
    return found < 0 ? undefined : this.names[found];
  }
}
