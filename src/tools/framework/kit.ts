// Small pieces of eBPF the tools share, written with the isa builder.
import type { ProgramBuilder, Register } from '../../isa/builder.js';
import { MAX_SLOTS } from './histogram.js';

let uniq = 0;

/**
 * out = floor(log2(value)) for an unsigned 64-bit value (0 and 1 → 0), capped at MAX_SLOTS - 1: the slot of a
 * libbpf-tools log2 histogram. `value` and `tmp` are clobbered; all three registers must differ.
 */
export function emitLog2Slot(b: ProgramBuilder, value: Register, tmp: Register, out: Register): void {
  const id = uniq++;
  b.mov(out, 0);
  for (const shift of [32, 16, 8, 4, 2, 1]) {
    const skip = `slot_skip${shift}_${id}`;
    b.mov(tmp, value).rsh(tmp, shift).jeq(tmp, 0, skip).mov(value, tmp).add(out, shift).label(skip);
  }
  const done = `slot_done_${id}`;
  b.jlt(out, MAX_SLOTS, done).mov(out, MAX_SLOTS - 1).label(done);
}
