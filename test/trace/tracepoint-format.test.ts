import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseTracepointFormat, TracepointFormatError } from '../../src/trace/tracepoint-format.js';
import { ensureTracefs } from '../../src/kernel/mounts.js';
import { kernelTest } from '../helpers/kernel.js';

const blockRqIssue = `name: block_rq_issue
ID: 2104
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:dev_t dev;\toffset:8;\tsize:4;\tsigned:0;
\tfield:sector_t sector;\toffset:16;\tsize:8;\tsigned:0;
\tfield:char rwbs[10];\toffset:34;\tsize:10;\tsigned:0;
\tfield:__data_loc char[] cmd;\toffset:60;\tsize:4;\tsigned:0;
\tfield:const char * filename;\toffset:64;\tsize:8;\tsigned:0;

print fmt: "%d", REC->dev
`;

test('tracepoint format: fields, arrays, pointers, data_loc, common fields', () => {
  const f = parseTracepointFormat(blockRqIssue);
  assert.equal(f.name, 'block_rq_issue');
  assert.equal(f.id, 2104);
  const by = Object.fromEntries(f.fields.map((x) => [x.name, x]));
  assert.equal(by.common_pid!.common, true);
  assert.equal(by.dev!.common, false);
  assert.deepEqual([by.sector!.offset, by.sector!.size, by.sector!.type], [16, 8, 'sector_t']);
  assert.deepEqual([by.rwbs!.type, by.rwbs!.arrayLength, by.rwbs!.offset], ['char', 10, 34]);
  assert.equal(by.cmd!.dataLoc, true);
  assert.equal(by.filename!.pointer, true);
  assert.equal(by.filename!.type, 'const char *');
});

test('tracepoint format: garbage is a typed error', () => {
  assert.throws(() => parseTracepointFormat('hello'), TracepointFormatError);
});

kernelTest('tracepoint format: every syscalls and sched format on this kernel parses', () => {
  const root = ensureTracefs();
  const f = parseTracepointFormat(readFileSync(`${root}/events/syscalls/sys_enter_openat/format`, 'utf8'));
  const filename = f.fields.find((x) => x.name === 'filename');
  assert.ok(filename?.pointer);
  assert.equal(filename.offset, 24);
  const w = parseTracepointFormat(readFileSync(`${root}/events/sched/sched_wakeup/format`, 'utf8'));
  assert.deepEqual(w.fields.filter((x) => !x.common).map((x) => x.name), ['comm', 'pid', 'prio', 'target_cpu']);
});
