// Queue, stack, bloom filter, map-in-map, prog_array, perf_event_array, ringbuf and stack_trace maps, each
// exercised against real programs in this kernel.
import assert from 'node:assert/strict';
import { u32, u64 } from '../../src/kernel/codec.js';
import { possibleCpuCount, onlineCpus } from '../../src/kernel/cpus.js';
import { rawTracepoint } from '../../src/kernel/attach/raw-tracepoint.js';
import {
  arrayMap, arrayOfMaps, bloomFilter, hashOfMaps, perfEventArray, progArray, queueMap, ringBuffer, stackMap,
  stackTraceMap, type MapOfMaps,
} from '../../src/kernel/maps/index.js';
import { pageSize } from '../../src/kernel/readers/page.js';
import { MapType, PERF, ProgType, SYS } from '../../src/sys/constants.js';
import { Errno } from '../../src/sys/errno.js';
import { MapFullError } from '../../src/sys/errors.js';
import { native } from '../../src/sys/native.js';
import { perfEventAttr, perfEventOpen } from '../../src/sys/perf.js';
import { kernelTest } from '../helpers/kernel.js';
import {
  FP, Helper, le32, loadFilter, MISSING, program, R0, R1, R2, R3, R4, R6, run, stackBytes, stackPtr,
} from './maps-common.js';
import { R5, R7 } from '../../src/isa/builder.js';

/** pop (or peek) one u32 from a queue/stack map: returns it, or the helper's negative error. */
function popProgram(helper: Helper.map_pop_elem | Helper.map_peek_elem) {
  const p = program().st('dw', FP, -8, 0).loadMap(R1, 'q');
  stackPtr(p, R2, -8);
  return p.call(helper).jne(R0, 0, 'out').ldx('w', R0, FP, -8).label('out').exit();
}

function pushProgram(value: number, helper = Helper.map_push_elem) {
  const p = program().st('dw', FP, -8, value).loadMap(R1, 'q');
  stackPtr(p, R2, -8);
  return p.mov(R3, 0).call(helper).exit();
}

for (const kind of ['queue', 'stack'] as const) {
  kernelTest(`${kind}: TS pushes, program pops in ${kind === 'queue' ? 'FIFO' : 'LIFO'} order; program pushes, TS pops`, () => {
    using q = (kind === 'queue' ? queueMap : stackMap)({ name: `t_${kind}`, value: u32, maxEntries: 4 });
    assert.equal(q.type, kind === 'queue' ? MapType.QUEUE : MapType.STACK);
    for (const v of [1, 2, 3]) q.push(v);
    assert.equal(q.peek(), kind === 'queue' ? 1 : 3);
    using pop = loadFilter('pop', popProgram(Helper.map_pop_elem), { q });
    using peek = loadFilter('peek', popProgram(Helper.map_peek_elem), { q });
    const first = kind === 'queue' ? 1 : 3;
    assert.equal(run(peek), first);
    assert.equal(run(pop), first);
    assert.equal(run(pop), 2);
    assert.equal(run(pop), kind === 'queue' ? 3 : 1);
    assert.equal(run(pop), -Errno.ENOENT, 'empty');

    using push = loadFilter('push', pushProgram(77), { q });
    assert.equal(run(push), 0);
    assert.equal(run(push), 0);
    q.push(5);
    assert.deepEqual([...q.drain()], kind === 'queue' ? [77, 77, 5] : [5, 77, 77]);
    assert.equal(q.pop(), undefined);

    for (const v of [1, 2, 3, 4]) q.push(v);
    assert.throws(() => q.push(5), MapFullError);
    q.push(5, { overwrite: true });
    // Overwriting drops the oldest element, for stacks too.
    assert.deepEqual([...q.drain()], kind === 'queue' ? [2, 3, 4, 5] : [5, 4, 3, 2]);
  });
}

kernelTest('bloom_filter: TS adds, program peeks; program pushes, TS checks; no false negatives', () => {
  using bloom = bloomFilter({ name: 't_bloom', value: u32, maxEntries: 1000, hashes: 3 });
  bloom.add(42);
  using hit = loadFilter('hit', peekValue(42), { q: bloom });
  using miss = loadFilter('miss', peekValue(43), { q: bloom });
  assert.equal(run(hit), 0, 'program finds 42');
  assert.equal(run(miss), -Errno.ENOENT, 'program does not find 43');

  using push = loadFilter('push', pushProgram(77), { q: bloom });
  assert.equal(run(push), 0);
  assert.equal(bloom.has(77), true);
  assert.equal(bloom.has(78), false);

  for (let v = 1000; v < 1900; v++) bloom.add(v);
  for (let v = 1000; v < 1900; v++) assert.equal(bloom.has(v), true, `false negative for ${v}`);
});

