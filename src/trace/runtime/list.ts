// `bpfkit trace -l [PATTERN]`: the probes this tracer can attach, named as bpftrace lists them.
import { readFileSync } from 'node:fs';
import { allTracepoints, globToRegExp } from '../../kernel/attach/tracepoint.js';
import { ensureTracefs } from '../../kernel/mounts.js';
import { parseTracepointFormat } from '../tracepoint-format.js';
import { SOFTWARE_EVENTS } from './attach.js';

/** Long names of the software events (bpftrace lists them as `software:NAME:`). */
const SOFTWARE_NAMES = ['alignment-faults', 'bpf-output', 'context-switches', 'cpu-clock', 'cpu-migrations', 'dummy',
  'emulation-faults', 'major-faults', 'minor-faults', 'page-faults', 'task-clock'];

/**
 * Probe names matching a glob over the whole name ("tracepoint:syscalls:sys_enter_*", "*sched_wakeup*").
 * A pattern without ':' and without wildcards matches anywhere in the name. Sorted, as bpftrace prints them.
 */
export function listProbes(pattern?: string): string[] {
  const names = [
    ...SOFTWARE_NAMES.filter((n) => n in SOFTWARE_EVENTS).map((n) => `software:${n}:`),
    ...allTracepoints().map((t) => `tracepoint:${t.category}:${t.name}`),
  ];
  if (pattern === undefined || pattern === '') return names.sort();
  const glob = !pattern.includes(':') && !/[*?[]/.test(pattern) ? `*${pattern}*` : pattern;
  const re = globToRegExp(glob);
  return names.filter((n) => re.test(n)).sort();
}

/** -lv: a tracepoint's `args` fields, one `    type name` line each (common fields hidden, as in bpftrace). */
export function tracepointFields(probe: string): string[] {
  const m = /^tracepoint:([^:]+):([^:]+)$/.exec(probe);
  if (!m) return [];
  let text: string;
  try {
    text = readFileSync(`${ensureTracefs()}/events/${m[1]}/${m[2]}/format`, 'utf8');
  } catch {
    return [];
  }
  return parseTracepointFormat(text).fields.filter((f) => !f.common)
    .map((f) => `    ${f.type} ${f.name}${f.arrayLength !== undefined ? `[${f.arrayLength}]` : ''}`);
}
