// Everything else bpftrace 0.17 writes to stdout, in text and `-f json` form.
import type { OutputFormat, ScriptValue } from './types.js';
import { jsonEscape, valueJson, valueText } from './values.js';

/** "Attaching N probes..." (printed once probes are attached; suppressed by -q). */
export function attachedProbes(count: number, format: OutputFormat = 'text'): string {
  if (format === 'json') return `{"type": "attached_probes", "data": {"probes": ${count}}}\n`;
  return `Attaching ${count} ${count === 1 ? 'probe' : 'probes'}...\n`;
}

/** Output of a printf() record whose text was made by formatPrintf(). */
export function printfMessage(text: string, format: OutputFormat = 'text'): string {
  return format === 'json' ? `{"type": "printf", "data": "${jsonEscape(text)}"}\n` : text;
}

/** Output of time(fmt) once the time is formatted (text: as is, no newline added). */
export function timeMessage(text: string, format: OutputFormat = 'text'): string {
  return format === 'json' ? `{"type": "time", "data": "${jsonEscape(text)}"}\n` : text;
}

/** print(value) of a non-map value. */
export function valueMessage(value: ScriptValue, format: OutputFormat = 'text'): string {
  return format === 'json' ? `{"type": "value", "data": ${valueJson(value)}}\n` : valueText(value) + '\n';
}

/** Lost perf/ring buffer records. */
export function lostEvents(count: number | bigint, format: OutputFormat = 'text'): string {
  return format === 'json' ? `{"type": "lost_events", "data": {"events": ${count}}}\n` : `Lost ${count} events\n`;
}

/**
 * What bpftrace prints after END and before the maps at exit: two newlines, in text and in JSON mode alike.
 * Then every map, in byte order of their names (see exitOutput in index.ts).
 */
export const EXIT_PREAMBLE = '\n\n';
