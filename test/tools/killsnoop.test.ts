// killsnoop: this test sends signals to known processes (and to one that does not exist); the tool shows sender,
// signal, target and result.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';

const HEADER = /^TIME\s+PID\s+COMM\s+SIG\s+TPID\s+RESULT$/m;
/** Above this machine's pid_max (32768; the kernel's limit is 4194304): kill() fails with ESRCH. */
const NO_SUCH_PID = 4194000;
const myComm = readFileSync('/proc/self/comm', 'utf8').trim();
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Starts `sleep 30`, sends it SIGTERM from this process, waits for it to go; returns its pid. */
async function terminatedSleep(): Promise<number> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const gone = new Promise((r) => child.on('exit', r));
  await new Promise((r) => child.on('spawn', r));
  process.kill(child.pid!, 'SIGTERM');
  await gone;
  return child.pid!;
}

function failedKill(): void {
  assert.throws(() => process.kill(NO_SUCH_PID, 'SIGTERM'), /ESRCH/);
}

const row = (pid: number | string, sig: string, tpid: number | string, result: string, comm = esc(myComm)) =>
  new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${pid}\\s+${comm}\\s+${sig}\\s+${tpid}\\s+${result}\\s*$`, 'm');

kernelTest('killsnoop shows a SIGTERM we send (result 0) and a kill of a missing pid (result -3)', async () => {
  const run = startTool('killsnoop');
  try {
    await run.waitFor(HEADER);
    const target = await terminatedSleep();
    failedKill();
    await run.waitFor(row(process.pid, '15', target, '0'));
    await run.waitFor(row(process.pid, '15', NO_SUCH_PID, '-3'));
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('killsnoop -x -n shows failed signals only, by name', async () => {
  const run = startTool('killsnoop', ['-x', '-n']);
  try {
    await run.waitFor(HEADER);
    const target = await terminatedSleep();
    failedKill();
    await run.waitFor(row(process.pid, 'SIGTERM', NO_SUCH_PID, '-3'));
    assert.doesNotMatch(run.stdout(), new RegExp(`\\s${target}\\s`));
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('killsnoop sees tgkill(); -k keeps kill() only; -p and -s filter sender and signal', async () => {
  const all = startTool('killsnoop');
  const killOnly = startTool('killsnoop', ['-k']);
  const mine = startTool('killsnoop', ['-p', String(process.pid), '-s', 'TERM']);
  try {
    await Promise.all([all.waitFor(HEADER), killOnly.waitFor(HEADER), mine.waitFor(HEADER)]);
    // pthread_kill(main thread, 0) is tgkill(pid, tid, 0); os.kill(pid, 0) is kill(pid, 0).
    const py = spawnSync('python3', ['-c', 'import os, signal, threading\nsignal.pthread_kill(threading.main_thread().ident, 0)\nos.kill(os.getpid(), 0)\nprint(os.getpid(), threading.get_native_id())'], { encoding: 'utf8' });
    const [pid, tid] = py.stdout.trim().split(' ').map(Number);
    const shell = spawnSync('sh', ['-c', 'sleep 30 & kill -TERM $!; echo $$'], { encoding: 'utf8' });
    const shellPid = Number(shell.stdout.trim());
    const target = await terminatedSleep();
    await all.waitFor(row(pid!, '0', tid!, '0', 'python3'));
    await all.waitFor(row(shellPid, '15', '\\d+', '0', 'sh'));
    await killOnly.waitFor(row(process.pid, '15', target, '0'));
    await mine.waitFor(row(process.pid, '15', target, '0'));
    // Two lines from python3 with -k would mean tgkill() got through; the kill(pid, 0) one is there.
    assert.equal(killOnly.stdout().split('\n').filter((l) => new RegExp(`^\\S+ ${pid}\\s+python3\\s`).test(l)).length, 1, killOnly.stdout());
    assert.equal(all.stdout().split('\n').filter((l) => new RegExp(`^\\S+ ${pid}\\s+python3\\s`).test(l)).length, 2, all.stdout());
    assert.doesNotMatch(mine.stdout(), new RegExp(`^\\S+ (${pid}|${shellPid})\\s`, 'm'));
  } finally {
    await Promise.all([all.stop(), killOnly.stop(), mine.stop()]);
  }
});

kernelTest('killsnoop --json prints one object per signal with lower-case column keys', async () => {
  const run = startTool('killsnoop', ['--json']);
  try {
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline && !run.stdout().includes(`"tpid":${NO_SUCH_PID},`)) {
      await new Promise((r) => setTimeout(r, 200));
      failedKill();
    }
    const target = await terminatedSleep();
    await run.waitFor(new RegExp(`"tpid":${target},`));
    const records = run.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const ok = records.find((r) => r.tpid === target);
    assert.deepEqual({ ...ok, time: undefined }, { time: undefined, pid: process.pid, comm: myComm, sig: 15, signal: 'TERM', tpid: target, result: 0 });
    const failed = records.find((r) => r.tpid === NO_SUCH_PID && r.pid === process.pid);
    assert.equal(failed?.result, -3);
    assert.equal(typeof failed?.time, 'number');
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('killsnoop rejects an unknown signal name in one line', async () => {
  const r = await startTool('killsnoop', ['-s', 'NOPE']).exited();
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown signal 'NOPE'/);
});
