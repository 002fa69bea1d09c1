// biosnoop: 32 O_DIRECT writes of 64 KiB by a dd we start appear as 32 lines with dd's pid, disk vda, a write
// type, 65536 bytes and a latency. Other processes do I/O too: we look at dd's lines only.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createCgroup } from '../helpers/cgroup.js';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';
import { directWrites, directWritesInCgroup, scratchFile, traceWrites } from './block-io.js';

/** Lines of text whose PID column (3rd) is pid, split into columns. */
function linesOf(text: string, pid: number): string[][] {
  return text.split('\n').map((l) => l.trim().split(/\s+/)).filter((c) => c[2] === String(pid));
}

/** dd's 64 KiB write lines. */
function ddWrites(text: string, pid: number): string[][] {
  return linesOf(text, pid).filter((c) => c[4]!.includes('W') && c[6] === '65536');
}

/** Polls until ready() (the lines come through a ring buffer, a little after the writes). */
async function until(ready: () => boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
}

kernelTest('biosnoop shows each of dd\'s 64 KiB direct writes on vda', async () => {
  let pid = 0;
  const out = await traceWrites('biosnoop', ['-d', 'vda'], {
    ready: /^TIME\(s\) {5}COMM {11}PID {5}DISK {4}T {4}SECTOR {5}BYTES {3}LAT\(ms\)$/m,
    activity: async (file, run) => {
      pid = directWrites(file);
      await until(() => ddWrites(run.stdout(), pid).length >= 32);
    },
  });
  const writes = ddWrites(out, pid);
  assert.ok(writes.length >= 32, out);
  for (const [time, comm, , disk, , sector, , lat] of writes) {
    assert.equal(comm, 'dd');
    assert.equal(disk, 'vda');
    assert.match(time!, /^\d+\.\d{6}$/);
    assert.match(sector!, /^\d+$/);
    // A completed disk write takes some time, and far less than 10 s.
    assert.ok(Number(lat) > 0 && Number(lat) < 10000, `latency ${lat}`);
  }
});

kernelTest('biosnoop -Q adds the queued time column', async () => {
  let pid = 0;
  const out = await traceWrites('biosnoop', ['-Q'], {
    ready: /^TIME\(s\) .* BYTES {3}QUE\(ms\) LAT\(ms\)$/m,
    activity: async (file, run) => {
      pid = directWrites(file);
      await run.waitFor(new RegExp(`^\\S+ +dd +${pid} `, 'm'));
    },
  });
  const ours = linesOf(out, pid);
  assert.ok(ours.length > 0);
  for (const cols of ours) {
    assert.equal(cols.length, 9, cols.join(' '));
    assert.match(cols[7]!, /^-?\d+\.\d{3}$/);
    assert.ok(Number(cols[8]) > 0);
  }
});

kernelTest('biosnoop --json 5 prints one object per I/O and stops by itself', async () => {
  const file = scratchFile('biosnoop');
  const run = startTool('biosnoop', ['--json', '5']);
  // No header in JSON mode: write until dd's records show up.
  let pid = 0;
  const deadline = Date.now() + 4000;
  while (Date.now() < deadline) {
    pid = directWrites(file);
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (run.stdout().includes(`"pid":${pid},`)) break;
  }
  const r = await run.exited();
  rmSync(file, { force: true });
  assert.equal(r.code, 0, r.stderr);
  const ours = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { pid: number; comm: string; disk: string; rwbs: string; op: string; bytes: number; lat_ms: number }).filter((e) => e.pid === pid);
  const writes = ours.filter((e) => e.op === 'Write' && e.bytes === 65536);
  assert.ok(writes.length >= 32, r.stdout.slice(0, 4000));
  assert.ok(writes.every((e) => e.comm === 'dd' && e.disk === 'vda' && e.rwbs.startsWith('W') && e.lat_ms > 0));
});

kernelTest('biosnoop -c keeps only I/O issued from inside the cgroup', async () => {
  using cg = createCgroup();
  let inside = 0;
  let outside = 0;
  const out = await traceWrites('biosnoop', ['-c', cg.path], {
    ready: /^TIME\(s\) /m,
    activity: async (file, run) => {
      outside = directWrites(file);
      inside = directWritesInCgroup(file, cg.path);
      await until(() => ddWrites(run.stdout(), inside).length >= 32);
    },
  });
  assert.ok(ddWrites(out, inside).length >= 32, out);
  assert.equal(linesOf(out, outside).length, 0, out);
});
