// biolatency: 32 O_DIRECT writes of 64 KiB to a file on the root disk (vda) show up in the histograms, per disk and
// per flags, with latencies above the first slot. Other processes do I/O too: we check lower bounds only.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createCgroup } from '../helpers/cgroup.js';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';

const FILE = `/var/tmp/bpfkit-biolatency-${process.pid}`;

/** 32 direct (uncached) 64 KiB writes: 32 block requests on vda. */
function directWrites(): void {
  const r = spawnSync('dd', ['if=/dev/zero', `of=${FILE}`, 'bs=64k', 'count=32', 'oflag=direct'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

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
  const run = startTool('biolatency', ['-D', '-F']);
  try {
    await run.waitFor(/^Tracing block device I\/O\.\.\. Hit Ctrl-C to end\.$/m);
    directWrites();
  } finally {
    const r = await run.stop();
    rmSync(FILE, { force: true });
    assert.equal(r.code, 0, r.stderr);
    const hists = parseHists(r.stdout);
    // O_DIRECT writes are REQ_SYNC | REQ_IDLE writes: libbpf-tools names them "Idle-Sync-Write".
    const ours = hists.find((h) => h.label === 'disk = vda\tflags = Idle-Sync-Write');
    assert.ok(ours, `no vda Idle-Sync-Write histogram:\n${r.stdout}`);
    assert.ok(total(ours) >= 32, `expected >= 32 writes, got ${total(ours)}:\n${r.stdout}`);
    // A virtio disk write takes tens of microseconds at least: our writes sit at 8 us and above, not in slot 0.
    const slow = ours.rows.filter((row) => row.low >= 8).reduce((n, row) => n + row.count, 0);
    assert.ok(slow >= 32, `expected >= 32 writes at 8 us or more, got ${slow}:\n${r.stdout}`);
    for (const h of hists) assert.match(h.label, /^disk = \S+\tflags = [A-Za-z-]+$/);
  }
});

kernelTest('biolatency -mQT -d vda prints a millisecond histogram with our writes', async () => {
  const run = startTool('biolatency', ['-m', '-Q', '-T', '-d', 'vda']);
  try {
    await run.waitFor(/Hit Ctrl-C to end\.$/m);
    directWrites();
  } finally {
    const r = await run.stop();
    rmSync(FILE, { force: true });
    assert.equal(r.code, 0, r.stderr);
  }
  const out = run.stdout();
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
  const run = startTool('biolatency', ['--json', '-D', '1']);
  const records = () => run.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Rec);
  const vdaCount = (rec: Rec) => rec.histograms.filter((h) => h.disk === 'vda').reduce((n, h) => n + h.buckets.reduce((m, b) => m + b.count, 0), 0);
  try {
    // No header in JSON mode: the first interval record says the probes are attached.
    await run.waitFor(/^\{"time"/m);
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline && !records().some((rec) => vdaCount(rec) >= 32)) {
      directWrites();
      await new Promise((resolve) => setTimeout(resolve, 1200));
    }
  } finally {
    const r = await run.stop();
    rmSync(FILE, { force: true });
    assert.equal(r.code, 0, r.stderr);
  }
  const recs = records();
  assert.ok(recs.some((rec) => vdaCount(rec) >= 32), run.stdout());
  assert.ok(recs.every((rec) => /^\d\d:\d\d:\d\d$/.test(rec.time) && rec.histograms.every((h) => h.unit === 'usecs')));
});

kernelTest('biolatency -d with an unknown disk says so and exits 2', async () => {
  const r = await startTool('biolatency', ['-d', 'nosuchdisk']).exited();
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^bpfkit biolatency: no disk named 'nosuchdisk'/);
});

kernelTest('biolatency -c counts only the I/O issued from inside the cgroup', async () => {
  using cg = createCgroup();
  const run = startTool('biolatency', ['-F', '-c', cg.path]);
  try {
    await run.waitFor(/Hit Ctrl-C to end\.$/m);
    directWrites(); // outside: must not count
    const r = spawnSync('sh', ['-c', `echo $$ > ${cg.path}/cgroup.procs && exec dd if=/dev/zero of=${FILE} bs=64k count=32 oflag=direct`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    const r = await run.stop();
    rmSync(FILE, { force: true });
    assert.equal(r.code, 0, r.stderr);
  }
  // Only the dd inside the cgroup issues direct writes there: exactly its 32, none of the 32 from outside.
  const ours = parseHists(run.stdout()).find((h) => h.label === 'flags = Idle-Sync-Write');
  assert.ok(ours, run.stdout());
  assert.equal(total(ours), 32, run.stdout());
});
