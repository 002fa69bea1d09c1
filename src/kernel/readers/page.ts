// The system page size, from the ELF auxiliary vector (AT_PAGESZ): ring buffer and perf mmap layouts depend on it.
import { readFileSync } from 'node:fs';

const AT_NULL = 0n;
const AT_PAGESZ = 6n;

let cached: number | undefined;

export function pageSize(): number {
  if (cached !== undefined) return cached;
  cached = 4096;
  try {
    const auxv = readFileSync('/proc/self/auxv');
    const view = new DataView(auxv.buffer, auxv.byteOffset, auxv.byteLength);
    for (let off = 0; off + 16 <= auxv.byteLength; off += 16) {
      const type = view.getBigUint64(off, true);
      if (type === AT_NULL) break;
      if (type === AT_PAGESZ) {
        cached = Number(view.getBigUint64(off + 8, true));
        break;
      }
    }
  } catch {
    // No /proc: keep the x86_64 default.
  }
  return cached;
}
