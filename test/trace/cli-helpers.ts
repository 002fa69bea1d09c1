// Running `bpfkit trace` and bpftrace 0.17 as child processes for side-by-side tests.
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';

export const MAIN = new URL('../../src/cli/main.js', import.meta.url).pathname;
export const BPFTRACE = '/usr/bin/bpftrace';

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function collect(cmd: string, args: string[], opts: SpawnOptions & { input?: string; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d));
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    child.stdin!.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** `node dist/src/cli/main.js trace ARGS`. */
export function bpfkitTrace(args: string[], opts: SpawnOptions & { input?: string; timeoutMs?: number } = {}): Promise<Ran> {
  return collect(process.execPath, [MAIN, 'trace', ...args], opts);
}

/** bpftrace 0.17 with the same arguments; its RLIMIT_MEMLOCK complaint (harmless here) is dropped from stderr. */
export async function bpftrace(args: string[], opts: SpawnOptions & { timeoutMs?: number } = {}): Promise<Ran> {
  const r = await collect(BPFTRACE, args, opts);
  r.stderr = r.stderr.split('\n').filter((l) => !l.includes('RLIMIT_MEMLOCK')).join('\n');
  return r;
}

let available: boolean | undefined;
export function bpftraceAvailable(): boolean {
  if (available === undefined) {
    const r = spawnSync(BPFTRACE, ['--version'], { encoding: 'utf8' });
    available = r.status === 0 && /v0\.17\./.test(r.stdout) && process.getuid?.() === 0;
  }
  return available;
}
