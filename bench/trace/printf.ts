// printf throughput: a C loop makes N getpid() calls as fast as it can; the tracer prints one line per call of that
// pid to a pipe the harness reads. Delivered lines per second (from the loop's start to the last line), the loss
// each tool reports ("Lost N events"), and the loop's own rate while traced.
import { once } from 'node:events';
import { printfGetpid } from './scripts.js';
import { sleep, spawnTracked, TracerRun } from './process.js';
import type { Helpers, Tool } from './tools.js';

export interface PrintfSample {
  calls: number;
  delivered: number;
  lost: number;
  /** Lines per second from the loop's start to the last line received. */
  deliveredPerSec: number;
  /** The traced loop's getpid() rate. */
  loopPerSec: number;
  /** calls − delivered − lost: events neither printed nor reported lost. */
  unaccounted: number;
}

export async function printfOnce(helpers: Helpers, tool: Tool, calls: number, timeoutMs: number): Promise<PrintfSample> {
  const driver = spawnTracked([helpers.getpidLoop, String(calls), '--wait']);
  let driverOut = '';
  driver.stdout!.on('data', (c: Buffer) => (driverOut += c.toString('utf8')));
  let run: TracerRun | undefined;
  try {
    while (!/\n/.test(driverOut)) {
      if (driver.exitCode !== null) throw new Error('the getpid loop exited early');
      await sleep(5);
    }
    const driverPid = Number(driverOut.split('\n')[0]);
    run = new TracerRun(helpers.wrap, tool.command(printfGetpid.text, [String(driverPid)]), { env: tool.env });
    await run.waitReady(30_000);
    await sleep(200);
    const exited = once(driver, 'exit');
    const go = performance.now();
    driver.stdin!.end('go\n');
    await Promise.race([exited, sleep(timeoutMs).then(() => Promise.reject(new Error('the getpid loop did not finish')))]);
    // The tracer may still be draining its buffers: wait for a second without new lines.
    await run.waitQuiet(1000, timeoutMs);
    const last = run.lastEventAt;
    run.interrupt();
    await run.waitExit(timeoutMs);
    const [, , rate] = driverOut.trim().split('\n')[1]!.split(/\s+/).map(Number) as [number, number, number];
    const lost = run.lostTotal;
    return {
      calls,
      delivered: run.events,
      lost,
      deliveredPerSec: run.events > 0 ? run.events / ((last - go) / 1000) : 0,
      loopPerSec: rate,
      unaccounted: calls - run.events - lost,
    };
  } finally {
    run?.kill();
    if (driver.exitCode === null) driver.kill('SIGKILL');
  }
}
