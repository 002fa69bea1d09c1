// runqlat: four busy processes on a 2-CPU machine keep waiting for a CPU; the tool counts those waits for them.
import assert from 'node:assert/strict';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';
import { histRows, withBusyLoops } from './busy.js';

kernelTest('runqlat -P 1 2 counts run queue waits of busy processes and exits by itself', { timeout: 30000 }, async () => {
  await withBusyLoops(4, async (pids) => {
    const r = await startTool('runqlat', ['-P', '1', '2']).exited();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Tracing run queue latency\.\.\. Hit Ctrl-C to end\.\n\n\npid = \d+ /);
    let counted = 0;
    for (const pid of pids) {
      const m = r.stdout.match(new RegExp(`^pid = ${pid} python3\\n     usecs               : count    distribution\\n((?:\\s+\\d+ -> .*\\n)+)`, 'm'));
      if (!m) continue;
      const rows = histRows(m[1]!);
      assert.ok(rows.length > 0, m[0]);
      assert.deepEqual(rows[0]!.slice(0, 2), [0, 1]);
      for (const [, high] of rows) assert.ok(high < 2 ** 24, `a wait over 16 s is not plausible: ${m[0]}`);
      counted += rows.reduce((a, [, , n]) => a + n, 0);
    }
    assert.ok(counted > 0, `no run queue waits counted for ${pids.join(', ')}:\n${r.stdout}`);
  });
});

kernelTest('runqlat -p PID -L shows only that process, and --json prints one object per interval', { timeout: 30000 }, async () => {
  await withBusyLoops(4, async ([pid]) => {
    const text = await startTool('runqlat', ['-p', String(pid), '-L', '1', '1']).exited();
    assert.equal(text.code, 0, text.stderr);
    const tids = [...text.stdout.matchAll(/^tid = (\d+) (\S+)$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(tids, [pid], text.stdout);

    const json = await startTool('runqlat', ['-p', String(pid), '-m', '--json', '1', '2']).exited();
    assert.equal(json.code, 0, json.stderr);
    const records = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { unit: string; buckets: Array<{ count: number }> });
    assert.equal(records.length, 2, json.stdout);
    assert.equal(records[0]!.unit, 'msecs');
    assert.ok(records.some((r) => r.buckets.reduce((a, b) => a + b.count, 0) > 0), json.stdout);
  });
});

kernelTest('runqlat prints the histogram on Ctrl-C and exits 0', { timeout: 30000 }, async () => {
  await withBusyLoops(3, async () => {
    const run = startTool('runqlat', ['-T']);
    await run.waitFor(/Hit Ctrl-C to end\.\n/);
    await new Promise((r) => setTimeout(r, 1000));
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\n\n\d\d:\d\d:\d\d\n     usecs               : count    distribution\n         0 -> 1          : \d+/);
  });
});

kernelTest('runqlat rejects conflicting flags and a missing cgroup in one line', { timeout: 20000 }, async () => {
  const bad = await startTool('runqlat', ['-P', '-L']).exited();
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  const badCg = await startTool('runqlat', ['-c', '/nonexistent-cgroup', '1', '1']).exited();
  // The shared --cgroup check: a usage error (exit 2) that names the path and what was expected.
  assert.equal(badCg.code, 2);
  assert.match(badCg.stderr, /^bpfkit runqlat: --cgroup \/nonexistent-cgroup: ENOENT\b.*\(expected a cgroup v2 directory.*\)\n$/);
});
