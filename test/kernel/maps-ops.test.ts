// Map operations beyond get/put: batches, typed errors, freeze, pinning, mmap of BPF_F_MMAPABLE arrays.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { u32, u64 } from '../../src/kernel/codec.js';
import { BpfMap } from '../../src/kernel/map.js';
import { arrayMap, hashMap, IndexOutOfRangeError, KeyExistsError, percpuHashMap } from '../../src/kernel/maps/index.js';
import { unpin } from '../../src/kernel/pin.js';
import { ensureBpffs } from '../../src/kernel/mounts.js';
import { UpdateFlags } from '../../src/sys/constants.js';
import { KeyNotFoundError, MapFullError, PermissionError } from '../../src/sys/errors.js';
import { kernelTest } from '../helpers/kernel.js';
import { le32, le64, loadFilter, readerProgram, run, writerProgram } from './maps-common.js';

kernelTest('batch: lookupBatch walks a hash in partial batches; ENOENT still delivers the last batch', () => {
  using map = hashMap({ name: 't_batch', key: u32, value: u64, maxEntries: 256 });
  const n = 100;
  assert.equal(map.updateBatch(Array.from({ length: n }, (_, i): [number, bigint] => [i, BigInt(i * 3)])), n);
  // A program reads one entry the batch wrote.
  using reader = loadFilter('rd', readerProgram('m', le32(42)), { m: map });
  assert.equal(run(reader), 126);

  const seen = new Map<number, bigint>();
  let calls = 0;
  let batch = map.lookupBatch(undefined, 16);
  for (;;) {
    calls++;
    for (const [k, v] of batch.entries) seen.set(k, v);
    if (!batch.next) break;
    batch = map.lookupBatch(batch.next, 16);
  }
  assert.equal(seen.size, n);
  for (const [k, v] of seen) assert.equal(v, BigInt(k * 3));
  assert.ok(calls >= Math.ceil(n / 16) && calls <= n, `${calls} batch calls`);

  assert.deepEqual(new Map(map.entriesBatched(7)), seen, 'iterate-all helper sees every entry');
  // Batches of one: buckets holding two keys answer ENOSPC, and the batch grows instead of failing.
  assert.deepEqual(new Map(map.entriesBatched(1)), seen);

  assert.equal(map.lookupAndDelete(50), 150n);
  assert.equal(map.lookupAndDelete(50), undefined);
  map.update(50, 150n);
  assert.equal(map.deleteBatch([1, 2, 3, 1000, 4]), 4, 'absent keys are skipped');
  assert.equal(map.lookup(2), undefined);
  assert.equal([...map.keys()].length, n - 4);

  const drained = new Map(map.drainBatched(32));
  assert.equal(drained.size, n - 4);
  assert.equal([...map.keys()].length, 0, 'lookupAndDeleteBatch emptied the map');
  assert.deepEqual(map.lookupBatch().entries, []);
});

kernelTest('batch: per-CPU values come back as one array per CPU', () => {
  using map = percpuHashMap({ name: 't_batch_pcpu', key: u32, value: u64, maxEntries: 64 });
  for (let k = 0; k < 10; k++) map.updatePerCpu(k, Array.from({ length: map.cpuSlots }, (_, c) => BigInt(k * 100 + c)));
  const all = new Map(map.entriesPerCpuBatched(4));
  assert.equal(all.size, 10);
  assert.deepEqual(all.get(7), Array.from({ length: map.cpuSlots }, (_, c) => BigInt(700 + c)));
  const first = map.lookupAndDeleteBatchPerCpu(undefined, 64);
  assert.equal(first.entries.length, 10);
  assert.equal(first.next, undefined);
  assert.equal(map.lookupPerCpu(7), undefined);
});

