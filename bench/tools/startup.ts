// One launch of a tool for start-up and memory: spawn → its first stdout line (every tool prints its header once
// its probes are attached), a short hold, SIGINT, exit. Peak RSS over the whole life comes from `wrap` (wait4's
// ru_maxrss); VmHWM is also read just before SIGINT (the peak while tracing, before the exit summary).
import { readFileSync } from 'node:fs';
import { sleep, Timeout, TracerRun } from '../trace/process.js';
import type { Impl } from './impls.js';

export interface StartupSample {
  /** ms from spawn to the first line on stdout. */
  startMs: number;
  /** ms from SIGINT to the process gone (informational). */
  exitMs: number | undefined;
  /** Peak RSS over the whole life, MiB (undefined when it had to be killed). */
  maxRssMiB: number | undefined;
  /** VmHWM just before SIGINT, MiB. */
  hwmBeforeStopMiB: number | undefined;
  exitCode: number;
}

export interface StartupOptions {
  readyTimeoutMs: number;
  holdMs: number;
  exitTimeoutMs: number;
}

/** Any non-blank line: the header (TracerRun passes lines that start with a digit as events, never as this). */
const FIRST_LINE = /\S/;

export async function startupOnce(wrap: string, impl: Impl, tool: string, args: string[], opts: StartupOptions): Promise<StartupSample> {
  const run = new TracerRun(wrap, impl.command(tool, args), { env: impl.lineBufferedEnv, readyLine: FIRST_LINE });
  try {
    const startMs = await run.waitReady(opts.readyTimeoutMs);
    await sleep(opts.holdMs);
    if (run.gone) throw new Error(`exited before SIGINT${run.stderr ? `: ${run.stderr.trim().slice(0, 300)}` : ''}`);
    const hwmBeforeStopMiB = vmHwmMiB(run.pid);
    const from = run.interrupt();
    let exitMs: number | undefined;
    try {
      await run.waitExit(opts.exitTimeoutMs);
      exitMs = run.exitedAt - from;
    } catch (err) {
      if (!(err instanceof Timeout)) throw err;
      console.error(`bench: ${impl.name} ${tool} still running ${opts.exitTimeoutMs} ms after SIGINT: ${run.stuck}`);
    }
    return {
      startMs, exitMs, hwmBeforeStopMiB,
      maxRssMiB: run.exit && exitMs !== undefined ? run.exit.maxRssKiB / 1024 : undefined,
      exitCode: run.exit?.code ?? -1,
    };
  } finally {
    run.kill();
  }
}

function vmHwmMiB(pid: number): number | undefined {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kb ? Number(kb[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
