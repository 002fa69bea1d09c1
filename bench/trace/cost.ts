// In-kernel cost of `@[comm] = count()` on sys_enter_getpid: the loaded program's size (xlated instructions, JITed
// bytes), its average run time (BPF_ENABLE_STATS), and what it does to a tight getpid() loop, against the same loop
// with nothing attached.
import { spawnSync } from 'node:child_process';
import { enableStats } from '../../src/kernel/objects.js';
import { ProgType } from '../../src/sys/constants.js';
import { countGetpid } from './scripts.js';
import { programById, programIdsOf } from './kernel.js';
import { sleep, TracerRun } from './process.js';
import type { Helpers, Tool } from './tools.js';

export interface CostSample {
  xlatedInsns: number;
  jitedBytes: number;
  /** Average ns per program run, with run-time statistics on. */
  nsPerRun: number;
  /** getpid() calls per second of the loop with the program attached (one per loop run). */
  loopPerSec: number[];
  /** The loop's count as the tool printed it at exit, and how many calls were made (a correctness check). */
  counted: number;
  calls: number;
}

/** One run of the loop: its calls per second. */
export function loopRate(helpers: Helpers, calls: number): number {
  const r = spawnSync(helpers.getpidLoop, [String(calls)], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`getpid loop failed: ${r.stderr || r.error}`);
  return Number(r.stdout.trim().split(/\s+/)[2]);
}

export async function costOnce(helpers: Helpers, tool: Tool, calls: number, loops: number): Promise<CostSample> {
  const run = new TracerRun(helpers.wrap, tool.command(countGetpid.text), { env: tool.env });
  try {
    await run.waitReady(30_000);
    const programs = programIdsOf(run.pid).map(programById).filter((p) => p?.type === ProgType.TRACEPOINT);
    if (programs.length !== 1) throw new Error(`expected one tracepoint program, found ${programs.length}`);
    const prog = programs[0]!;
    const loopPerSec: number[] = [];
    for (let i = 0; i < loops; i++) loopPerSec.push(loopRate(helpers, calls));
    let nsPerRun = 0;
    {
      using _stats = enableStats();
      const before = programById(prog.id)!;
      loopRate(helpers, calls);
      const after = programById(prog.id)!;
      const runs = Number(after.runCount - before.runCount);
      nsPerRun = runs > 0 ? Number(after.runTimeNs - before.runTimeNs) / runs : 0;
    }
    await sleep(100);
    run.interrupt();
    await run.waitExit(30_000);
    const m = /^@\[getpid_loop\]: (\d+)$/m.exec(run.text);
    return {
      xlatedInsns: prog.xlatedSize / 8, jitedBytes: prog.jitedSize, nsPerRun, loopPerSec,
      counted: m ? Number(m[1]) : 0, calls: calls * (loops + 1),
    };
  } finally {
    run.kill();
  }
}
