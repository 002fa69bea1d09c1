// runqlen: with four busy processes on a 2-CPU machine, the 99 Hz samples see tasks queued behind the running one.
import assert from 'node:assert/strict';
import { possibleCpuCount } from '../../src/kernel/cpus.js';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';
import { withBusyLoops } from './busy.js';

kernelTest('runqlen 1 2 samples queue lengths of 1 or more under load and exits by itself', { timeout: 30000 }, async () => {
  await withBusyLoops(4, async () => {
    const r = await startTool('runqlen', ['-T', '1', '2']).exited();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Sampling run queue length\.\.\. Hit Ctrl-C to end\.\n\n\d\d:\d\d:\d\d\n     runqlen       : count     distribution\n/);
    const rows = [...r.stdout.matchAll(/^        (\d+)\s+: (\d+)\s+\|[* ]{40}\|$/gm)].map((m) => [Number(m[1]), Number(m[2])] as const);
    assert.ok(rows.length > 0, r.stdout);
    const samples = rows.reduce((a, [, n]) => a + n, 0);
    // Two intervals of ~1 s at 99 Hz on every CPU: a few hundred samples, not thousands.
    assert.ok(samples > 0 && samples < 2 * 2 * 99 * possibleCpuCount(), `${samples} samples:\n${r.stdout}`);
    assert.ok(rows.some(([len, n]) => len >= 1 && n > 0), `no queued samples:\n${r.stdout}`);
  });
});

kernelTest('runqlen -CO reports occupancy per CPU; --json -C gives per-CPU buckets', { timeout: 30000 }, async () => {
  await withBusyLoops(4, async () => {
    const r = await startTool('runqlen', ['-C', '-O', '1', '1']).exited();
    assert.equal(r.code, 0, r.stderr);
    const occ = [...r.stdout.matchAll(/^runqocc, CPU (\d+)\s+(\d+\.\d\d)%$/gm)].map((m) => [Number(m[1]), Number(m[2])] as const);
    assert.deepEqual(occ.map(([cpu]) => cpu), [...Array(possibleCpuCount()).keys()], r.stdout);
    assert.ok(occ.every(([, p]) => p >= 0 && p <= 100), r.stdout);
    assert.ok(occ.some(([, p]) => p > 0), r.stdout);

    const json = await startTool('runqlen', ['-C', '--json', '1', '1']).exited();
    assert.equal(json.code, 0, json.stderr);
    const rec = JSON.parse(json.stdout) as { cpus: Array<{ cpu: number; buckets: Array<{ length: number; count: number }> }> };
    assert.equal(rec.cpus.length, possibleCpuCount());
    assert.ok(rec.cpus.some((c) => c.buckets.some((b) => b.length >= 1 && b.count > 0)), json.stdout);
  });
});
