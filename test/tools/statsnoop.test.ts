// statsnoop: a python child stats a file we created (newfstatat), a missing one, and statfs()es the directory; the
// tool shows each with the child's pid and comm, RET/ERR as libbpf-tools prints them, and the path.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function scratch() {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-statsnoop-'));
  const present = join(dir, 'present.txt');
  writeFileSync(present, 'hello');
  return { dir, present, missing: join(dir, 'missing.txt'), [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

/** python3: stat(present), stat(missing), statvfs(dir) (statfs), lstat(present). Returns its pid. */
function statWithPython(s: { dir: string; present: string; missing: string }): number {
  const code = [
    'import os',
    `os.stat(${JSON.stringify(s.present)})`,
    `try: os.stat(${JSON.stringify(s.missing)})\nexcept OSError: pass`,
    `os.statvfs(${JSON.stringify(s.dir)})`,
  ].join('\n');
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.pid!;
}

kernelTest('statsnoop shows stat and statfs calls: pid, comm, RET, ERR, path', async () => {
  using s = scratch();
  const run = startTool('statsnoop', ['-t']);
  try {
    await run.waitFor(/^TIME\(s\)\s+PID\s+COMM\s+RET\s+ERR\s+PATH$/m);
    const pid = statWithPython(s);
    await run.waitFor(new RegExp(`^\\d+\\.\\d{3}\\s+${pid}\\s+python3\\s+0\\s+0\\s+${escape(s.present)}$`, 'm'));
    await run.waitFor(new RegExp(`^\\d+\\.\\d{3}\\s+${pid}\\s+python3\\s+-1\\s+2\\s+${escape(s.missing)}$`, 'm'));
    await run.waitFor(new RegExp(`^\\d+\\.\\d{3}\\s+${pid}\\s+python3\\s+0\\s+0\\s+${escape(s.dir)}$`, 'm'));
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('statsnoop -x shows only failed stats', async () => {
  using s = scratch();
  const run = startTool('statsnoop', ['-x']);
  try {
    await run.waitFor(/^PID\s+COMM\s+RET\s+ERR\s+PATH$/m);
    const pid = statWithPython(s);
    await run.waitFor(new RegExp(`^${pid}\\s+python3\\s+-1\\s+2\\s+${escape(s.missing)}$`, 'm'));
    await new Promise((r) => setTimeout(r, 300));
    assert.doesNotMatch(run.stdout(), new RegExp(`${escape(s.present)}$`, 'm'));
    for (const line of run.stdout().split('\n').slice(1).filter((l) => l.trim())) assert.match(line, /^\d+\s+.+\s+-1\s+\d+\s/, line);
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('statsnoop --json prints one object per call', async () => {
  using s = scratch();
  const run = startTool('statsnoop', ['--json']);
  try {
    const deadline = Date.now() + 15000;
    let pid = 0;
    while (Date.now() < deadline && !run.stdout().includes(s.missing)) {
      await new Promise((r) => setTimeout(r, 200));
      pid = statWithPython(s);
      await new Promise((r) => setTimeout(r, 100));
    }
    const records = run.stdout().split('\n').filter((l) => l.includes(`"pid":${pid},`)).map((l) => JSON.parse(l) as Record<string, unknown>);
    const missing = records.find((r) => r.path === s.missing);
    assert.ok(missing, `no record for ${s.missing}:\n${run.stdout()}`);
    assert.deepEqual({ comm: missing.comm, ret: missing.ret, err: missing.err }, { comm: 'python3', ret: -1, err: 2 });
    assert.ok(records.some((r) => r.path === s.present && r.ret === 0 && r.err === 0));
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});
