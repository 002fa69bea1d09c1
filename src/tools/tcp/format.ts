// User-space side of the TCP tools: decode the endpoint block, format addresses, parse the -L/-D port lists.
import { InvalidArgumentError } from 'commander';
import { ToolUsageError } from '../framework/tool.js';
import { AF_INET, AF_INET6 } from './states.js';
import { ENDPOINT } from './sock.js';

export interface Endpoint {
  family: number;
  /** 4 or 6 (the IP column). */
  ipVersion: 4 | 6;
  laddr: string;
  lport: number;
  raddr: string;
  rport: number;
}

function ipv4(view: DataView, off: number): string {
  return [0, 1, 2, 3].map((i) => view.getUint8(off + i)).join('.');
}

/** RFC 5952 text (what inet_ntop prints): lowercase hex, longest run of two or more zero groups as "::". */
function ipv6(view: DataView, off: number): string {
  const groups = Array.from({ length: 8 }, (_, i) => view.getUint16(off + 2 * i, false));
  // IPv4-mapped addresses print as ::ffff:a.b.c.d, as inet_ntop does.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${ipv4(view, off + 12)}`;
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** Decodes the endpoint block written by emitEndpoint at `off`. */
export function readEndpoint(view: DataView, off: number): Endpoint {
  const family = view.getUint16(off + ENDPOINT.family, true);
  const v6 = family === AF_INET6;
  const addr = (at: number) => (v6 ? ipv6(view, off + at) : ipv4(view, off + at));
  return {
    family,
    ipVersion: v6 ? 6 : 4,
    laddr: addr(ENDPOINT.saddr),
    lport: view.getUint16(off + ENDPOINT.lport, true),
    raddr: addr(ENDPOINT.daddr),
    rport: view.getUint16(off + ENDPOINT.rport, true),
  };
}

/** Commander parser for "-L 80,443": a comma-separated list of ports 1-65535. */
export function portList(value: string): number[] {
  const ports = value.split(',').map((p) => p.trim());
  const out: number[] = [];
  for (const p of ports) {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n < 1 || n > 65535) throw new InvalidArgumentError(`expected a comma-separated list of ports (1-65535), got '${value}'`);
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** The family to keep for -4/-6 (both given: an error, as libbpf-tools refuse it). */
export function familyOption(opts: { ipv4?: boolean; ipv6?: boolean }): number | undefined {
  if (opts.ipv4 && opts.ipv6) throw new ToolUsageError('-4 and -6 exclude each other: give at most one');
  return opts.ipv4 ? AF_INET : opts.ipv6 ? AF_INET6 : undefined;
}
