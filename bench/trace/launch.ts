// One launch of a tracer on a script: start-up (launch → the "ready" line BEGIN prints once every probe is
// attached), exit (SIGINT, or exit() in BEGIN, → process gone), peak RSS, and how long the kernel still holds its
// programs after the process is gone (detach work handed off rather than done).
import type { BenchScript } from './scripts.js';
import { anyProgramLoaded, programIdsOf, releaseHelperRunning } from './kernel.js';
import { sleep, Timeout, TracerRun } from './process.js';
import type { Helpers, Tool } from './tools.js';

export interface LaunchSample {
  startMs: number;
  /** ms from SIGINT (or from "ready" for scripts that exit() in BEGIN) to the process gone; capped at the limit. */
  exitMs: number;
  exitCapped: boolean;
  /** undefined when the process had to be killed (no exit report). */
  maxRssMiB: number | undefined;
  probes: number;
  /**
   * ms from the process gone to the kernel done with it: every program it held unloaded and no background release
   * process left (undefined when not waited for).
   */
  releaseMs: number | undefined;
  exitCode: number;
  /** bpfkit's runtime timings (BPFKIT_TRACE_TIMINGS), ms from runScript's start. */
  timings?: RuntimeTimings;
}

export interface RuntimeTimings {
  loadedMs: number;
  attachedMs: number;
  beganMs: number;
  detachMs: number;
  stopMs: number;
}

export interface LaunchOptions {
  readyTimeoutMs: number;
  exitTimeoutMs: number;
  /** How long the tracer runs between "ready" and SIGINT. */
  holdMs: number;
  /** Wait (up to this long) for the kernel to unload the tracer's programs before returning. */
  releaseTimeoutMs: number;
}

export async function launchOnce(helpers: Helpers, tool: Tool, script: BenchScript, opts: LaunchOptions): Promise<LaunchSample> {
  const run = new TracerRun(helpers.wrap, tool.command(script.text), { env: tool.env });
  try {
    const startMs = await run.waitReady(opts.readyTimeoutMs);
    const programs = run.pid ? programIdsOf(run.pid) : [];
    const selfExiting = /exit\(\)/.test(script.text);
    let from = run.readyAt;
    if (!selfExiting) {
      await sleep(opts.holdMs);
      if (run.gone) throw new Error(`exited before SIGINT${run.stderr ? `: ${run.stderr.trim().slice(0, 300)}` : ''}`);
      from = run.interrupt();
    }
    let exitCapped = false;
    try {
      await run.waitExit(opts.exitTimeoutMs);
    } catch (err) {
      if (!(err instanceof Timeout)) throw err;
      console.error(`bench: ${tool.name} ${script.name} still running ${opts.exitTimeoutMs} ms after the stop request: ${run.stuck}`);
      exitCapped = true;
      await run.waitExit(10_000).catch(() => {});
    }
    const timings = /^timings: (\{.*\})$/m.exec(run.stderr);
    const exitMs = exitCapped ? opts.exitTimeoutMs : run.exitedAt - from;
    let releaseMs: number | undefined;
    if (programs.length > 0 && opts.releaseTimeoutMs > 0) {
      const gone = performance.now();
      while ((anyProgramLoaded(programs) || releaseHelperRunning()) && performance.now() - gone < opts.releaseTimeoutMs) await sleep(10);
      releaseMs = performance.now() - gone;
    }
    return {
      startMs, exitMs, exitCapped, releaseMs,
      maxRssMiB: run.exit && !exitCapped ? run.exit.maxRssKiB / 1024 : undefined,
      probes: run.probes || script.probes,
      exitCode: run.exit?.code ?? -1,
      ...(timings ? { timings: JSON.parse(timings[1]!) as RuntimeTimings } : {}),
    };
  } finally {
    run.kill();
  }
}
