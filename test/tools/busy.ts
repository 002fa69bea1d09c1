// CPU load for the scheduler tool tests: CPU-bound python3 processes, more than the 2 CPUs, so they queue.
import { spawn, type ChildProcess } from 'node:child_process';

/** Runs body while n `while True: pass` python3 processes run; gives it their pids. */
export async function withBusyLoops(n: number, body: (pids: number[]) => Promise<void>): Promise<void> {
  const busy: ChildProcess[] = [];
  try {
    for (let i = 0; i < n; i++) busy.push(spawn('python3', ['-c', 'while True: pass'], { stdio: 'ignore' }));
    await body(busy.map((c) => c.pid!));
  } finally {
    busy.forEach((c) => c.kill('SIGKILL'));
  }
}

/** The rows ("low -> high : count |stars|") of a log2 histogram text, as [low, high, count]. */
export function histRows(text: string): Array<[number, number, number]> {
  return [...text.matchAll(/^\s+(\d+) -> (\d+)\s+: (\d+)\s+\|[* ]{40}\|$/gm)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])]);
}
