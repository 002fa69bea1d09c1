// bitesize: a dd we start makes 32 direct 64 KiB writes; its histogram ("Process Name = dd") counts them in the
// 64 -> 127 Kbytes row.
import assert from 'node:assert/strict';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';
import { traceWrites, writeUntil } from './block-io.js';

/** The rows of the histogram under "Process Name = name" (text up to the next blank line). */
function histOf(text: string, name: string): Map<string, number> {
  const start = text.indexOf(`\nProcess Name = ${name}\n`);
  assert.ok(start >= 0, `no histogram for ${name}:\n${text}`);
  const rows = new Map<string, number>();
  for (const line of text.slice(start + 1).split('\n').slice(1)) {
    if (line.trim() === '') break;
    const m = /^\s+(\d+ -> \d+)\s+: (\d+)\s+\|/.exec(line);
    if (m) rows.set(m[1]!, Number(m[2]));
    else assert.match(line, /^ {5}Kbytes {14}: count {4}distribution$/);
  }
  return rows;
}

kernelTest('bitesize -c dd counts dd\'s 64 KiB writes in the 64 -> 127 Kbytes row', async () => {
  const out = await traceWrites('bitesize', ['-c', 'dd', '-T'], { ready: /^Tracing block device I\/O\.\.\. Hit Ctrl-C to end\.$/m });
  assert.match(out, /^\d\d:\d\d:\d\d$/m);
  const rows = histOf(out, 'dd');
  assert.ok((rows.get('64 -> 127') ?? 0) >= 32, out);
  // -c dd: nobody else's histogram.
  assert.deepEqual([...out.matchAll(/^Process Name = (.*)$/gm)].map((m) => m[1]), ['dd']);
});

kernelTest('bitesize -d vda shows every process, dd included', async () => {
  const out = await traceWrites('bitesize', ['-d', 'vda']);
  assert.ok((histOf(out, 'dd').get('64 -> 127') ?? 0) >= 32, out);
});

kernelTest('bitesize -T 1 2 prints two intervals and exits by itself', async () => {
  const r = await startTool('bitesize', ['-T', '1', '2']).exited();
  assert.equal(r.code, 0, r.stderr);
  assert.equal([...r.stdout.matchAll(/^\d\d:\d\d:\d\d$/gm)].length, 2, r.stdout);
});

kernelTest('bitesize --json -c dd prints kbytes buckets per comm', async () => {
  type Rec = { time: string; histograms: Array<{ comm: string; unit: string; buckets: Array<{ low: number; high: number; count: number }> }> };
  const count64k = (out: string) =>
    out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Rec)
      .flatMap((rec) => rec.histograms).filter((h) => h.comm === 'dd' && h.unit === 'kbytes')
      .reduce((n, h) => n + (h.buckets.find((b) => b.low === 64 && b.high === 127)?.count ?? 0), 0);
  const out = await writeUntil('bitesize', ['--json', '-c', 'dd', '1'], (o) => count64k(o) >= 32, 10000);
  assert.ok(count64k(out) >= 32, out);
});
