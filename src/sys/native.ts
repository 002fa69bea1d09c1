// The one door to the C shim. Everything else in bpfkit reaches the kernel through these few functions.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type SyscallArg = number | bigint | ArrayBufferView | ArrayBuffer | null | undefined;

export interface NativeShim {
  /** Raw syscall; returns the result or -errno. */
  syscall(nr: number, ...args: SyscallArg[]): number;
  /** bpf(cmd, attr, attr.byteLength); returns the result or -errno. */
  bpf(cmd: number, attr: Uint8Array): number;
  /**
   * bpf(cmd, attr) bound once: the returned function takes no arguments and reads attr's current bytes at each
   * call (result or -errno). Cheaper per call than bpf(); for hot paths that reuse one attr block.
   */
  bpfBind(cmd: number, attr: Uint8Array): () => number;
  /** mmap of an fd; returns an ArrayBuffer over the mapping or -errno. */
  mmap(fd: number, length: number, prot: number, flags: number, offset: number): ArrayBuffer | number;
  /** Detaches the ArrayBuffer (every view then reads empty) and unmaps it. Idempotent. */
  munmap(buffer: ArrayBuffer): number;
  addressOf(buffer: ArrayBufferView | ArrayBuffer): bigint;
  /** Calls onReadable(status, events) from the event loop whenever fd is readable. */
  pollStart(fd: number, onReadable: (status: number, events: number) => void, keepAlive: boolean): object;
  pollStop(handle: object): number;
}

function findAddon(): string {
  // The package root is a few levels up: dist/src/sys/native.js, src/sys/native.ts, or the bundle dist/bpfkit.mjs.
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['..', '../..', '../../..']) {
    const candidate = join(here, up, 'native', 'build', 'Release', 'bpfkit.node');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('bpfkit: the native shim is not built; run `npm install` (or `node scripts/build-native.mjs`)');
}

export const native: NativeShim = createRequire(import.meta.url)(findAddon()) as NativeShim;
