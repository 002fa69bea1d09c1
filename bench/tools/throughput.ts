// Events per second a snoop tool keeps up with: a C generator makes execs (execsnoop) or opens (opensnoop) at an
// offered rate for a fixed time; the tool prints to a pipe the harness reads, and the lines that carry the run's
// unique tag are counted against what the generator says it made. Nothing is filtered in the kernel: the tool
// sees the whole machine's activity, as it does for a user.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { sleep, Timeout, TracerRun } from '../trace/process.js';
import { Generator, type Rig } from './generators.js';
import type { Impl } from './impls.js';

export type LoadKind = 'exec' | 'open';

export const toolOfLoad: Record<LoadKind, string> = { exec: 'execsnoop', open: 'opensnoop' };

export interface ThroughputSample {
  /** Offered events per second; 0 = flat out. */
  offered: number;
  /** What the generator made, and its real rate. */
  generated: number;
  generatedPerSec: number;
  /** Tagged lines the tool printed. */
  delivered: number;
  /** Events the tool reported lost ("Lost N events"), if it says. */
  reportedLost: number;
  fraction: number;
}

let runs = 0;

export async function throughputOnce(rig: Rig, impl: Impl, kind: LoadKind, offered: number, seconds: number): Promise<ThroughputSample> {
  const tag = `bpfkit-bench-${process.pid}-${++runs}`;
  let argv: string[];
  if (kind === 'exec') {
    argv = [rig.execLoop, String(seconds), String(offered), String(Math.max(2, cpus().length)), rig.noop, tag];
  } else {
    const path = join(rig.dir, tag);
    writeFileSync(path, '');
    argv = [rig.openLoop, path, String(seconds), String(offered)];
  }
  // The generator first: its own exec is over before the tool starts.
  const gen = await Generator.start(argv);
  const run = new TracerRun(rig.wrap, impl.command(toolOfLoad[kind]), { env: impl.pipeEnv, readyLine: /\S/ });
  const counter = new TagCounter(Buffer.from(tag));
  run.child.stdout!.on('data', (chunk: Buffer) => counter.add(chunk));
  run.child.stdout!.on('end', () => counter.markEnded());
  try {
    await waitAttached(run, impl);
    // A moment for the tool to settle into its loop before the load starts.
    await sleep(100);
    gen.go();
    const made = await gen.finished(seconds * 1000 + 30_000);
    // The tool may still be draining its buffers: wait until no tagged line came for 500 ms.
    const quietFrom = performance.now();
    while (performance.now() - Math.max(counter.lastAt, quietFrom) < 500 && performance.now() - quietFrom < 15_000) await sleep(20);
    if (run.gone) throw new Error(`exited during the run${run.stderr ? `: ${run.stderr.trim().slice(0, 300)}` : ''}`);
    run.interrupt();
    try {
      await run.waitExit(15_000);
    } catch (err) {
      if (!(err instanceof Timeout)) throw err;
      throw new Error(`still running 15 s after SIGINT: ${run.stuck}`);
    }
    // What a block-buffered tool still held is written at its exit: read the pipe to its end.
    await counter.ended(5000);
    return {
      offered,
      generated: made.count,
      generatedPerSec: made.rate,
      delivered: counter.count,
      reportedLost: [...run.stderr.matchAll(/[Ll]ost (\d+) events/g)].reduce((n, m) => n + Number(m[1]), 0) + run.lost,
      fraction: made.count > 0 ? counter.count / made.count : 0,
    };
  } finally {
    gen.kill();
    run.kill();
  }
}

/**
 * Probes attached: bpfkit prints its header right away (Node does not buffer a pipe); libbpf-tools' header sits in
 * their stdio buffer on a pipe, so for them it is the moment they block in epoll_wait (perf_buffer__poll), which
 * they reach only after attaching.
 */
async function waitAttached(run: TracerRun, impl: Impl): Promise<void> {
  if (impl.name === 'bpfkit') {
    await run.waitReady(30_000);
    return;
  }
  const start = performance.now();
  while (!inEpollWait(run.pid)) {
    if (run.gone) throw new Error(`exited before attaching${run.stderr ? `: ${run.stderr.trim().slice(0, 300)}` : ''}`);
    if (performance.now() - start > 30_000) throw new Error('not waiting for events 30 s after launch');
    await sleep(2);
  }
}

/** epoll_wait, epoll_pwait, epoll_pwait2 (x86-64): the first field of /proc/PID/syscall while blocked in one. */
const EPOLL_WAITS = new Set(['232', '281', '441']);

function inEpollWait(pid: number): boolean {
  if (!pid) return false;
  try {
    return EPOLL_WAITS.has(readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ')[0]!);
  } catch {
    return false;
  }
}

/** Counts a tag's occurrences in a byte stream (one per printed event), also across chunk boundaries. */
class TagCounter {
  count = 0;
  lastAt = 0;
  #tail = Buffer.alloc(0);
  #ended = false;

  constructor(readonly tag: Buffer) {}

  add(chunk: Buffer): void {
    const buf = this.#tail.length ? Buffer.concat([this.#tail, chunk]) : chunk;
    let n = 0;
    for (let at = buf.indexOf(this.tag); at >= 0; at = buf.indexOf(this.tag, at + this.tag.length)) n++;
    if (n) {
      this.count += n;
      this.lastAt = performance.now();
    }
    // Keep what could be the start of a tag cut by the chunk's end (a whole tag there was already counted).
    this.#tail = Buffer.from(buf.subarray(Math.max(0, buf.length - (this.tag.length - 1))));
  }

  markEnded(): void {
    this.#ended = true;
  }

  async ended(ms: number): Promise<void> {
    const start = performance.now();
    while (!this.#ended && performance.now() - start < ms) await sleep(10);
  }
}
