// Histograms as libbpf-tools and BCC print them: "usecs : count distribution" and a 40-wide bar of stars
// (20 wide when the slots go past 2^32). Slot i of a log2 histogram counts values in [2^i, 2^(i+1)), slot 0 also
// counts 0. Also the JSON shape for --json.

/** Number of log2 slots the kernel side keeps (values up to 2^MAX_SLOTS). */
export const MAX_SLOTS = 27;

function stars(value: bigint, max: bigint, width: number): string {
  const shown = value < max ? value : max;
  const n = max === 0n ? 0 : Number((shown * BigInt(width)) / max);
  return '*'.repeat(n) + ' '.repeat(width - n) + (value > max ? '+' : '');
}

/** The log2 histogram of `slots` (counts per slot) under a `unit` header ("usecs", "msecs", "kbytes"). */
export function formatLog2Hist(slots: readonly bigint[], unit: string): string {
  let last = -1;
  let max = 0n;
  slots.forEach((v, i) => {
    if (v > 0n) last = i;
    if (v > max) max = v;
  });
  if (last < 0) return '';
  const narrow = last <= 32;
  const width = narrow ? 10 : 20;
  const barWidth = narrow ? 40 : 20;
  let out = `${' '.repeat(narrow ? 5 : 15)}${unit.padEnd(narrow ? 19 : 29)} : count    distribution\n`;
  for (let i = 0; i <= last; i++) {
    let low = (1n << BigInt(i + 1)) >> 1n;
    const high = (1n << BigInt(i + 1)) - 1n;
    if (low === high) low -= 1n;
    const v = slots[i] ?? 0n;
    out += `${String(low).padStart(width)} -> ${String(high).padEnd(width)} : ${String(v).padEnd(8)} |${stars(v, max, barWidth)}|\n`;
  }
  return out;
}

/** A linear histogram (runqlen): one row per non-empty slot, value base + i*step. */
export function formatLinearHist(slots: readonly bigint[], base: number, step: number, unit: string): string {
  let first = -1;
  let last = -1;
  let max = 0n;
  slots.forEach((v, i) => {
    if (v > 0n) {
      last = i;
      if (first < 0) first = i;
    }
    if (v > max) max = v;
  });
  if (last < 0) return '';
  let out = `     ${unit.padEnd(13)} : count     distribution\n`;
  for (let i = first; i <= last; i++) {
    const v = slots[i] ?? 0n;
    if (v === 0n) continue;
    out += `        ${String(base + i * step).padEnd(10)} : ${String(v).padEnd(8)} |${stars(v, max, 40)}|\n`;
  }
  return out;
}

/** --json shape of a log2 histogram: the non-empty range's slots with their bounds. */
export function log2HistJson(slots: readonly bigint[], unit: string): { unit: string; buckets: Array<{ low: number; high: number; count: number }> } {
  let last = -1;
  slots.forEach((v, i) => {
    if (v > 0n) last = i;
  });
  const buckets = [];
  for (let i = 0; i <= last; i++) {
    const high = 2 ** (i + 1) - 1;
    const low = i === 0 ? 0 : 2 ** i;
    buckets.push({ low, high, count: Number(slots[i] ?? 0n) });
  }
  return { unit, buckets };
}
