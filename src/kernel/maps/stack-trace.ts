// STACK_TRACE maps: bpf_get_stackid() stores an array of u64 instruction pointers under a u32 stack id.
import type { Codec } from '../codec.js';

/** Flags for bpf_get_stackid() (its third argument). */
export const StackIdFlags = {
  /** Low 8 bits: frames to skip. */
  SKIP_MASK: 0xff,
  USER_STACK: 1 << 8,
  FAST_STACK_CMP: 1 << 9,
  REUSE_STACKID: 1 << 10,
} as const;

/** The kernel's default maximum depth (sysctl kernel.perf_event_max_stack). */
export const DEFAULT_STACK_DEPTH = 127;

/** A stack value of `depth` u64 slots, decoded as the instruction pointers up to the first 0. Read-only. */
export function stackFrames(depth: number = DEFAULT_STACK_DEPTH): Codec<bigint[]> {
  return {
    size: depth * 8,
    encode: () => {
      throw new TypeError('stack trace maps are written by bpf_get_stackid(), not from user space');
    },
    decode: (b) => {
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const ips: bigint[] = [];
      for (let off = 0; off + 8 <= b.byteLength; off += 8) {
        const ip = view.getBigUint64(off, true);
        if (ip === 0n) break;
        ips.push(ip);
      }
      return ips;
    },
  };
}
