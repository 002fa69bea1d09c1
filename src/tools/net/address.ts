// IP addresses as the network tools print them: dotted quads for IPv4 and RFC 5952 text (what inet_ntop prints)
// for IPv6, from the raw network-order bytes the kernel keeps in struct sock_common.

export const AF_INET = 2;
export const AF_INET6 = 10;

/** Dotted-quad text of the 4 bytes at `offset`. */
export function formatIPv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** RFC 5952 text of the 16 bytes at `offset`: lower-case hex, the longest run of 2+ zero groups as "::". */
export function formatIPv6(bytes: Uint8Array, offset = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!);
  // IPv4-mapped (::ffff:a.b.c.d) keeps its dotted tail, as inet_ntop does.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${formatIPv4(bytes, offset + 12)}`;
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
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
  if (bestLen < 2) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** The address of `family` (AF_INET or AF_INET6) at `offset`. */
export function formatAddress(family: number, bytes: Uint8Array, offset = 0): string {
  return family === AF_INET ? formatIPv4(bytes, offset) : formatIPv6(bytes, offset);
}

/** The IP column: 4 or 6. */
export function ipVersion(family: number): 4 | 6 {
  return family === AF_INET ? 4 : 6;
}
