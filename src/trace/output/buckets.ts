// Which bucket bpftrace 0.17 puts a value in. The kernel side computes this; these pure definitions document
// the layout the output layer expects and let tests and the runtime build bucket arrays from plain values.

/**
 * hist() bucket of a signed 64-bit value as bpftrace 0.17 computes it: negative → 0, zero → 1, otherwise
 * 2 + floor(log2(v)), except that 0.17's log2 only shifts by 16, 8, 4, 2, 1 and so stops at 31: every value
 * at or above 2^31 lands in bucket 33, printed as [2G, 4G).
 */
export function histBucket017(value: bigint): number {
  const v = BigInt.asIntN(64, value);
  if (v < 0n) return 0;
  if (v === 0n) return 1;
  let n = v;
  let log = 0;
  for (const shift of [16n, 8n, 4n, 2n, 1n]) {
    if (n >> shift !== 0n) {
      n >>= shift;
      log += Number(shift);
    }
  }
  return 2 + log;
}

/** lhist(value, min, max, step) bucket: below min → 0, at or above max → (max-min)/step + 1, else (v-min)/step + 1. */
export function lhistBucket(value: bigint, min: number, max: number, step: number): number {
  const v = BigInt.asIntN(64, value);
  const buckets = Math.trunc((max - min) / step);
  if (v < BigInt(min)) return 0;
  if (v >= BigInt(max)) return buckets + 1;
  return Number((v - BigInt(min)) / BigInt(step)) + 1;
}

/** Adds one observation of `value` to a bucket array, growing it as needed. */
export function addToBuckets(buckets: bigint[], index: number): void {
  while (buckets.length <= index) buckets.push(0n);
  buckets[index] = buckets[index]! + 1n;
}
