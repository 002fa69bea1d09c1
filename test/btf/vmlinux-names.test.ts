// The vmlinux BTF name index agrees with bpftool on type ids, and rejects bad data. No root needed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { BtfFormatError, BtfKind, BtfNameIndex, vmlinuxNames, VMLINUX_BTF_PATH } from '../../src/btf/vmlinux-names.js';

const haveBtf = existsSync(VMLINUX_BTF_PATH);

test('finds the same ids as bpftool', { skip: !haveBtf && 'no kernel BTF' }, () => {
  const t0 = performance.now();
  const index = vmlinuxNames()!;
  const ms = performance.now() - t0;
  console.log(`# vmlinux BTF index: ${index.count} types in ${ms.toFixed(1)} ms`);
  const dump = execFileSync('bpftool', ['btf', 'dump', 'file', VMLINUX_BTF_PATH], { maxBuffer: 1 << 28 }).toString();
  const idOf = (kind: string, name: string) => {
    const m = new RegExp(`^\\[(\\d+)\\] ${kind} '${name}'`, 'm').exec(dump);
    return m ? Number(m[1]) : undefined;
  };
  const cases: Array<[BtfKind, string, string]> = [
    [BtfKind.TYPEDEF, 'TYPEDEF', 'btf_trace_sched_process_exec'], [BtfKind.TYPEDEF, 'TYPEDEF', 'btf_trace_sched_switch'],
    [BtfKind.FUNC, 'FUNC', 'bpf_iter_task'], [BtfKind.STRUCT, 'STRUCT', 'task_struct'], [BtfKind.INT, 'INT', 'int'],
  ];
  for (const [kind, word, name] of cases) {
    const expected = idOf(word, name);
    assert.ok(expected, `bpftool lists ${word} ${name}`);
    assert.equal(index.find(kind, name), expected, `${word} ${name}`);
    assert.equal(index.nameOf(expected!), name);
    assert.equal(index.kindOf(expected!), kind);
  }
  assert.equal(index.count, (dump.match(/^\[\d+\]/gm) ?? []).length);
  assert.equal(index.find(BtfKind.FUNC, 'task_struct'), undefined, 'kind must match too');
  assert.equal(index.find(BtfKind.TYPEDEF, 'no_such_type_xyz'), undefined);
  const task = index.find(BtfKind.STRUCT, 'task_struct')!;
  const size = Number(/^\[\d+\] STRUCT 'task_struct' size=(\d+)/m.exec(dump)![1]);
  assert.equal(index.sizeOf(task), size);
  const pid = index.memberOffset(task, 'pid')!;
  assert.equal(index.memberOffset(task, 'tgid'), pid + 4);
  assert.equal(index.memberOffset(task, 'no_such_member'), undefined);
  assert.throws(() => index.kindOf(0), RangeError);
});

test('rejects data that is not BTF', () => {
  assert.throws(() => new BtfNameIndex(new Uint8Array(64)), BtfFormatError);
  const truncated = new Uint8Array(24);
  const v = new DataView(truncated.buffer);
  v.setUint16(0, 0xeb9f, true); v.setUint32(4, 24, true); v.setUint32(12, 100, true);
  assert.throws(() => new BtfNameIndex(truncated), /past the end/);
});

test('indexes a hand-made blob', () => {
  const strings = new TextEncoder().encode('\0int\0s\0a\0');
  const types = new Uint32Array([
    1, 1 << 24, 4, (1 << 24) | 32, // [1] INT int
    5, (4 << 24) | 1, 8, 7, 1, 32,  // [2] STRUCT s { int a @ bit 32 }
  ]);
  const b = new Uint8Array(24 + types.byteLength + strings.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, 0xeb9f, true); v.setUint8(2, 1); v.setUint32(4, 24, true);
  v.setUint32(8, 0, true); v.setUint32(12, types.byteLength, true); v.setUint32(16, types.byteLength, true); v.setUint32(20, strings.length, true);
  b.set(new Uint8Array(types.buffer), 24);
  b.set(strings, 24 + types.byteLength);
  const index = new BtfNameIndex(b);
  assert.equal(index.count, 2);
  assert.equal(index.find(BtfKind.INT, 'int'), 1);
  assert.equal(index.find(BtfKind.STRUCT, 's'), 2);
  assert.equal(index.memberOffset(2, 'a'), 4);
  assert.equal(index.sizeOf(2), 8);
});
