// CPU sets from sysfs: per-CPU map values have one slot per *possible* CPU; perf buffers need one ring per online CPU.
import { readFileSync } from 'node:fs';

function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const [lo, hi] = part.split('-').map(Number) as [number, number | undefined];
    for (let c = lo; c <= (hi ?? lo); c++) cpus.push(c);
  }
  return cpus;
}

let possible: number[] | undefined;
let online: number[] | undefined;

export function possibleCpus(): number[] {
  return (possible ??= parseCpuList(readFileSync('/sys/devices/system/cpu/possible', 'utf8')));
}

export function onlineCpus(): number[] {
  return (online ??= parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8')));
}

/** Number of value slots in a per-CPU map lookup. */
export function possibleCpuCount(): number {
  const cpus = possibleCpus();
  return cpus.length === 0 ? 1 : Math.max(...cpus) + 1;
}

export { parseCpuList };
