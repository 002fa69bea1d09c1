// syscount: a python child makes 2000 getppid() calls and 50 failing stat() calls on cue; the tool counts them for
// its pid, by syscall or by process, with and without latency.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createCgroup } from '../helpers/cgroup.js';
import { kernelTest } from '../helpers/kernel.js';
import { startTool, type ToolRun } from './run-tool.js';

const CHILD = `
import os, sys
sys.stdin.readline()
for _ in range(2000):
    os.getppid()
for _ in range(50):
    try:
        os.stat('/nonexistent-bpfkit-syscount')
    except OSError:
        pass
print('done', flush=True)
sys.stdin.readline()
`;

/** With --json there is no header: wait until the tool holds a bpf link (its probe is attached). */
async function linksAttached(pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const isLink = (fd: string) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:bpf_link';
      } catch {
        return false; // closed meanwhile
      }
    };
    if (readdirSync(`/proc/${pid}/fd`).some(isLink)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`bpfkit syscount (pid ${pid}) attached no probe within 20 s`);
}

/**
 * Starts the child (in cgroup directory `cgroup` if given), runs `bpfkit syscount -p <child> ...args` (without -p
 * when in a cgroup), lets the child make its calls once the tool is tracing.
 */
async function traceChild(args: string[], finish: (run: ToolRun) => Promise<{ code: number | null; stdout: string; stderr: string }>, cgroup?: string) {
  const child = cgroup
    ? spawn('sh', ['-c', `echo $$ > ${cgroup}/cgroup.procs && exec python3 -c "$0"`, CHILD], { stdio: ['pipe', 'pipe', 'inherit'] })
    : spawn('python3', ['-c', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const run = startTool('syscount', [...(cgroup ? [] : ['-p', String(child.pid)]), ...args]);
    if (!args.includes('--json')) await run.waitFor(/Ctrl\+C to quit\.\n/);
    else await linksAttached(run.child.pid!);
    child.stdin!.write('go\n');
    await once(child.stdout!, 'data');
    const r = await finish(run);
    assert.equal(r.code, 0, r.stderr);
    return { pid: child.pid!, stdout: r.stdout };
  } finally {
    child.kill('SIGKILL');
  }
}

kernelTest('syscount -p PID counts 2000 getppid() calls and prints the table on Ctrl-C', { timeout: 30000 }, async () => {
  const { stdout } = await traceChild([], (run) => run.stop());
  assert.match(stdout, /^Tracing syscalls, printing top 10\.\.\. Ctrl\+C to quit\.\n\[\d\d:\d\d:\d\d\]\nSYSCALL                   COUNT\n/);
  const m = stdout.match(/^getppid\s+(\d+)$/m);
  assert.ok(m, stdout);
  assert.ok(Number(m[1]) >= 2000, stdout);
  assert.match(stdout, /^getppid {15}\s*\d+$/m); // name padded to 22, count right-aligned in 8
  const rows = stdout.split('\n').filter((l) => /^\S+\s+\d+$/.test(l));
  assert.ok(rows.length <= 10, stdout);
});

kernelTest('syscount -L -i 1 -d 2 adds a latency column and exits by itself', { timeout: 30000 }, async () => {
  const { stdout } = await traceChild(['-L', '-i', '1', '-d', '2'], (run) => run.exited());
  assert.match(stdout, /^SYSCALL                   COUNT        TIME \(us\)$/m);
  const m = stdout.match(/^getppid\s+(\d+)\s+(\d+\.\d{3})$/m);
  assert.ok(m, stdout);
  assert.ok(Number(m[1]) >= 2000, stdout);
  // 2000 trivial syscalls: more than 0 and far less than the 2 s traced.
  assert.ok(Number(m[2]) > 0 && Number(m[2]) < 2_000_000, stdout);
});

kernelTest('syscount -P groups by process; -x keeps only failed calls', { timeout: 30000 }, async () => {
  const byProcess = await traceChild(['-P', '-d', '2'], (run) => run.exited());
  const m = byProcess.stdout.match(new RegExp(`^PID    COMM               COUNT\\n(?:.*\\n)*?${byProcess.pid} +python3 +(\\d+)$`, 'm'));
  assert.ok(m, byProcess.stdout);
  assert.ok(Number(m[1]) >= 2050, byProcess.stdout);

  const failed = await traceChild(['-x', '-d', '2'], (run) => run.exited());
  assert.doesNotMatch(failed.stdout, /^getppid/m);
  const stat = failed.stdout.match(/^(newfstatat|statx|stat)\s+(\d+)$/m);
  assert.ok(stat && Number(stat[2]) >= 50, failed.stdout);
});

kernelTest('syscount -e ENOENT --json prints the failing calls as one object', { timeout: 30000 }, async () => {
  const { stdout } = await traceChild(['-e', 'ENOENT', '--json', '-d', '3'], (run) => run.exited());
  const rec = JSON.parse(stdout) as { syscalls: Array<{ syscall: string; count: number }> };
  assert.ok(rec.syscalls.some((s) => /stat/.test(s.syscall) && s.count >= 50), stdout);
  assert.ok(!rec.syscalls.some((s) => s.syscall === 'getppid'), stdout);
});

function cgroupOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::')) ?? '?';
  } catch {
    return 'exited';
  }
}

kernelTest('syscount -c CGROUP -P counts only the processes in that cgroup', { timeout: 30000 }, async () => {
  const cgroup = createCgroup();
  try {
    const { pid, stdout } = await traceChild(['-c', cgroup.path, '-P', '-d', '2'], (run) => run.exited(), cgroup.path);
    const rows = [...stdout.matchAll(/^(\d+) +(\S+) +(\d+)$/gm)];
    // On failure, say which cgroup each counted process was in (a CI run once listed processes outside it).
    const where = rows.map((r) => `${r[1]}: ${cgroupOf(Number(r[1]))}`).join('\n');
    assert.deepEqual(rows.map((r) => [Number(r[1]), r[2]]), [[pid, 'python3']], `${stdout}\ncgroups (v2) of the rows:\n${where}\ntest dir: ${cgroup.path}`);
    assert.ok(Number(rows[0]![3]) >= 2050, stdout);
  } finally {
    cgroup.close(); // moves a straggling member back to the root, then removes the directory
  }
});

kernelTest('syscount -l lists syscalls by number; a bad -e is a one-line usage error', () => {
  const list = spawnSync(process.execPath, [new URL('../../src/cli/main.js', import.meta.url).pathname, 'syscount', '-l'], { encoding: 'utf8' });
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /^  0: read\n  1: write\n/);
  assert.match(list.stdout, /^110: getppid$/m);
  const bad = spawnSync(process.execPath, [new URL('../../src/cli/main.js', import.meta.url).pathname, 'syscount', '-e', 'ENOPE'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
});
