// A throwaway cgroup v2 directory under the unified hierarchy (found in /proc/mounts; this machine has a hybrid
// layout with cgroup2 at /sys/fs/cgroup/unified). Removed by close() and at exit: member processes are moved back
// to the root first, since a cgroup with members cannot be removed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroup2Mount } from '../../src/kernel/attach/cgroup.js';
import { exitOnSignals } from './netns.js';

export interface TestCgroup extends Disposable {
  path: string;
  /** The cgroup id (inode number), as bpf_get_current_cgroup_id() returns it. */
  id: bigint;
  /** Runs `node script args` with the child placed in this cgroup before its first instruction of user code. */
  runNode(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  close(): void;
}

const PREFIX = 'bpfkit-test-';
const live = new Set<string>();
let counter = 0;
let hooked = false;

export function requireCgroup2(): string {
  const root = cgroup2Mount();
  if (!root) throw new Error('cgroup v2 is not mounted (no cgroup2 line in /proc/mounts)');
  return root;
}

function remove(path: string): void {
  if (!existsSync(path)) return live.delete(path), undefined;
  const root = requireCgroup2();
  // Move stragglers out first; rmdir fails with EBUSY while the cgroup has members.
  for (const pid of readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
    try {
      writeFileSync(join(root, 'cgroup.procs'), pid);
    } catch {
      // exited meanwhile
    }
  }
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(path);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY' || i === 49) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10); // a dying member is still leaving
    }
  }
  live.delete(path);
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  exitOnSignals();
  process.on('exit', () => {
    for (const p of [...live]) {
      try {
        remove(p);
      } catch {
        // best effort at exit
      }
    }
  });
}

/** Removes bpfkit-test-<pid>-* cgroups left by runs that crashed. */
function reapStale(root: string): void {
  for (const name of readdirSync(root)) {
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    if (m && !existsSync(`/proc/${m[1]}`)) {
      try {
        remove(join(root, name));
      } catch {
        // leave it for a human
      }
    }
  }
}

export function createCgroup(): TestCgroup {
  const root = requireCgroup2();
  hookExit();
  reapStale(root);
  const path = join(root, `${PREFIX}${process.pid}-${++counter}`);
  mkdirSync(path);
  live.add(path);
  const close = () => remove(path);
  const procs = join(path, 'cgroup.procs');
  return {
    path,
    id: BigInt(statSync(path, { bigint: true }).ino),
    close,
    [Symbol.dispose]: close,
    runNode: (script, args) => runInCgroup(procs, script, args),
  };
}

/**
 * Spawns node with a one-line preamble that writes its own pid into cgroup.procs and only then imports the script,
 * so everything the script does happens inside the cgroup.
 */
function runInCgroup(procs: string, script: string, args: string[]) {
  const preamble = `require('node:fs').writeFileSync(${JSON.stringify(procs)}, String(process.pid));` +
    `import(${JSON.stringify(script)});`;
  const child = spawn(process.execPath, ['-e', preamble, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
