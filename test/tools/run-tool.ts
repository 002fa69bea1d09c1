// Runs a `bpfkit <tool>` as a child process the way a user does: wait for its header (probes attached), make the
// activity it reports, stop it with Ctrl-C (SIGINT), and look at what it printed.
import { spawn, type ChildProcess } from 'node:child_process';

export const BPFKIT = new URL('../../src/cli/main.js', import.meta.url).pathname;

export interface ToolRun {
  readonly child: ChildProcess;
  /** Everything printed on stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches `pattern` (rejects after timeoutMs, with what was printed). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends SIGINT and resolves with the exit code once the tool has exited. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** Resolves when the tool exits by itself (count/duration arguments). */
  exited(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts `bpfkit <tool> ...args`. */
export function startTool(tool: string, args: string[] = []): ToolRun {
  const child = spawn(process.execPath, [BPFKIT, tool, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of waiters.slice()) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      for (const w of waiters.slice()) w();
      resolve({ code, signal });
    });
  });
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const result = async () => {
    const r = await exit;
    await closed;
    return { ...r, stdout: out, stderr: err };
  };
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern, timeoutMs = 15000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m) {
            done();
            resolve(m);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`bpfkit ${tool} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`bpfkit ${tool} did not print ${pattern} within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          const i = waiters.indexOf(check);
          if (i >= 0) waiters.splice(i, 1);
        };
        waiters.push(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
      try {
        return await result();
      } finally {
        clearTimeout(timer);
      }
    },
    async exited(timeoutMs = 20000) {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await result();
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
