// opensnoop: a python child opens a file we created and one that does not exist; the tool shows both with the
// child's pid and comm, the fd or errno, the path, and with -e the open flags.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A directory with one existing file and the name of a missing one, unique to this run. */
function scratch() {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-opensnoop-'));
  const present = join(dir, 'present.txt');
  writeFileSync(present, 'hello');
  return { dir, present, missing: join(dir, 'missing.txt'), [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs python3 opening `paths` read-only (O_NOFOLLOW, so -e shows a known flag); returns its pid. */
function openWithPython(paths: string[]): number {
  const code = `import os\nfor p in ${JSON.stringify(paths)}:\n  try: os.close(os.open(p, os.O_RDONLY | os.O_NOFOLLOW))\n  except OSError: pass`;
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.pid!;
}

kernelTest('opensnoop shows successful and failed opens with pid, comm, fd, errno and path', async () => {
  using s = scratch();
  const run = startTool('opensnoop');
  try {
    await run.waitFor(/^PID\s+COMM\s+FD\s+ERR\s+PATH$/m);
    const pid = openWithPython([s.present, s.missing]);
    const ok = await run.waitFor(new RegExp(`^${pid}\\s+python3\\s+(\\d+)\\s+0 ${escape(s.present)}$`, 'm'));
    assert.ok(Number(ok[1]) >= 3, `fd ${ok[1]} should be a fresh descriptor`);
    await run.waitFor(new RegExp(`^${pid}\\s+python3\\s+-1\\s+2 ${escape(s.missing)}$`, 'm'));
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('opensnoop -x -e -U -T -n shows only failed opens, with time, uid and flags', async () => {
  using s = scratch();
  const run = startTool('opensnoop', ['-x', '-e', '-U', '-T', '-n', 'pyth']);
  try {
    await run.waitFor(/^TIME\s+UID\s+PID\s+COMM\s+FD\s+ERR\s+FLAGS\s+PATH$/m);
    const pid = openWithPython([s.present, s.missing]);
    // python's os.open adds O_CLOEXEC (02000000) to our O_NOFOLLOW (0400000).
    await run.waitFor(new RegExp(`^\\d\\d:\\d\\d:\\d\\d 0\\s+${pid}\\s+python3\\s+-1\\s+2 02400000 ${escape(s.missing)}$`, 'm'));
    // Let any straggling event arrive before checking what must be absent.
    await new Promise((r) => setTimeout(r, 300));
    assert.doesNotMatch(run.stdout(), new RegExp(escape(s.present)), 'a successful open printed with -x');
    for (const line of run.stdout().split('\n').slice(1).filter((l) => l.trim())) {
      assert.match(line, /^\S+\s+\d+\s+\d+\s+\S*pyth\S*\s+-1\s+\d+ \d{8} /, `unexpected line with -x -n pyth: ${line}`);
    }
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('opensnoop --json -p PID reports only that process', async () => {
  using s = scratch();
  // A child that opens the file each time we send it a line, so we know its pid before it opens anything.
  const child = spawn('python3', ['-u', '-c', `import os,sys\nfor _ in sys.stdin:\n  os.close(os.open(${JSON.stringify(s.present)}, os.O_RDONLY))\n  print('ok')`], { stdio: ['pipe', 'pipe', 'inherit'] });
  const run = startTool('opensnoop', ['--json', '-p', String(child.pid)]);
  try {
    // No header in JSON mode: poke the child until its open shows up (the probes attach shortly after start).
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline && !run.stdout().includes(s.present)) {
      child.stdin!.write('\n');
      await new Promise((r) => setTimeout(r, 200));
    }
    const records = run.stdout().split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
    const mine = records.find((r) => r.path === s.present);
    assert.ok(mine, `no record for ${s.present}:\n${run.stdout()}`);
    assert.equal(mine.pid, child.pid);
    assert.equal(mine.comm, 'python3');
    assert.equal(mine.err, 0);
    assert.ok(typeof mine.fd === 'number' && mine.fd >= 3);
    for (const r of records) assert.equal(r.pid, child.pid, `record of another process with -p: ${JSON.stringify(r)}`);
  } finally {
    child.kill();
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('opensnoop -d 1 stops by itself after the duration', async () => {
  const run = startTool('opensnoop', ['-d', '1', '-p', '1']);
  const r = await run.exited(15000);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^PID\s+COMM\s+FD\s+ERR\s+PATH$/m);
});

kernelTest('opensnoop rejects a bad pid with a one-line usage error', async () => {
  const r = await startTool('opensnoop', ['-p', 'abc']).exited();
  assert.equal(r.code, 2);
  assert.match(r.stderr, /positive integer pid/);
});

kernelTest('opensnoop -t TID -e sees openat2() with the flags from its struct open_how', async () => {
  using s = scratch();
  // The child's main thread (tid = pid) calls openat2 through ctypes once we send it a line.
  const code = [
    'import ctypes,os,struct,sys',
    'libc=ctypes.CDLL(None,use_errno=True)',
    'sys.stdin.readline()',
    'how=ctypes.create_string_buffer(struct.pack("QQQ", os.O_RDONLY|os.O_NOFOLLOW, 0, 0))',
    `print(libc.syscall(437, -100, ${JSON.stringify(s.present)}.encode(), how, 24), flush=True)`,
  ].join('\n');
  const child = spawn('python3', ['-c', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  const run = startTool('opensnoop', ['-e', '-t', String(child.pid)]);
  try {
    await run.waitFor(/^PID\s+COMM\s+FD\s+ERR\s+FLAGS\s+PATH$/m);
    child.stdin!.write('\n');
    const fd = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
    assert.ok(Number(fd) >= 3, `openat2 returned ${fd}`);
    await run.waitFor(new RegExp(`^${child.pid}\\s+python3\\s+${fd}\\s+0 00400000 ${escape(s.present)}$`, 'm'));
    for (const line of run.stdout().split('\n').slice(1).filter((l) => l.trim())) assert.match(line, new RegExp(`^${child.pid}\\s`), line);
  } finally {
    child.kill();
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});