kernelTest('typed errors: full hash, array index out of range, NOEXIST on an existing key, EXIST on a missing one', () => {
  using hash = hashMap({ name: 't_full', key: u32, value: u32, maxEntries: 4 });
  for (let i = 0; i < 4; i++) hash.update(i, i);
  assert.throws(() => hash.update(99, 1), MapFullError);
  hash.update(2, 22); // replacing an existing key still works when full
  assert.throws(() => hash.update(2, 5, UpdateFlags.NOEXIST), KeyExistsError);
  assert.throws(() => hash.update(77, 5, UpdateFlags.EXIST), KeyNotFoundError);
  assert.throws(() => hash.updateBatch([[1, 1], [50, 50]]), MapFullError);

  using array = arrayMap({ name: 't_range', value: u32, maxEntries: 4 });
  assert.throws(() => array.update(4, 1), IndexOutOfRangeError);
  assert.throws(() => array.update(1, 1, UpdateFlags.NOEXIST), KeyExistsError, 'array slots always exist');
  assert.equal(array.lookup(4), undefined);
});

kernelTest('freeze: TS updates fail with EPERM, programs still read', () => {
  using map = arrayMap({ name: 't_frozen', value: u64, maxEntries: 2 });
  map.update(0, 31n);
  map.freeze();
  assert.throws(() => map.update(0, 1n), (e: unknown) => e instanceof PermissionError && e.errno === 1);
  assert.equal(map.lookup(0), 31n);
  using reader = loadFilter('rd', readerProgram('m', le32(0)), { m: map });
  assert.equal(run(reader), 31);
});

kernelTest('pin and reopen with BpfMap.fromPin', () => {
  const path = `${ensureBpffs()}/bpfkit-test-${process.pid}/maps-pin`;
  try {
    using map = hashMap({ name: 't_pinned', key: u32, value: u64, maxEntries: 8 });
    map.update(5, 555n);
    map.pin(path);
    using again = BpfMap.fromPin(path, { key: u32, value: u64 });
    assert.equal(again.info().id, map.info().id);
    assert.equal(again.lookup(5), 555n);
    again.update(6, 666n);
    assert.equal(map.lookup(6), 666n);
    unpin(path);
    assert.equal(existsSync(path), false);
    assert.equal(again.lookup(5), 555n, 'open fds outlive the pin');
  } finally {
    unpin(path);
    rmSync(path.slice(0, path.lastIndexOf('/')), { recursive: true, force: true });
  }
});

kernelTest('mmap: an mmapable array is shared with programs; closing the map empties stale views', () => {
  const map = arrayMap({ name: 't_mmap', value: u64, maxEntries: 16, mmapable: true });
  try {
    const view = map.mmap();
    assert.equal(view.length, 16);
    view.set(3, 0xabcn);
    assert.equal(map.lookup(3), 0xabcn, 'syscall sees the write through the mapping');
    using reader = loadFilter('rd', readerProgram('m', le32(3)), { m: map });
    assert.equal(run(reader), 0xabc, 'program sees it');
    using writer = loadFilter('wr', writerProgram('m', le32(9), le64(0x55n)), { m: map });
    assert.equal(run(writer), 0);
    assert.equal(view.get(9), 0x55n, 'the mapping sees the program write, no syscall');
    map.update(10, 7n);
    assert.equal(view.get(10), 7n);

    map.close();
    assert.equal(view.length, 0);
    assert.equal(view.bytes.length, 0);
    assert.throws(() => view.get(3), RangeError);
  } finally {
    map.close();
  }
  // A frozen map maps read-only only; a view closed by hand is empty too, and closing twice is fine.
  using frozen = arrayMap({ name: 't_mmap_ro', value: u32, maxEntries: 4, mmapable: true });
  frozen.update(1, 11);
  frozen.freeze();
  assert.throws(() => frozen.mmap(), PermissionError);
  const ro = frozen.mmap({ readOnly: true });
  assert.equal(ro.get(1), 11);
  ro.close();
  ro.close();
  assert.equal(ro.length, 0);

  using plain = arrayMap({ name: 't_nommap', value: u64, maxEntries: 2 });
  assert.throws(() => plain.mmap(), TypeError);
});
