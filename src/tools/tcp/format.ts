// User-space side of the TCP tools: decode the endpoint block (addresses formatted by net/address.ts), the -4/-6/-L/-D options.
import type { Command } from 'commander';
import { ToolUsageError } from '../framework/tool.js';
import { AF_INET, AF_INET6 } from './states.js';
import { formatIPv4, formatIPv6 } from '../net/address.js';
import { portList } from '../net/ports.js';
import { ENDPOINT, type EndpointFilter } from './sock.js';

export interface Endpoint {
  family: number;
  /** 4 or 6 (the IP column). */
  ipVersion: 4 | 6;
  laddr: string;
  lport: number;
  raddr: string;
  rport: number;
}

/** Decodes the endpoint block written by emitEndpoint at `off`. */
export function readEndpoint(view: DataView, off: number): Endpoint {
  const family = view.getUint16(off + ENDPOINT.family, true);
  const v6 = family === AF_INET6;
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const addr = (at: number) => (v6 ? formatIPv6(bytes, off + at) : formatIPv4(bytes, off + at));
  return {
    family,
    ipVersion: v6 ? 6 : 4,
    laddr: addr(ENDPOINT.saddr),
    lport: view.getUint16(off + ENDPOINT.lport, true),
    raddr: addr(ENDPOINT.daddr),
    rport: view.getUint16(off + ENDPOINT.rport, true),
  };
}

/** The family to keep for -4/-6 (both given: an error, as libbpf-tools refuse it). */
export function familyOption(opts: { ipv4?: boolean; ipv6?: boolean }): number | undefined {
  if (opts.ipv4 && opts.ipv6) throw new ToolUsageError('-4 and -6 exclude each other: give at most one');
  return opts.ipv4 ? AF_INET : opts.ipv6 ? AF_INET6 : undefined;
}

/** The -4, -6, -D and -L options. */
export interface EndpointOptions {
  ipv4?: boolean;
  ipv6?: boolean;
  localport?: number[];
  remoteport?: number[];
}

/** Adds -4, -6 (with the tool's help text), -D and -L, in libbpf-tools' order. */
export function endpointFlags(command: Command, ipv4Help: string, ipv6Help: string): Command {
  return command
    .option('-4, --ipv4', ipv4Help)
    .option('-6, --ipv6', ipv6Help)
    .option('-D, --remoteport <ports>', 'comma-separated list of remote ports to trace', portList)
    .option('-L, --localport <ports>', 'comma-separated list of local ports to trace', portList);
}

export function endpointFilter(options: EndpointOptions): EndpointFilter {
  return { family: familyOption(options), localPorts: options.localport, remotePorts: options.remoteport };
}