/** bpf_map_peek_elem(bloom, &value): 0 when maybe present, -ENOENT when absent. */
function peekValue(value: number) {
  const p = program().st('w', FP, -8, value).loadMap(R1, 'q');
  stackPtr(p, R2, -8);
  return p.call(Helper.map_peek_elem).exit();
}

/**
 * outer[outerKey] → inner map; returns inner[0] and writes inner[1] = inner[0] + 1 (or -1 when a lookup misses).
 */
function mapInMapProgram(outerKey: Uint8Array) {
  const p = program();
  stackBytes(p, -64, outerKey);
  p.loadMap(R1, 'outer');
  stackPtr(p, R2, -64);
  p.call(Helper.map_lookup_elem).jeq(R0, 0, 'miss').mov(R7, R0)
    .st('w', FP, -72, 0).mov(R1, R7);
  stackPtr(p, R2, -72);
  p.call(Helper.map_lookup_elem).jeq(R0, 0, 'miss').ldx('dw', R6, R0, 0)
    .st('w', FP, -76, 1).mov(R1, R6).add(R1, 1).stx('dw', FP, -88, R1).mov(R1, R7);
  stackPtr(p, R2, -76);
  stackPtr(p, R3, -88);
  return p.mov(R4, 0).call(Helper.map_update_elem).mov(R0, R6).exit()
    .label('miss').mov(R0, MISSING).exit();
}

function checkMapInMap(outer: MapOfMaps<number>, key: number): void {
  using inner = arrayMap({ name: 't_inner', value: u64, maxEntries: 4 });
  inner.update(0, 500n);
  using prog = loadFilter('mim', mapInMapProgram(le32(key)), { outer });
  assert.equal(run(prog), MISSING, 'no inner map yet');
  outer.setInner(key, inner);
  assert.equal(outer.innerId(key), inner.info().id, 'reads back the inner map id');
  assert.equal(run(prog), 500, 'program read the value TS wrote into the inner map');
  assert.equal(inner.lookup(1), 501n, 'TS reads what the program wrote through the outer map');
  using reopened = outer.openInner(key, { key: u32, value: u64 })!;
  assert.equal(reopened.lookup(1), 501n);
  assert.equal(outer.delete(key), true);
  assert.equal(run(prog), MISSING);
}

kernelTest('array_of_maps: set an inner map by fd, read its id, program looks through it both ways', () => {
  using template = arrayMap({ name: 't_tpl', value: u64, maxEntries: 4 });
  using outer = arrayOfMaps({ name: 't_aom', inner: template, maxEntries: 2 });
  checkMapInMap(outer, 1);
});

kernelTest('hash_of_maps: inner maps under hash keys, shaped by an inner MapSpec', () => {
  using outer = hashOfMaps({
    name: 't_hom', key: u32, maxEntries: 4,
    inner: { name: 'tpl', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 },
  });
  checkMapInMap(outer, 0xbeef);
});

kernelTest('prog_array: a tail call reaches the program set by TS; clearing the slot falls through', () => {
  using jt = progArray({ name: 't_jt', maxEntries: 4 });
  using target = loadFilter('tail_target', program().mov(R0, 7).exit());
  const caller = program().loadMap(R2, 'jt').mov(R3, 2).call(Helper.tail_call).mov(R0, 1).exit();
  using prog = loadFilter('tail_caller', caller, { jt });
  assert.equal(run(prog), 1, 'empty slot: falls through');
  jt.set(2, target);
  assert.equal(jt.programId(2), target.info().id);
  assert.equal(run(prog), 7, 'tail-called program returned 7');
  assert.equal(jt.clear(2), true);
  assert.equal(jt.programId(2), undefined);
  assert.equal(run(prog), 1);
});

