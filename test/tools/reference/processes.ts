// Runs a libbpf-tools reference binary and the matching `bpfkit <tool>` side by side on the same activity.
// The reference prints with stdio, which is block-buffered into a pipe: stdbuf -oL makes it line-buffered so its
// header (printed once its probes are attached) shows up as soon as it is written.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { BPFKIT } from '../run-tool.js';

export interface Watched {
  readonly label: string;
  stdout(): string;
  stderr(): string;
  /** Resolves once `ready(stdout)` is true; rejects with what was printed on exit or timeout. */
  until(ready: (out: string) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** SIGINT (if still running), then the exit status and full output. */
  stop(): Promise<Finished>;
  /** Waits for the process to exit by itself (interval/count arguments). */
  exited(timeoutMs?: number): Promise<Finished>;
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function watch(label: string, file: string, args: string[]): Watched {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const poke = () => {
    for (const l of [...listeners]) l();
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    poke();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.on('error', (e) => {
    err += String(e);
    poke();
  });
  const finished = new Promise<Finished>((resolve) =>
    child.on('close', (code, signal) => {
      poke();
      resolve({ code, signal, stdout: out, stderr: err });
    }),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  const withKillTimer = async (ms: number) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    try {
      return await finished;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    label,
    stdout: () => out,
    stderr: () => err,
    until(ready, what, timeoutMs = 15000) {
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        const check = () => {
          if (ready(out)) {
            done();
            resolve();
          } else if (!running()) {
            done();
            reject(new Error(`${label} exited (${child.exitCode ?? child.signalCode}) before ${what}\nstdout:\n${out}\nstderr:\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${label}: no ${what} within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    stop() {
      if (running()) child.kill('SIGINT');
      return withKillTimer(15000);
    },
    exited(timeoutMs = 20000) {
      return withKillTimer(timeoutMs);
    },
  };
}

export const referencePath = (tool: string) => `/usr/sbin/${tool}`;

/** True when the Debian libbpf-tools binary for `tool` is installed. */
export function hasReference(tool: string): boolean {
  try {
    accessSync(referencePath(tool), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function startReference(tool: string, args: string[]): Watched {
  return watch(`libbpf-tools ${tool} ${args.join(' ')}`.trim(), 'stdbuf', ['-oL', referencePath(tool), ...args]);
}

export function startBpfkit(tool: string, args: string[]): Watched {
  return watch(`bpfkit ${tool} ${args.join(' ')}`.trim(), process.execPath, [BPFKIT, tool, ...args]);
}

export interface Side {
  readonly args: string[];
  readonly reference: Watched;
  readonly bpfkit: Watched;
}

/**
 * Starts the reference and bpfkit for every argument list at once and waits until all of them printed `ready`
 * (their header: both print it only after their probes are attached).
 */
export async function startSides(tool: string, variants: string[][], ready: (out: string) => boolean): Promise<Side[]> {
  const sides = variants.map((args) => ({ args, reference: startReference(tool, args), bpfkit: startBpfkit(tool, args) }));
  try {
    await Promise.all(sides.flatMap((s) => [s.reference, s.bpfkit]).map((w) => w.until(ready, 'header')));
  } catch (e) {
    await stopSides(sides);
    throw e;
  }
  return sides;
}

export async function stopSides(sides: Side[]): Promise<Array<{ args: string[]; reference: Finished; bpfkit: Finished }>> {
  return Promise.all(
    sides.map(async (s) => {
      const [reference, bpfkit] = await Promise.all([s.reference.stop(), s.bpfkit.stop()]);
      return { args: s.args, reference, bpfkit };
    }),
  );
}

/** Polls `condition` every 50 ms until it holds; false after timeoutMs (the caller asserts with the outputs). */
export async function eventually(condition: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * Some reference tools look for tracepoints under /sys/kernel/debug/tracing: mount debugfs (and tracefs) at their
 * usual places when nothing is mounted there yet. Idempotent.
 */
export function ensureDebugMounts(): void {
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' '));
  const mountedAt = (type: string, where: string) => mounts.some(([, w, t]) => t === type && w === where);
  for (const [type, where] of [['debugfs', '/sys/kernel/debug'], ['tracefs', '/sys/kernel/tracing']] as const) {
    if (mountedAt(type, where)) continue;
    const r = spawnSync('mount', ['-t', type, type, where], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mount -t ${type} ${type} ${where}: ${r.stderr.trim()}`);
  }
}
