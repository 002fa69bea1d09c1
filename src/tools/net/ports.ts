// "-P 80,81": a comma-separated port list, as the libbpf-tools network tools take it.
import { InvalidArgumentError } from 'commander';

/** Ports compile into one compare each in the eBPF filter; libbpf-tools allow 64 too. */
const MAX_PORTS = 64;

/** Commander parser for a comma-separated list of ports 1..65535 (repeats dropped: each costs a compare). */
export function portList(value: string): number[] {
  const ports = value.split(',').map((p) => p.trim());
  if (ports.length > MAX_PORTS) throw new InvalidArgumentError(`at most ${MAX_PORTS} ports`);
  const numbers = ports.map((p) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n < 1 || n > 65535) throw new InvalidArgumentError(`'${p}' is not a port (1-65535)`);
    return n;
  });
  return [...new Set(numbers)];
}

/** A port as the kernel stores skc_dport (network order) read into a register by a 16-bit little-endian load. */
export function networkOrderPort(port: number): number {
  return ((port & 0xff) << 8) | (port >> 8);
}
