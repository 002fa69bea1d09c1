// The output side of the bpftrace runtime: pure functions from decoded data to the exact bytes bpftrace 0.17
// prints. See types.ts for the input shapes.
import { formatMap } from './maps.js';
import { EXIT_PREAMBLE } from './messages.js';
import type { MapContents, OutputFormat } from './types.js';

export * from './types.js';
export { formatPrintf, printfTokens, hexFormatBuffer, PrintfError, type PrintfArg } from './printf.js';
export { formatMap, formatMapText, formatMapJson } from './maps.js';
export { histText, lhistText, histJson, lhistJson } from './histogram.js';
export { histBucket017, lhistBucket, addToBuckets } from './buckets.js';
export { attachedProbes, printfMessage, timeMessage, valueMessage, lostEvents, EXIT_PREAMBLE } from './messages.js';
export { strftime, DEFAULT_TIME_FORMAT } from './time.js';
export { valueText, valueJson, jsonEscape } from './values.js';
export { cxxSort } from './cxx-sort.js';

/** bpftrace orders maps by name (std::map<std::string>): plain byte order. */
export function compareMapNames(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

/**
 * Everything printed at exit after END ran: two newlines, then every map of the script (including ones never
 * written: they print as empty) in name order.
 */
export function exitOutput(maps: readonly MapContents[], format: OutputFormat = 'text'): string {
  const sorted = [...maps].sort((a, b) => compareMapNames(a.name, b.name));
  return EXIT_PREAMBLE + sorted.map((m) => formatMap(m, format)).join('');
}
