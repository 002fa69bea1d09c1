// Tracepoints (perf type TRACEPOINT): ids and listings from tracefs, attachment through a perf event.
import { readFileSync } from 'node:fs';
import { PERF, ProgType } from '../../sys/constants.js';
import { Errno } from '../../sys/errno.js';
import { BpfError } from '../../sys/errors.js';
import { perfEventAttr, perfEventOpen } from '../../sys/perf.js';
import type { Link } from '../link.js';
import { ensureTracefs } from '../mounts.js';
import { attachToPerfEvent, type AttachableProgram } from './perf-event.js';

/** The named tracepoint does not exist in this kernel. */
export class TracepointNotFoundError extends BpfError {
  override name = 'TracepointNotFoundError';
}

export interface TracepointName {
  category: string;
  name: string;
}

export interface TracepointOptions {
  /** Value of bpf_get_attach_cookie() in the program (perf links only). */
  cookie?: bigint | number;
  /** Attach with PERF_EVENT_IOC_SET_BPF even where perf links exist (what kernels before 5.15 get). */
  ioctl?: boolean;
}

const SAFE_PART = /^[A-Za-z0-9_.-]+$/;

function checkPart(part: string, what: string): void {
  if (!SAFE_PART.test(part) || part === '.' || part === '..') {
    throw new TypeError(`tracepoint ${what} '${part}' is not a valid name (letters, digits, '_', '.', '-')`);
  }
}

/** The tracefs event id of category:name; throws TracepointNotFoundError (with a suggestion) when missing. */
export function tracepointId(category: string, name: string): number {
  checkPart(category, 'category');
  checkPart(name, 'name');
  const root = ensureTracefs();
  const path = `${root}/events/${category}/${name}/id`;
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const hint = closestTracepoint(category, name);
    throw new TracepointNotFoundError(
      `tracepoint ${category}:${name} does not exist in this kernel (no ${path})${hint ? `; did you mean ${hint}?` : ''}`,
      Errno.ENOENT);
  }
}

/** Attaches a TRACEPOINT program to category:name (e.g. 'syscalls', 'sys_enter_openat'). */
export function tracepoint(prog: AttachableProgram, category: string, name: string, opts: TracepointOptions = {}): Link {
  if (prog.type !== undefined && prog.type !== ProgType.TRACEPOINT) {
    throw new TypeError(`tracepoint ${category}:${name} runs TRACEPOINT programs; '${prog.name ?? 'program'}' is ${ProgType[prog.type] ?? prog.type}`);
  }
  const id = tracepointId(category, name);
  const description = `tracepoint ${category}:${name}`;
  // pid -1 / cpu 0: a BPF program on a tracepoint event runs on every CPU, so one event is enough.
  const attr = perfEventAttr({ type: PERF.TYPE_TRACEPOINT, config: id, sample: 1, wakeupEvents: 1 });
  const fd = perfEventOpen(attr, -1, 0, `open ${description}`);
  return attachToPerfEvent(prog, fd, description, opts.cookie, opts.ioctl);
}

/**
 * Tracepoints matching a glob on "category:name" (`*`, `?`, `[...]` per part), sorted.
 * A pattern without ':' matches the name in every category.
 */
export function listTracepoints(pattern = '*:*'): TracepointName[] {
  const [catGlob, nameGlob] = pattern.includes(':') ? splitOnce(pattern) : ['*', pattern];
  const cat = globToRegExp(catGlob);
  const nm = globToRegExp(nameGlob);
  return allTracepoints().filter((t) => cat.test(t.category) && nm.test(t.name));
}

let cached: TracepointName[] | undefined;

/** Every tracepoint tracefs lists in available_events (read once per process). */
export function allTracepoints(): TracepointName[] {
  if (cached) return cached;
  const text = readFileSync(`${ensureTracefs()}/available_events`, 'utf8');
  const out: TracepointName[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) out.push({ category: line.slice(0, colon), name: line.slice(colon + 1) });
  }
  out.sort((a, b) => (a.category === b.category ? cmp(a.name, b.name) : cmp(a.category, b.category)));
  return (cached = out);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function splitOnce(pattern: string): [string, string] {
  const i = pattern.indexOf(':');
  return [pattern.slice(0, i), pattern.slice(i + 1)];
}

/** Shell-style glob → anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The nearest existing tracepoint name (same category first), for "did you mean". */
function closestTracepoint(category: string, name: string): string | undefined {
  let all: TracepointName[];
  try {
    all = allTracepoints();
  } catch {
    return undefined;
  }
  const inCategory = all.filter((t) => t.category === category);
  const pool = inCategory.length > 0 ? inCategory : all.filter((t) => t.name === name);
  let best: TracepointName | undefined;
  let bestScore = Infinity;
  for (const t of pool) {
    const d = inCategory.length > 0 ? editDistance(t.name, name) : 0;
    if (d < bestScore) [best, bestScore] = [t, d];
  }
  if (!best || bestScore > Math.max(2, name.length / 4)) return undefined;
  return `${best.category}:${best.name}`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
