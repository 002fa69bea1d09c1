// Builtins read what the kernel says about the running task: checked against what this test knows of the process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { kernelTest } from '../helpers/kernel.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

kernelTest('builtins in BEGIN describe the bpfkit process itself', () => {
  const script = 'BEGIN { printf("%d %d %d %d %s %d %lu %d %d %d\\n", pid, tid, uid, gid, comm, cpu, cgroup, elapsed < 5000000000, nsecs > 0, curtask != 0); exit(); }';
  // Print our pid first so the parsed line can be compared with the child that ran BEGIN.
  const r = spawnSync('/bin/sh', ['-c', 'echo $$; exec "$0" "$1" trace -q -e "$2"', process.execPath, cli, script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  const [pidLine, out] = r.stdout.split('\n');
  const [pid, tid, uid, gid, comm, cpu, cgroup, elapsedOk, nsecsOk, taskOk] = out!.split(' ');
  assert.equal(pid, pidLine, 'pid is the process that ran BEGIN');
  assert.equal(tid, pidLine, 'BEGIN runs on the main thread');
  assert.equal(uid, String(process.getuid!()));
  assert.equal(gid, String(process.getgid!()));
  assert.equal(comm, 'node');
  assert.ok(Number(cpu) >= 0 && Number(cpu) < availableParallelism());
  assert.ok(Number(cgroup) >= 1, 'a cgroup v2 id');
  assert.deepEqual([elapsedOk, nsecsOk, taskOk], ['1', '1', '1']);
});

kernelTest('probe, args fields and str() in a real tracepoint', () => {
  const marker = `/tmp/bpfkit-builtin-${process.pid}`;
  const script = `tracepoint:syscalls:sys_enter_openat /str(args->filename) == "${marker}"/ { printf("%s %s %d %ld\\n", probe, str(args->filename), args->dfd, args->dfd); exit(); }`;
  const r = spawnSync(process.execPath, [cli, 'trace', '-q', '-e', script, '-c', `/bin/cat ${marker}`], { encoding: 'utf8', timeout: 20_000 });
  assert.match(r.stdout, new RegExp(`^tracepoint:syscalls:sys_enter_openat ${marker} -100 4294967196$`, 'm'), r.stdout + r.stderr);
});
