// syncsnoop: a process we start calls sync and fsync; the tool names it with the right pid and call.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';

kernelTest('syncsnoop reports sync() and fsync() with pid, comm and call', async () => {
  const run = startTool('syncsnoop');
  try {
    await run.waitFor(/^PID\s+COMM\s+CALL$/m);
    const py = spawnSync('python3', ['-c', 'import os,tempfile\nf=tempfile.TemporaryFile()\nos.fsync(f.fileno())\nos.sync()\nprint(os.getpid())'], { encoding: 'utf8' });
    const pid = py.stdout.trim();
    await run.waitFor(new RegExp(`^${pid}\\s+python3\\s+sync$`, 'm'));
    assert.match(run.stdout(), new RegExp(`^${pid}\\s+python3\\s+fsync$`, 'm'));
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('syncsnoop --json prints one object per call', async () => {
  const run = startTool('syncsnoop', ['--json']);
  try {
    // No header in JSON mode: give the probes a moment, then sync until an event for our child shows up.
    const deadline = Date.now() + 10000;
    let pid = '';
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      pid = spawnSync('python3', ['-c', 'import os\nos.sync()\nprint(os.getpid())'], { encoding: 'utf8' }).stdout.trim();
      await new Promise((r) => setTimeout(r, 100));
      if (run.stdout().includes(`"pid":${pid}`)) break;
    }
    const line = run.stdout().split('\n').find((l) => l.includes(`"pid":${pid}`));
    assert.ok(line, `no JSON record for pid ${pid}:\n${run.stdout()}`);
    const rec = JSON.parse(line) as { pid: number; call: string; comm: string };
    assert.equal(rec.call, 'sync');
    assert.equal(rec.pid, Number(pid));
  } finally {
    await run.stop();
  }
});
