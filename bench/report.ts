// The benchmark table: one row per operation, bpfkit against the C baseline measured in the same run.
import { native } from '../src/sys/native.js';

export interface Row {
  operation: string;
  bpfkit: string;
  c: string;
  ratio: number;
  goal: string;
  met: boolean;
}

export function printTable(rows: Row[]): void {
  const head = ['operation', 'bpfkit', 'C', 'ratio', 'goal', ''];
  const body = rows.map((r) => [r.operation, r.bpfkit, r.c, r.ratio.toFixed(2), r.goal, r.met ? 'ok' : 'MISSED']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

export const min = (xs: number[]): number => Math.min(...xs);
export const max = (xs: number[]): number => Math.max(...xs);
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const SYS_clock_gettime = 228;
const CLOCK_THREAD_CPUTIME_ID = 3;
const timespec = new BigInt64Array(2);

/**
 * CPU time of the calling (main JS) thread in ns. Robust to other work on a shared machine, unlike wall time, and
 * comparable with the C baselines' CLOCK_PROCESS_CPUTIME_ID (they are single-threaded).
 */
export function cpuNs(): number {
  native.syscall(SYS_clock_gettime, CLOCK_THREAD_CPUTIME_ID, timespec);
  return Number(timespec[0]) * 1e9 + Number(timespec[1]);
}
