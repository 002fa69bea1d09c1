// hist() and lhist() bucket tables as bpftrace 0.17 prints them. The quirks are bpftrace's own and kept on
// purpose: counts are compared as 32-bit ints when finding the range to print, the bar length is computed in
// single-precision float, hist counts are divided by print()'s div but their bars are not, and lhist ignores div.

const BAR_WIDTH = 52;

/** C's `int v = values.at(i)`: the low 32 bits as a signed int. */
function asInt(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** `int bar_width = count / (float)max_value * 52`, all in single precision. */
function barWidth(count: bigint, maxValue: number): number {
  const ratio = Math.fround(Math.fround(Number(count)) / Math.fround(maxValue));
  const w = Math.trunc(Math.fround(ratio * BAR_WIDTH));
  return Number.isFinite(w) ? Math.max(0, Math.min(w, 1 << 20)) : 0;
}

function row(label: string, count: bigint, maxValue: number, barCount: bigint): string {
  const bar = '@'.repeat(barWidth(barCount, maxValue));
  return label.padEnd(16) + count.toString().padStart(8) + ' |' + bar.padEnd(BAR_WIDTH) + '|\n';
}

/** 1 << power in a C int (x86 masks the shift count to 5 bits). */
function cIntShift(power: number): number {
  return (1 << (power & 31)) | 0;
}

function histLabel(power: number): string {
  let suffix = '';
  for (const [p, s] of [[40, 'T'], [30, 'G'], [20, 'M'], [10, 'K']] as const) {
    if (power >= p) {
      suffix = s;
      power -= p;
      break;
    }
  }
  return cIntShift(power).toString() + suffix;
}

function lhistLabel(n: number): string {
  if (n === 0) return '0';
  if (n % 1048576 === 0) return `${n / 1048576}M`;
  if (n % 1024 === 0) return `${n / 1024}K`;
  return n.toString();
}

interface HistRange {
  first: number;
  last: number;
  maxValue: number;
}

function histRange(buckets: readonly bigint[]): HistRange | null {
  let first = -1;
  let last = -1;
  let maxValue = 0;
  buckets.forEach((b, i) => {
    const v = asInt(b);
    if (v > 0) {
      if (first === -1) first = i;
      last = i;
    }
    if (v > maxValue) maxValue = v;
  });
  return last === -1 ? null : { first, last, maxValue };
}

interface LhistRange extends HistRange {
  buckets: number;
}

function lhistRange(values: readonly bigint[], min: number, max: number, step: number): LhistRange | null {
  const buckets = Math.trunc((max - min) / step);
  let any = false;
  let maxValue = 0;
  for (const b of values) {
    const v = asInt(b);
    if (v !== 0) any = true;
    if (v > maxValue) maxValue = v;
  }
  if (!any) return null;
  let first = -1;
  let last = 0;
  for (let i = 0; i <= buckets + 1; i++) {
    if ((values[i] ?? 0n) > 0n) {
      if (first === -1) first = i;
      last = i;
    }
  }
  return { first: first === -1 ? 0 : first, last, maxValue, buckets };
}

/** The text table of one hist() entry ("" when every bucket is 0). */
export function histText(buckets: readonly bigint[], div = 1): string {
  const r = histRange(buckets);
  if (!r) return '';
  let out = '';
  for (let i = r.first; i <= r.last; i++) {
    const label = i === 0 ? '(..., 0)' : i === 1 ? '[0]' : i === 2 ? '[1]'
      : `[${histLabel(i - 2)}, ${histLabel(i - 1)})`;
    const count = buckets[i] ?? 0n;
    out += row(label, count / BigInt(div), r.maxValue, count);
  }
  return out;
}

/** The text table of one lhist() entry ("" when every bucket is 0). */
export function lhistText(values: readonly bigint[], min: number, max: number, step: number): string {
  const r = lhistRange(values, min, max, step);
  if (!r) return '';
  let out = '';
  for (let i = r.first; i <= r.last; i++) {
    const label = i === 0 ? `(..., ${lhistLabel(min)})` : i === r.buckets + 1 ? `[${lhistLabel(max)}, ...)`
      : `[${lhistLabel((i - 1) * step + min)}, ${lhistLabel(i * step + min)})`;
    const count = values[i] ?? 0n;
    out += row(label, count, r.maxValue, count);
  }
  return out;
}

/** The JSON array of one hist() entry ("[]" when every bucket is 0, as bpftrace). */
export function histJson(buckets: readonly bigint[], div = 1): string {
  const r = histRange(buckets);
  if (!r) return '[]'; // unlike the text table, the JSON array is still written
  const items: string[] = [];
  for (let i = r.first; i <= r.last; i++) {
    let range: string;
    if (i === 0) range = '"max": -1, ';
    else if (i === 1) range = '"min": 0, "max": 0, ';
    else if (i === 2) range = '"min": 1, "max": 1, ';
    else range = `"min": ${cIntShift(i - 2)}, "max": ${(cIntShift(i - 1) - 1) | 0}, `;
    items.push(`{${range}"count": ${(buckets[i] ?? 0n) / BigInt(div)}}`);
  }
  return '[' + items.join(', ') + ']';
}

/** The JSON array of one lhist() entry ("[]" when every bucket is 0). */
export function lhistJson(values: readonly bigint[], min: number, max: number, step: number): string {
  const r = lhistRange(values, min, max, step);
  if (!r) return '[]';
  const items: string[] = [];
  for (let i = r.first; i <= r.last; i++) {
    let range: string;
    if (i === 0) range = `"max": ${min - 1}, `;
    else if (i === r.buckets + 1) range = `"min": ${max}, `;
    else range = `"min": ${(i - 1) * step + min}, "max": ${i * step + min - 1}, `;
    items.push(`{${range}"count": ${values[i] ?? 0n}}`);
  }
  return '[' + items.join(', ') + ']';
}
