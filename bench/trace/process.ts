// A tracer run by the harness: started through the `wrap` helper (which reports the tracer's pid and, at the end, its
// exit status and peak RSS), its stdout read line by line as it arrives. Every child is tracked so that none
// outlives the harness, whatever happens.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';

const live = new Set<ChildProcess>();

/** Kills every child still running (its whole process group: the tracer runs under `wrap`). */
export function killAll(): void {
  for (const child of live) killGroup(child);
  live.clear();
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    killAll();
    console.error(`bench: interrupted (${signal}), every child killed`);
    process.exit(130);
  });
}

/** Starts a plain child (tracked: killed if the harness ends first). Its process group is its own. */
export function spawnTracked(argv: string[], stdio: Array<'pipe' | 'ignore'> = ['pipe', 'pipe', 'pipe'], env?: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(argv[0]!, argv.slice(1), { stdio, detached: true, ...(env ? { env } : {}) });
  live.add(child);
  child.on('exit', () => live.delete(child));
  child.on('error', () => live.delete(child));
  return child;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Timeout extends Error {
  override name = 'Timeout';
}

/** Conditions waited on: each is checked on every change signalled through wake(), and every 50 ms. */
class Waiters {
  #checks = new Set<() => void>();
  wake(): void {
    for (const check of [...this.#checks]) check();
  }
  until(test: () => boolean, ms: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (err?: Error) => {
        clearTimeout(timer);
        clearInterval(poll);
        this.#checks.delete(check);
        if (err) reject(err);
        else resolve();
      };
      const check = () => {
        if (test()) finish();
      };
      const timer = setTimeout(() => finish(new Timeout(`timed out after ${ms} ms waiting for ${what}`)), ms);
      const poll = setInterval(check, 50);
      this.#checks.add(check);
      check();
    });
  }
}

export interface ExitInfo {
  /** The tracer's exit code (128 + signal when killed by one). */
  code: number;
  /** Peak RSS over the tracer's life, KiB (wait4's ru_maxrss). */
  maxRssKiB: number;
}

const NL = 10;

/**
 * One tracer process. Output lines are classified as they arrive: the first "ready" line marks start-up done,
 * lines of digits are printf events (counted, not kept), "Lost N events" lines are summed, everything else is kept
 * (up to a limit) for checks and error messages.
 */
export class TracerRun {
  readonly child: ChildProcess;
  readonly launchedAt: number;
  pid = 0;
  readyAt = 0;
  exitedAt = 0;
  exit: ExitInfo | undefined;
  probes = 0;
  events = 0;
  lastEventAt = 0;
  lost = 0;
  text = '';
  stderr = '';
  /** Set when waitExit timed out: where the tracer was stuck when it was killed. */
  stuck: string | undefined;
  #partial: Buffer | undefined;
  #waiters = new Waiters();
  #wrapEnded = false;

  readonly #readyLine: RegExp;

  /** `readyLine`: the line that marks start-up done (default: exactly "ready"). */
  constructor(wrapBinary: string, argv: string[], opts: { env?: NodeJS.ProcessEnv; readyLine?: RegExp } = {}) {
    this.#readyLine = opts.readyLine ?? /^ready$/;
    this.launchedAt = performance.now();
    this.child = spawnTracked([wrapBinary, ...argv], ['ignore', 'pipe', 'pipe', 'pipe'], opts.env);
    this.child.stdout!.on('data', (chunk: Buffer) => this.#onStdout(chunk));
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.#keep('stderr', chunk.toString('utf8'));
      this.#waiters.wake();
    });
    let report = '';
    (this.child.stdio[3] as Readable).on('data', (chunk: Buffer) => {
      report += chunk.toString('utf8');
      const pid = /^pid (\d+)$/m.exec(report);
      if (pid) this.pid = Number(pid[1]);
      const end = /^exit (\d+) (\d+)$/m.exec(report);
      if (end && !this.exit) this.exit = { code: Number(end[1]), maxRssKiB: Number(end[2]) };
      this.#waiters.wake();
    });
    this.child.on('exit', () => {
      this.exitedAt = performance.now();
      this.#wrapEnded = true;
      this.#waiters.wake();
    });
    this.child.on('error', (err) => {
      this.stderr += `\n${err.message}`;
      this.#wrapEnded = true;
      this.#waiters.wake();
    });
  }

  /** "Lost N events" summed over stdout and stderr. */
  get lostTotal(): number {
    let n = this.lost;
    for (const m of this.stderr.matchAll(/^Lost (\d+) events$/gm)) n += Number(m[1]);
    return n;
  }

  get gone(): boolean {
    return this.#wrapEnded;
  }

  /** ms from launch to the "ready" line. */
  async waitReady(ms: number): Promise<number> {
    await this.#waiters.until(() => this.readyAt > 0 || this.#wrapEnded, ms, 'the "ready" line');
    if (this.readyAt === 0) {
      await this.#waiters.until(() => this.exit !== undefined, 2000, 'the exit report').catch(() => {});
      throw new Error(`exited (code ${this.exit?.code ?? '?'}) before printing "ready"${this.#why()}`);
    }
    return this.readyAt - this.launchedAt;
  }

  /** Sends SIGINT to the tracer itself (not to `wrap`). */
  interrupt(): number {
    if (!this.pid) throw new Error('tracer pid unknown');
    process.kill(this.pid, 'SIGINT');
    return performance.now();
  }

  /** Waits until the tracer is gone and its exit report read; kills it after ms. */
  async waitExit(ms: number): Promise<ExitInfo> {
    try {
      await this.#waiters.until(() => this.#wrapEnded && this.exit !== undefined, ms, 'the tracer to exit');
    } catch (err) {
      this.stuck = this.whereStuck();
      this.kill();
      throw err;
    }
    return this.exit!;
  }

  /** Waits until no printf event arrived for quietMs (or maxMs passed). */
  async waitQuiet(quietMs: number, maxMs: number): Promise<void> {
    const start = performance.now();
    await this.#waiters.until(() => {
      const now = performance.now();
      return now - Math.max(this.lastEventAt, start) >= quietMs || now - start >= maxMs;
    }, maxMs + 1000, 'output to settle');
  }

  kill(): void {
    killGroup(this.child);
  }

  /** Where the tracer is stuck (state, kernel wait channel and stack), for a report when it does not exit. */
  whereStuck(): string {
    const read = (f: string) => {
      try {
        return readFileSync(`/proc/${this.pid}/${f}`, 'utf8').trim();
      } catch {
        return '?';
      }
    };
    const state = /^State:\s*(.*)$/m.exec(read('status'))?.[1] ?? '?';
    return `state ${state}, wchan ${read('wchan')}, stack: ${read('stack').split('\n').slice(0, 6).map((l) => l.replace(/^\[<[0-9a-f]+>\] /, '')).join(' < ')}`;
  }

  #why(): string {
    const err = this.stderr.split('\n').filter((l) => l && !/RLIMIT_MEMLOCK|rlimit/i.test(l)).slice(0, 8).join('\n');
    return err ? `:\n${err}` : '';
  }

  #keep(where: 'text' | 'stderr', s: string): void {
    if (this[where].length < 256 * 1024) this[where] += s;
  }

  #onStdout(chunk: Buffer): void {
    let start = 0;
    let buf = chunk;
    if (this.#partial) {
      buf = Buffer.concat([this.#partial, chunk]);
      this.#partial = undefined;
    }
    let events = 0;
    for (;;) {
      const nl = buf.indexOf(NL, start);
      if (nl < 0) break;
      const first = buf[start]!;
      if (first >= 0x30 && first <= 0x39) events++;
      else this.#line(buf.toString('utf8', start, nl));
      start = nl + 1;
    }
    if (start < buf.length) this.#partial = buf.subarray(start);
    if (events > 0) {
      this.events += events;
      this.lastEventAt = performance.now();
    }
    this.#waiters.wake();
  }

  #line(line: string): void {
    if (this.readyAt === 0 && this.#readyLine.test(line)) {
      this.readyAt = performance.now();
      return;
    }
    const lost = /^Lost (\d+) events$/.exec(line);
    if (lost) {
      this.lost += Number(lost[1]);
      return;
    }
    const attaching = /^Attaching (\d+) probes?\.\.\.$/.exec(line);
    if (attaching) this.probes = Number(attaching[1]);
    this.#keep('text', `${line}\n`);
  }
}
