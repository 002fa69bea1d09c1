// The one search the symbol tables (kallsyms, ELF functions, perf maps) share.

/** Index of the last element of ascending `sorted` that is <= `x`, or -1 when every element is above it. */
export function lastAtOrBelow(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= x) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
