// Keys of LPM_TRIE maps: struct bpf_lpm_trie_key { __u32 prefixlen; __u8 data[]; }. prefixlen is host order,
// data is network order (most significant byte first), which is how addresses already sit in packets.
import type { Codec } from '../codec.js';

export interface LpmKey {
  /** Number of leading bits of `data` that matter. */
  prefixLen: number;
  data: Uint8Array;
}

/** A {prefixLen, data} key with `dataSize` bytes of data (4 + dataSize bytes in all). */
export function lpmKey(dataSize: number): Codec<LpmKey> {
  return {
    size: 4 + dataSize,
    encode: (v, o) => {
      if (v.data.byteLength !== dataSize) throw new RangeError(`lpm key data must be ${dataSize} bytes, got ${v.data.byteLength}`);
      checkPrefix(v.prefixLen, dataSize * 8);
      new DataView(o.buffer, o.byteOffset, 4).setUint32(0, v.prefixLen, true);
      o.set(v.data, 4);
    },
    decode: (b) => ({ prefixLen: new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true), data: b.slice(4, 4 + dataSize) }),
  };
}

/** IPv4 CIDR keys as strings: "10.0.0.0/8" (a bare address means /32). Host bits are cleared on encode. */
export const cidr4: Codec<string> = cidrCodec(4, parseIPv4, formatIPv4);

/** IPv6 CIDR keys as strings: "2001:db8::/32" (a bare address means /128). Host bits are cleared on encode. */
export const cidr6: Codec<string> = cidrCodec(16, parseIPv6, formatIPv6);

function cidrCodec(bytes: number, parse: (s: string) => Uint8Array, format: (b: Uint8Array) => string): Codec<string> {
  const inner = lpmKey(bytes);
  return {
    size: inner.size,
    encode: (v, o) => {
      const { prefixLen, data } = parseCidr(v, bytes * 8, parse);
      inner.encode({ prefixLen, data: maskHostBits(data, prefixLen) }, o);
    },
    decode: (b) => {
      const { prefixLen, data } = inner.decode(b);
      return `${format(data)}/${prefixLen}`;
    },
  };
}

function parseCidr(text: string, bits: number, parse: (s: string) => Uint8Array): LpmKey {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const prefixLen = slash < 0 ? bits : Number(text.slice(slash + 1));
  if (slash >= 0 && !/^\d+$/.test(text.slice(slash + 1))) throw new RangeError(`'${text}': prefix length is not a number`);
  checkPrefix(prefixLen, bits, text);
  return { prefixLen, data: parse(addr.trim()) };
}

function checkPrefix(prefixLen: number, bits: number, text?: string): void {
  if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > bits) {
    throw new RangeError(`${text ? `'${text}': ` : ''}prefix length ${prefixLen} is outside 0..${bits}`);
  }
}

/** Zeroes every bit after the first prefixLen. */
export function maskHostBits(data: Uint8Array, prefixLen: number): Uint8Array {
  const out = data.slice();
  for (let i = 0; i < out.length; i++) {
    const keep = Math.min(8, Math.max(0, prefixLen - i * 8));
    out[i]! &= (0xff00 >> keep) & 0xff;
  }
  return out;
}

export function parseIPv4(s: string): Uint8Array {
  const parts = s.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new RangeError(`'${s}' is not an IPv4 address`);
  }
  return Uint8Array.from(parts.map(Number));
}

export function formatIPv4(b: Uint8Array): string {
  return Array.from(b.subarray(0, 4)).join('.');
}

export function parseIPv6(s: string): Uint8Array {
  const bad = () => new RangeError(`'${s}' is not an IPv6 address`);
  let text = s;
  const tail: number[] = [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) stands for the last two groups.
  const v4 = /(?:^|:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = parseIPv4(v4[1]!);
    tail.push((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!);
    text = text.slice(0, text.length - v4[1]!.length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) throw bad();
  const groups = (h: string) => (h === '' ? [] : h.split(':').map((g) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
    return parseInt(g, 16);
  }));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) throw bad();
  const all = [...head, ...new Array(8 - given).fill(0), ...rest, ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => { out[i * 2] = g >> 8; out[i * 2 + 1] = g & 0xff; });
  return out;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run (2+) of zero groups as "::". */
export function formatIPv6(b: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => (b[i * 2]! << 8) | b[i * 2 + 1]!);
  // IPv4-mapped addresses keep their dotted tail (RFC 5952 section 5).
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${formatIPv4(b.subarray(12, 16))}`;
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}
