// A shared mapping of a kernel object's fd (ring buffer map, perf event), unmapped exactly once.
import { native } from '../../sys/native.js';
import { errorFromErrno } from '../../sys/errors.js';

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;

export class Mapping implements Disposable {
  readonly buffer: ArrayBuffer;
  #unmapped = false;

  constructor(fd: number, length: number, prot: number, offset: number, what: string) {
    const r = native.mmap(fd, length, prot, MAP_SHARED, offset);
    if (typeof r === 'number') throw errorFromErrno(-r, `mmap ${what} (${length} bytes at offset ${offset})`);
    this.buffer = r;
  }

  /** Detaches the buffer first, so any view still held reads as empty instead of touching unmapped memory. */
  unmap(): void {
    if (this.#unmapped) return;
    this.#unmapped = true;
    native.munmap(this.buffer);
  }

  [Symbol.dispose](): void {
    this.unmap();
  }
}