kernelTest('perf_event_array: TS sets per-CPU BPF_OUTPUT fds, a program writes a sample into them', () => {
  using events = perfEventArray({ name: 't_perf' });
  assert.equal(events.maxEntries, possibleCpuCount());
  const page = pageSize();
  const opened: Array<{ fd: number; ring: ArrayBuffer }> = [];
  try {
    for (const cpu of onlineCpus()) {
      const attr = perfEventAttr({ type: PERF.TYPE_SOFTWARE, config: PERF.COUNT_SW_BPF_OUTPUT, sampleType: PERF.SAMPLE_RAW, sample: 1, wakeupEvents: 1 });
      const fd = perfEventOpen(attr, -1, cpu, `bpf output on cpu ${cpu}`);
      const ring = native.mmap(fd, page * 2, 3, 1, 0);
      if (typeof ring === 'number') {
        native.syscall(SYS.close, fd);
        throw new Error(`mmap perf ring: errno ${-ring}`);
      }
      opened.push({ fd, ring });
      events.set(cpu, fd);
    }
    // bpf_perf_event_output(skb, events, BPF_F_CURRENT_CPU, &value, 8)
    const p = program().mov(R6, R1).lddw(R0, 0x1122334455667788n).stx('dw', FP, -8, R0)
      .mov(R1, R6).loadMap(R2, 'events').mov32(R3, 0xffffffff);
    stackPtr(p, R4, -8);
    p.mov(R5, 8).call(Helper.perf_event_output).exit();
    using prog = loadFilter('perf_out', p, { events });
    assert.equal(run(prog), 0);
    const dataHead = (ring: ArrayBuffer) => new DataView(ring).getBigUint64(1024, true);
    const written = opened.reduce((sum, o) => sum + dataHead(o.ring), 0n);
    assert.ok(written > 0n, 'a sample landed in one CPU ring');
    // The sample is a PERF_RECORD_SAMPLE carrying our 8 bytes.
    const hit = opened.find((o) => dataHead(o.ring) > 0n)!;
    const data = new DataView(hit.ring, page);
    assert.equal(data.getUint32(0, true), PERF.RECORD_SAMPLE);
    // perf pads raw data so that the u32 size plus the data end on 8 bytes: 8 bytes of data → size 12.
    assert.equal(data.getUint32(8, true), 12, 'raw size');
    assert.equal(data.getBigUint64(12, true), 0x1122334455667788n);

    for (const cpu of onlineCpus()) events.clear(cpu);
    assert.equal(run(prog), -Errno.ENOENT, 'no fd for this CPU after clear');
  } finally {
    for (const o of opened) {
      native.munmap(o.ring);
      native.syscall(SYS.close, o.fd);
    }
  }
});

kernelTest('ringbuf: created with a checked size, a program outputs a record that TS finds in the mapped data', () => {
  const page = pageSize();
  assert.throws(() => ringBuffer({ name: 'bad', size: page * 3 }), RangeError);
  using rb = ringBuffer({ name: 't_rb', size: page * 4 });
  assert.equal(rb.type, MapType.RINGBUF);
  const p = program().lddw(R0, 0xcafef00dn).stx('dw', FP, -8, R0).loadMap(R1, 'rb');
  stackPtr(p, R2, -8);
  p.mov(R3, 8).mov(R4, 0).call(Helper.ringbuf_output).exit();
  using prog = loadFilter('rb_out', p, { rb });
  assert.equal(run(prog), 0);
  // Producer page (read-only) then the data pages: producer_pos, then the record header {len, pg_off} + data.
  const m = native.mmap(rb.fd.value, page + page * 4, 1, 1, page);
  assert.ok(typeof m !== 'number', `mmap ringbuf producer: ${m}`);
  try {
    const v = new DataView(m as ArrayBuffer);
    assert.equal(v.getBigUint64(0, true), 16n, 'producer advanced by header + 8 bytes');
    assert.equal(v.getUint32(page, true), 8, 'record length, committed');
    assert.equal(v.getBigUint64(page + 8, true), 0xcafef00dn);
  } finally {
    native.munmap(m as ArrayBuffer);
  }
});

kernelTest('stack_trace: a raw_tp program stores a kernel stack; TS reads its instruction pointers', () => {
  using stacks = stackTraceMap({ name: 't_stacks', maxEntries: 64 });
  using ids = arrayMap({ name: 't_ids', value: u64, maxEntries: 1 });
  // sys_enter, this process only: ids[0] = get_stackid(ctx, stacks, 0) + 1 (0 stays "not seen").
  const p = program().mov(R6, R1).call(Helper.get_current_pid_tgid).rsh(R0, 32)
    .jne(R0, process.pid, 'out')
    .mov(R1, R6).loadMap(R2, 'stacks').mov(R3, 0).call(Helper.get_stackid)
    .jslt(R0, 0, 'out').add(R0, 1).stx('dw', FP, -16, R0).st('w', FP, -4, 0).loadMap(R1, 'ids');
  stackPtr(p, R2, -4);
  stackPtr(p, R3, -16);
  p.mov(R4, 0).call(Helper.map_update_elem).label('out').mov(R0, 0).exit();
  using prog = loadFilter('stackid', p, { stacks, ids }, ProgType.RAW_TRACEPOINT);
  {
    using _link = rawTracepoint(prog, 'sys_enter');
    for (let i = 0; i < 3; i++) native.syscall(SYS.getpid);
  }
  const seen = ids.lookup(0)!;
  assert.ok(seen > 0n, 'the program ran in this process and got a stack id');
  const frames = stacks.lookup(Number(seen - 1n));
  assert.ok(frames && frames.length > 0, 'stack has frames');
  for (const ip of frames) assert.ok(ip >= 0xffff800000000000n, `kernel address ${ip.toString(16)}`);
  assert.equal(stacks.delete(Number(seen - 1n)), true);
  assert.equal(stacks.lookup(Number(seen - 1n)), undefined);
});
