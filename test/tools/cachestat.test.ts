// cachestat: a 16 MiB file we write (4096 dirtied pages), drop from the cache with fadvise(DONTNEED), read cold
// (4096 pages brought in: misses) and then read 4 times warm (16384 hits). Other processes use the page cache at
// the same time, so we check sums over the run against lower bounds, using the raw page counts where noise could
// only add.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';

const FILE = `/var/tmp/bpfkit-cachestat-${process.pid}`;
const PAGES = 4096; // 16 MiB of 4 KiB pages

const SCRIPT = `
import os, sys
p = sys.argv[1]
with open(p, 'wb') as f:
    f.write(b'x' * (16 << 20)); f.flush(); os.fsync(f.fileno())
fd = os.open(p, os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
while os.read(fd, 1 << 20): pass
for i in range(4):
    os.lseek(fd, 0, 0)
    while os.read(fd, 1 << 20): pass
os.close(fd)
`;

function cacheWork(): void {
  const r = spawnSync('python3', ['-c', SCRIPT, FILE], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

interface Rec {
  time: string;
  hits: number;
  misses: number;
  dirties: number;
  hit_ratio: number;
  accessed_pages: number;
  added_pages: number;
  cached_mb: number;
}

kernelTest('cachestat --json counts our dirtied, missed and hit pages', async () => {
  const run = startTool('cachestat', ['--json', '1']);
  const records = () => run.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Rec);
  const sum = (key: keyof Rec) => records().reduce((n, r) => n + (r[key] as number), 0);
  try {
    await run.waitFor(/^\{"time"/m); // first interval printed: the probes are attached
    cacheWork();
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline && (sum('dirties') < PAGES || sum('added_pages') < PAGES || sum('hits') < 4 * PAGES)) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    const r = await run.stop();
    rmSync(FILE, { force: true });
    assert.equal(r.code, 0, r.stderr);
  }
  assert.ok(sum('dirties') >= PAGES, run.stdout());
  assert.ok(sum('added_pages') >= PAGES, run.stdout());
  assert.ok(sum('accessed_pages') >= 5 * PAGES, run.stdout());
  assert.ok(sum('hits') >= 4 * PAGES, run.stdout());
  for (const r of records()) {
    assert.ok(r.hits >= 0 && r.misses >= 0 && r.hits + r.misses === r.accessed_pages, JSON.stringify(r));
    assert.ok(r.hit_ratio >= 0 && r.hit_ratio <= 100 && r.cached_mb > 0);
  }
});

kernelTest('cachestat -T 1 2 prints the libbpf-tools columns twice and exits', async () => {
  const r = await startTool('cachestat', ['-T', '1', '2']).exited();
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'TIME         HITS   MISSES  DIRTIES HITRATIO   BUFFERS_MB  CACHED_MB');
  assert.equal(lines.length, 3, r.stdout);
  for (const line of lines.slice(1)) assert.match(line, /^\d\d:\d\d:\d\d +\d+ +\d+ +\d+ +\d+\.\d\d% +\d+ +\d+$/);
});
