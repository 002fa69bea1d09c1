// cpudist: a busy process shares 2 CPUs with three others, so it runs in slices; the tool measures them.
import assert from 'node:assert/strict';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';
import { histRows, withBusyLoops } from './busy.js';

/** Histogram rows of the section after `title`, as [low, high, count]. */
function section(stdout: string, title: string, unit = 'usecs'): Array<[number, number, number]> {
  const m = stdout.match(new RegExp(`^${title}\\n     ${unit}\\s+: count    distribution\\n((?:\\s+\\d+ -> .*\\n)+)`, 'm'));
  assert.ok(m, `no section '${title}' in:\n${stdout}`);
  return histRows(m[1]!);
}

kernelTest('cpudist -p PID -L 1 2 shows the on-CPU slices of a busy process and exits by itself', { timeout: 30000 }, async () => {
  await withBusyLoops(4, async ([pid]) => {
    const r = await startTool('cpudist', ['-p', String(pid), '-L', '1', '2']).exited();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Tracing on-CPU time\.\.\. Hit Ctrl-C to end\.\n/);
    assert.deepEqual([...new Set([...r.stdout.matchAll(/^tid = (\d+)/gm)].map((m) => Number(m[1])))], [pid], r.stdout);
    const rows = section(r.stdout, `tid = ${pid} python3`);
    assert.ok(rows.reduce((a, [, , n]) => a + n, 0) > 0, r.stdout);
    // A CPU-bound loop is only preempted, never blocks: its slices are scheduler slices, not microseconds.
    assert.ok(rows.some(([low, , n]) => low >= 128 && n > 0), `no slice of 128 us or more:\n${r.stdout}`);
    assert.ok(rows.every(([, high, n]) => n === 0 || high < 2 ** 24), r.stdout);
  });
});

kernelTest('cpudist -O -m measures off-CPU time of a waiting process; --json -P names it', { timeout: 30000 }, async () => {
  await withBusyLoops(4, async ([pid]) => {
    const r = await startTool('cpudist', ['-O', '-m', '-P', '-p', String(pid), '1', '1']).exited();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Tracing off-CPU time\.\.\. Hit Ctrl-C to end\.\n/);
    const rows = section(r.stdout, `pid = ${pid} python3`, 'msecs');
    assert.ok(rows.reduce((a, [, , n]) => a + n, 0) > 0, r.stdout);

    const json = await startTool('cpudist', ['-P', '-p', String(pid), '--json', '1', '1']).exited();
    assert.equal(json.code, 0, json.stderr);
    const rec = JSON.parse(json.stdout) as { unit: string; histograms: Array<{ pid: number; comm: string; buckets: Array<{ count: number }> }> };
    assert.equal(rec.unit, 'usecs');
    assert.deepEqual(rec.histograms.map((h) => [h.pid, h.comm]), [[pid, 'python3']]);
    assert.ok(rec.histograms[0]!.buckets.some((b) => b.count > 0));
  });
});
