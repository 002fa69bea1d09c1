// execsnoop: processes we exec with known arguments show up with their pid, parent, return value and argv.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createCgroup } from '../helpers/cgroup.js';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';

const HEADER = /^PCOMM\s+PID\s+PPID\s+RET ARGS$/m;

/** A token no other process on the machine prints. */
const token = (what: string) => `bpfkit-${what}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

/** Runs `sh -c script`, which prints its own pid first; returns that pid. */
function shellPid(script: string): number {
  const r = spawnSync('sh', ['-c', `echo $$; ${script}`], { encoding: 'utf8' });
  return Number(r.stdout.split('\n')[0]);
}

kernelTest('execsnoop shows an exec with comm, pid, ppid, ret and args; -x adds failed execs', async () => {
  const run = startTool('execsnoop');
  const failing = startTool('execsnoop', ['-x']);
  try {
    await run.waitFor(HEADER);
    await failing.waitFor(HEADER);
    const missing = token('missing');
    const failedPid = shellPid(`exec /nonexistent/${missing} arg1 2>/dev/null`);
    const tok = token('echo');
    const echo = spawnSync('/bin/echo', [tok, 'two words'], { encoding: 'utf8' });
    assert.equal(echo.status, 0);
    const m = await run.waitFor(new RegExp(`^echo\\s+(\\d+)\\s+(\\d+)\\s+(-?\\d+) /bin/echo ${tok} two words $`, 'm'));
    assert.equal(Number(m[1]), echo.pid);
    assert.equal(Number(m[2]), process.pid);
    assert.equal(m[3], '0');
    // The failed exec came first; without -x it is not shown.
    assert.doesNotMatch(run.stdout(), new RegExp(`-2 /nonexistent/${missing}`));
    const f = await failing.waitFor(new RegExp(`^sh\\s+(\\d+)\\s+(\\d+)\\s+(-?\\d+) /nonexistent/${missing} arg1 $`, 'm'));
    assert.equal(Number(f[1]), failedPid);
    assert.equal(Number(f[2]), process.pid);
    assert.equal(f[3], '-2');
    await failing.waitFor(new RegExp(`^echo\\s+${echo.pid}\\s+${process.pid}\\s+0 /bin/echo ${tok} two words $`, 'm'));
  } finally {
    const [a, b] = await Promise.all([run.stop(), failing.stop()]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
  }
});

kernelTest('execsnoop -q -U -T --max-args quotes, adds columns and cuts long argument lists', async () => {
  const run = startTool('execsnoop', ['-q', '-U', '-T', '--max-args', '3']);
  try {
    await run.waitFor(/^TIME\s+UID\s+PCOMM\s+PID\s+PPID\s+RET ARGS$/m);
    const tok = token('quote');
    const r = spawnSync('/bin/echo', [tok, 'say "hi"', 'third', 'fourth'], { encoding: 'utf8' });
    const m = await run.waitFor(new RegExp(`^(\\d\\d:\\d\\d:\\d\\d) (\\d+)\\s+echo\\s+${r.pid}\\s+${process.pid}\\s+0 (.*)$`, 'm'));
    assert.equal(Number(m[2]), process.getuid!());
    assert.equal(m[3], `"/bin/echo" "${tok}" "say \\"hi\\""  ...`);
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('execsnoop -n and -l keep only matching commands', async () => {
  const byLine = token('line');
  const run = startTool('execsnoop', ['-l', byLine]);
  const byName = startTool('execsnoop', ['-n', 'printf']);
  try {
    await run.waitFor(HEADER);
    await byName.waitFor(HEADER);
    spawnSync('/bin/echo', ['other-args'], { encoding: 'utf8' });
    const printf = spawnSync('/usr/bin/printf', ['%s', byLine]);
    await run.waitFor(new RegExp(`^printf\\s+${printf.pid}\\s+.* /usr/bin/printf %s ${byLine} $`, 'm'));
    await byName.waitFor(new RegExp(`^printf\\s+${printf.pid}\\s`, 'm'));
    assert.doesNotMatch(run.stdout(), /other-args/);
    assert.doesNotMatch(byName.stdout(), /^echo\s/m);
  } finally {
    await Promise.all([run.stop(), byName.stop()]);
  }
});

kernelTest('execsnoop --cgroup keeps only processes in that cgroup v2 directory', async () => {
  using cg = createCgroup();
  const run = startTool('execsnoop', ['--cgroup', cg.path]);
  try {
    await run.waitFor(HEADER);
    const inside = token('inside');
    const outside = token('outside');
    spawnSync('/bin/echo', [outside]);
    const pid = shellPid(`echo $$ > ${cg.path}/cgroup.procs && exec /bin/echo ${inside}`);
    await run.waitFor(new RegExp(`^echo\\s+${pid}\\s+${process.pid}\\s+0 /bin/echo ${inside} $`, 'm'));
    assert.doesNotMatch(run.stdout(), new RegExp(outside));
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('execsnoop --json prints one object per exec with lower-case column keys', async () => {
  const run = startTool('execsnoop', ['--json']);
  try {
    // No header in JSON mode: exec until our record shows up.
    const tok = token('json');
    let pid: number | undefined;
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      pid = spawnSync('/bin/echo', [tok]).pid;
      await new Promise((r) => setTimeout(r, 200));
      if (run.stdout().includes(`"pid":${pid},`)) break;
    }
    const line = run.stdout().split('\n').find((l) => l.includes(`"pid":${pid},`));
    assert.ok(line, `no JSON record for pid ${pid}:\n${run.stdout()}\n${run.stderr()}`);
    const rec = JSON.parse(line) as Record<string, unknown>;
    assert.equal(rec.pcomm, 'echo');
    assert.equal(rec.ppid, process.pid);
    assert.equal(rec.ret, 0);
    assert.equal(rec.uid, process.getuid!());
    assert.deepEqual(rec.args, ['/bin/echo', tok]);
    assert.equal(typeof rec.time, 'number');
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('execsnoop rejects a bad --max-args and a missing --cgroup directory in one line', async () => {
  const bad = await startTool('execsnoop', ['--max-args', '61']).exited();
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /max-args/);
  const cg = await startTool('execsnoop', ['--cgroup', '/nonexistent/cg']).exited();
  assert.notEqual(cg.code, 0);
  assert.equal(cg.stderr.trim().split('\n').length, 1, cg.stderr);
  assert.match(cg.stderr, /--cgroup \/nonexistent\/cg/);
});

kernelTest('execsnoop -u keeps only execs by that user', async () => {
  const nobody = 65534;
  const run = startTool('execsnoop', ['-u', String(nobody), '-U']);
  try {
    await run.waitFor(/^UID\s+PCOMM\s+PID\s+PPID\s+RET ARGS$/m);
    const asRoot = token('root');
    const asNobody = token('nobody');
    spawnSync('/bin/echo', [asRoot]);
    const r = spawnSync('/bin/echo', [asNobody], { uid: nobody, gid: nobody });
    assert.equal(r.status, 0);
    await run.waitFor(new RegExp(`^${nobody}\\s+echo\\s+${r.pid}\\s+${process.pid}\\s+0 /bin/echo ${asNobody} $`, 'm'));
    assert.doesNotMatch(run.stdout(), new RegExp(asRoot));
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});
