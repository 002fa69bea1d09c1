// biolatency: 32 O_DIRECT writes of 64 KiB to a file on the root disk (vda) show up in the histograms, per disk and
// per flags, with latencies above the first slot. Other processes do I/O too: we check lower bounds only.
import assert from 'node:assert/strict';
import { createCgroup } from '../helpers/cgroup.js';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';
import { directWrites, directWritesInCgroup, traceWrites, writeUntil } from './block-io.js';

interface Hist {
  label: string;
  rows: Array<{ low: number; high: number; count: number }>;
}

/** The histograms of a text output, each with the label line above it ("disk = vda\tflags = Write"). */
function parseHists(text: string): Hist[] {
  const hists: Hist[] = [];
  let label = '';
  let current: Hist | undefined;
  for (const line of text.split('\n')) {
    const row = /^\s+(\d+) -> (\d+)\s+: (\d+)\s+\|/.exec(line);
    if (row) {
      current?.rows.push({ low: Number(row[1]), high: Number(row[2]), count: Number(row[3]) });
    } else if (/^\s+(usecs|msecs)\s+: count\s+distribution$/.test(line)) {
      current = { label, rows: [] };
      hists.push(current);
    } else if (line.trim() !== '') {
      label = line;
    }
  }
  return hists;
}

const total = (h: Hist) => h.rows.reduce((n, r) => n + r.count, 0);

kernelTest('biolatency -D -F counts our 32 direct writes on vda with real latencies', async () => {
  const out = await traceWrites('biolatency', ['-D', '-F'], { ready: /^Tracing block device I\/O\.\.\. Hit Ctrl-C to end\.$/m });
  const hists = parseHists(out);
  // O_DIRECT writes are REQ_SYNC | REQ_IDLE writes: libbpf-tools names them "Idle-Sync-Write".
  const ours = hists.find((h) => h.label === 'disk = vda\tflags = Idle-Sync-Write');
  assert.ok(ours, `no vda Idle-Sync-Write histogram:\n${out}`);
  assert.ok(total(ours) >= 32, `expected >= 32 writes, got ${total(ours)}:\n${out}`);
  // A virtio disk write takes tens of microseconds at least: our writes sit at 8 us and above, not in slot 0.
  const slow = ours.rows.filter((row) => row.low >= 8).reduce((n, row) => n + row.count, 0);
  assert.ok(slow >= 32, `expected >= 32 writes at 8 us or more, got ${slow}:\n${out}`);
  for (const h of hists) assert.match(h.label, /^disk = \S+\tflags = [A-Za-z-]+$/);
});

kernelTest('biolatency -mQT -d vda prints a millisecond histogram with our writes', async () => {
  const out = await traceWrites('biolatency', ['-m', '-Q', '-T', '-d', 'vda']);
  assert.match(out, /^\d\d:\d\d:\d\d$/m);
  const hists = parseHists(out);
  assert.equal(hists.length, 1, out);
  assert.match(out, /^ {5}msecs {15}: count {4}distribution$/m);
  assert.ok(total(hists[0]!) >= 32, out);
});

kernelTest('biolatency 1 2 prints two intervals and exits by itself', async () => {
  const r = await startTool('biolatency', ['-T', '1', '2']).exited();
  assert.equal(r.code, 0, r.stderr);
  assert.equal([...r.stdout.matchAll(/^\d\d:\d\d:\d\d$/gm)].length, 2, r.stdout);
});

kernelTest('biolatency --json -D prints one object per interval with vda buckets', async () => {
  type Rec = { time: string; histograms: Array<{ disk: string; unit: string; buckets: Array<{ count: number }> }> };
  const records = (out: string) => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Rec);
  const vdaCount = (rec: Rec) => rec.histograms.filter((h) => h.disk === 'vda').reduce((n, h) => n + h.buckets.reduce((m, b) => m + b.count, 0), 0);
  // No header in JSON mode: the first interval record says the probes are attached.
  const out = await writeUntil('biolatency', ['--json', '-D', '1'], (o) => records(o).some((rec) => vdaCount(rec) >= 32), 15000);
  const recs = records(out);
  assert.ok(recs.some((rec) => vdaCount(rec) >= 32), out);
  assert.ok(recs.every((rec) => /^\d\d:\d\d:\d\d$/.test(rec.time) && rec.histograms.every((h) => h.unit === 'usecs')));
});

kernelTest('biolatency -d with an unknown disk says so and exits 2', async () => {
  const r = await startTool('biolatency', ['-d', 'nosuchdisk']).exited();
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^bpfkit biolatency: no disk named 'nosuchdisk'/);
});

kernelTest('biolatency -c counts only the I/O issued from inside the cgroup', async () => {
  using cg = createCgroup();
  const out = await traceWrites('biolatency', ['-F', '-c', cg.path], {
    activity: (file) => {
      directWrites(file); // outside: must not count
      directWritesInCgroup(file, cg.path);
    },
  });
  // Only the dd inside the cgroup issues direct writes there: exactly its 32, none of the 32 from outside.
  const ours = parseHists(out).find((h) => h.label === 'flags = Idle-Sync-Write');
  assert.ok(ours, out);
  assert.equal(total(ours), 32, out);
});
