// ext4slower cannot work on this kernel (no kprobes, no fentry, no ext4 read/write/open tracepoints): it must say
// why in one line and exit 1, and still answer -h.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';

kernelTest('ext4slower exits 1 with one line saying it needs kprobes or fentry', async () => {
  const r = await startTool('ext4slower', ['-m', '1']).exited();
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    'bpfkit ext4slower: ext4slower needs kprobes or fentry on ext4_file_read_iter, ext4_file_write_iter, ext4_file_open ' +
      'and ext4_sync_file, which this kernel does not allow (its ext4 tracepoints cover fsync only, not reads, writes or opens)\n',
  );
});

test('ext4slower -h lists its flags', async () => {
  const r = await startTool('ext4slower', ['-h']).exited();
  assert.equal(r.code, 0);
  for (const flag of ['--csv', '--duration', '--min', '--pid']) assert.ok(r.stdout.includes(flag), r.stdout);
});
