// The stored golden files are still what bpftrace 0.17 prints: re-runs bpftrace on every fixture script
// (skipped without bpftrace or root).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { BPFTRACE, bpftraceAvailable, paths } from '../fixtures/trace-output/golden.js';
import { scenarios } from '../fixtures/trace-output/scenarios.js';

const run = promisify(execFile);

test('bpftrace 0.17 still prints the stored golden output', { skip: !bpftraceAvailable() && 'needs bpftrace and root' }, async () => {
  const { stdout: version } = await run(BPFTRACE, ['--version']);
  assert.match(version, /v0\.17\./, 'golden files were made with bpftrace 0.17');
  const jobs = scenarios.flatMap((s) => (['text', 'json'] as const).map((format) => ({ s, format })));
  const mismatches: string[] = [];
  // A few at a time: each run takes ~0.3 s, mostly waiting.
  for (let i = 0; i < jobs.length; i += 6) {
    await Promise.all(jobs.slice(i, i + 6).map(async ({ s, format }) => {
      const p = paths(s.name);
      const args = format === 'json' ? ['-f', 'json', p.script] : [p.script];
      const { stdout } = await run(BPFTRACE, args, { timeout: 20000 });
      if (stdout !== readFileSync(format === 'json' ? p.json : p.text, 'utf8')) mismatches.push(`${s.name} (${format})`);
    }));
  }
  assert.deepEqual(mismatches, []);
});
