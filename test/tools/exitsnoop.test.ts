// exitsnoop: processes we start end with a known exit code or signal; the tool reports them with pid, parent and age.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createCgroup } from '../helpers/cgroup.js';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';

const HEADER = /^PCOMM\s+PID\s+PPID\s+TID\s+AGE\(s\)\s+EXIT_CODE$/m;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `sleep 30`, waits `ms`, kills it with `signal`; resolves to its pid once it is gone. */
async function killedSleep(signal: NodeJS.Signals, ms: number): Promise<number> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const gone = new Promise((r) => child.on('exit', r));
  await pause(ms);
  child.kill(signal);
  await gone;
  return child.pid!;
}

kernelTest('exitsnoop shows an exit code and a killing signal with pid, ppid and age', async () => {
  const run = startTool('exitsnoop');
  try {
    await run.waitFor(HEADER);
    const sh = spawnSync('sh', ['-c', 'exit 3']);
    assert.equal(sh.status, 3);
    const killed = await killedSleep('SIGKILL', 300);
    const m = await run.waitFor(new RegExp(`^sh\\s+${sh.pid}\\s+(\\d+)\\s+${sh.pid}\\s+(\\d+\\.\\d\\d)\\s+code 3$`, 'm'));
    assert.equal(Number(m[1]), process.pid);
    const k = await run.waitFor(new RegExp(`^sleep\\s+${killed}\\s+(\\d+)\\s+${killed}\\s+(\\d+\\.\\d\\d)\\s+signal 9 \\(Killed\\)$`, 'm'));
    assert.equal(Number(k[1]), process.pid);
    // It lived at least the 300 ms we waited before killing it.
    assert.ok(Number(k[2]) >= 0.29, `age ${k[2]}`);
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('exitsnoop -x shows failed exits only; -t adds the time', async () => {
  const run = startTool('exitsnoop', ['-x', '-t']);
  try {
    await run.waitFor(/^TIME\(s\)\s+PCOMM\s+PID\s+PPID\s+TID\s+AGE\(s\)\s+EXIT_CODE$/m);
    const ok = spawnSync('sh', ['-c', 'exit 0']);
    const failed = spawnSync('sh', ['-c', 'exit 7']);
    await run.waitFor(new RegExp(`^\\d\\d:\\d\\d:\\d\\d sh\\s+${failed.pid}\\s+${process.pid}\\s+${failed.pid}\\s+\\S+\\s+code 7$`, 'm'));
    assert.doesNotMatch(run.stdout(), new RegExp(`^\\S+ sh\\s+${ok.pid}\\s`, 'm'));
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('exitsnoop -p follows one process; -T shows thread exits', async () => {
  const target = spawn('sleep', ['30'], { stdio: 'ignore' });
  const gone = new Promise((r) => target.on('exit', r));
  const byPid = startTool('exitsnoop', ['-p', String(target.pid)]);
  const threads = startTool('exitsnoop', ['-T']);
  try {
    await byPid.waitFor(HEADER);
    await threads.waitFor(HEADER);
    const other = spawnSync('sh', ['-c', 'exit 4']);
    const py = spawnSync('python3', ['-c', 'import os, threading\nt = threading.Thread(target=lambda: None)\nt.start()\nt.join()\nprint(os.getpid(), t.native_id)'], { encoding: 'utf8' });
    const [pid, tid] = py.stdout.trim().split(' ').map(Number);
    target.kill('SIGTERM');
    await gone;
    await byPid.waitFor(new RegExp(`^sleep\\s+${target.pid}\\s+${process.pid}\\s+${target.pid}\\s+\\S+\\s+signal 15 \\(Terminated\\)$`, 'm'));
    assert.doesNotMatch(byPid.stdout(), new RegExp(`^sh\\s+${other.pid}\\s`, 'm'));
    // The helper thread's own exit: same PID, its TID (python3 may run under a pyenv shim: any parent).
    await threads.waitFor(new RegExp(`^python3\\s+${pid}\\s+\\d+\\s+${tid}\\s+\\S+\\s+0$`, 'm'));
    await threads.waitFor(new RegExp(`^python3\\s+${pid}\\s+\\d+\\s+${pid}\\s+\\S+\\s+0$`, 'm'));
  } finally {
    target.kill('SIGKILL');
    await Promise.all([byPid.stop(), threads.stop()]);
  }
});

kernelTest('exitsnoop --json prints one object per exit with lower-case column keys', async () => {
  const run = startTool('exitsnoop', ['--json']);
  try {
    let pid: number | undefined;
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      pid = spawnSync('sh', ['-c', 'exit 5']).pid;
      await pause(200);
      if (run.stdout().includes(`"pid":${pid},`)) break;
    }
    const killed = await killedSleep('SIGKILL', 50);
    await run.waitFor(new RegExp(`"pid":${killed},`));
    const records = run.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const exited = records.find((r) => r.pid === pid);
    assert.ok(exited, run.stdout());
    assert.equal(exited.pcomm, 'sh');
    assert.equal(exited.ppid, process.pid);
    assert.equal(exited.tid, pid);
    assert.equal(exited.exit_code, 5);
    assert.equal(exited.sig, 0);
    assert.equal(typeof exited.age, 'number');
    const sig = records.find((r) => r.pid === killed);
    assert.ok(sig);
    assert.equal(sig.sig, 9);
    assert.equal(sig.signal, 'KILL');
    assert.equal(sig.exit_code, 0);
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('exitsnoop --cgroup keeps only processes in that cgroup v2 directory', async () => {
  using cg = createCgroup();
  const run = startTool('exitsnoop', ['--cgroup', cg.path]);
  try {
    await run.waitFor(HEADER);
    const outside = spawnSync('sh', ['-c', 'exit 6']);
    const inside = spawnSync('sh', ['-c', `echo $$ > ${cg.path}/cgroup.procs; echo $$; exit 6`], { encoding: 'utf8' });
    const pid = Number(inside.stdout.trim());
    await run.waitFor(new RegExp(`^sh\\s+${pid}\\s+${process.pid}\\s+${pid}\\s+\\S+\\s+code 6$`, 'm'));
    assert.doesNotMatch(run.stdout(), new RegExp(`^sh\\s+${outside.pid}\\s`, 'm'));
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});
