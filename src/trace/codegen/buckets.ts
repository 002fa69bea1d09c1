// In-kernel bucket index computations for hist() and lhist(), emitted as straight-line eBPF (no loops).
import type { ProgramBuilder, Register } from '../../isa/builder.js';

let uniq = 0;

/**
 * out = log2 bucket of the signed 64-bit value in `value`: negative → 0, 0 → 1, otherwise 2 + floor(log2(value)).
 * Like bpftrace 0.17, the search shifts by 16, 8, 4, 2, 1 only, so values from 2^31 up share the last bucket
 * (printed [2G, 4G)); matching it keeps histograms byte-identical with bpftrace's.
 * `value` and `tmp` are clobbered; all three registers must differ.
 */
export function emitLog2Bucket(b: ProgramBuilder, value: Register, tmp: Register, out: Register): void {
  const id = uniq++;
  const neg = `log2_neg_${id}`;
  const zero = `log2_zero_${id}`;
  const done = `log2_done_${id}`;
  b.jslt(value, 0, neg).jeq(value, 0, zero).mov(out, 2);
  // Highest set bit by binary search: if (value >> s) != 0 { value >>= s; out += s }.
  for (const shift of [16, 8, 4, 2, 1]) {
    const skip = `log2_skip${shift}_${id}`;
    b.mov(tmp, value).rsh(tmp, shift).jeq(tmp, 0, skip).mov(value, tmp).add(out, shift).label(skip);
  }
  b.ja(done);
  b.label(neg).mov(out, 0).ja(done);
  b.label(zero).mov(out, 1);
  b.label(done); // the caller's next instruction lands here
}

/**
 * out = linear bucket of the signed value for lhist(value, min, max, step):
 * below min → 0, at or above max → (max - min) / step + 1, otherwise (value - min) / step + 1.
 * `value` is clobbered.
 */
export function emitLinearBucket(b: ProgramBuilder, value: Register, out: Register,
  min: number, max: number, step: number): void {
  const id = uniq++;
  const below = `lhist_below_${id}`;
  const above = `lhist_above_${id}`;
  const done = `lhist_done_${id}`;
  b.jslt(value, min, below).jmp('jsge', value, max, above);
  b.mov(out, value).sub(out, min).div(out, step).add(out, 1).ja(done);
  b.label(below).mov(out, 0).ja(done);
  b.label(above).mov(out, Math.floor((max - min) / step) + 1);
  b.label(done);
}
