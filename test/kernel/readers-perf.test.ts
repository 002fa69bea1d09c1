// PerfReader against a real perf event array fed by an XDP program run with BPF_PROG_TEST_RUN.
import assert from 'node:assert/strict';
import { BpfMap } from '../../src/kernel/map.js';
import { onlineCpus } from '../../src/kernel/cpus.js';
import { PerfReader } from '../../src/kernel/readers/perf.js';
import { MapType } from '../../src/sys/constants.js';
import { native } from '../../src/sys/native.js';
import { SequenceProducer } from '../../bench/producers.js';
import { kernelTest } from '../helpers/kernel.js';
import { seqOf, until } from '../helpers/records.js';

const BURST = 100_000;
const SYS_sched_setaffinity = 203;
const SYS_sched_getaffinity = 204;

function perfMap(): BpfMap {
  const entries = Math.max(...onlineCpus()) + 1;
  return BpfMap.create({ name: 'test_perf', type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: entries });
}



/** Runs body with the calling (main JS) thread pinned to one CPU, so every test run lands in that CPU's ring. */
function onCpu<T>(cpu: number, body: () => T): T {
  const saved = new Uint8Array(128);
  const got = native.syscall(SYS_sched_getaffinity, 0, saved.byteLength, saved);
  assert.ok(got > 0, `sched_getaffinity failed: ${got}`);
  const mask = new Uint8Array(128);
  mask[cpu >> 3] = 1 << (cpu & 7);
  assert.equal(native.syscall(SYS_sched_setaffinity, 0, mask.byteLength, mask), 0);
  try {
    return body();
  } finally {
    native.syscall(SYS_sched_setaffinity, 0, saved.byteLength, saved);
  }
}

/** Per-CPU order check: every CPU's sequence numbers strictly increase; together they are exactly 0..n-1. */
class OrderCheck {
  last = new Map<number, number>();
  seen = new Uint8Array(BURST + 16);
  count = 0;
  outOfOrder = 0;
  add(seq: number, cpu: number): void {
    if ((this.last.get(cpu) ?? -1) >= seq) this.outOfOrder++;
    this.last.set(cpu, seq);
    this.seen[seq] = 1;
    this.count++;
  }
  allSeen(n: number): boolean {
    for (let i = 0; i < n; i++) if (!this.seen[i]) return false;
    return true;
  }
}

kernelTest('perf buffer: callback form delivers a 100,000-sample burst in order per CPU', async () => {
  using map = perfMap();
  using producer = new SequenceProducer('perf', map);
  const check = new OrderCheck();
  // 1024 pages (4 MiB) per CPU hold the whole burst (24 bytes per sample) even if it all lands on one CPU.
  using reader = new PerfReader(map, { pageCount: 1024, onRecord: (data, cpu) => {
    assert.equal(data.byteLength, 12, '8 bytes of payload padded to 12 by the kernel');
    check.add(seqOf(data), cpu);
  } });
  await new Promise((r) => setTimeout(r, 20));
  setTimeout(() => producer.emit(BURST), 5);
  await until(() => check.count >= BURST, 10_000, () => `got ${check.count} of ${BURST}`);
  assert.equal(producer.emitted, BURST);
  assert.equal(producer.dropped, 0);
  assert.equal(reader.lost, 0);
  assert.equal(check.count, BURST);
  assert.equal(check.outOfOrder, 0);
  assert.ok(check.allSeen(BURST));
});

kernelTest('perf buffer: async iterator form delivers 100,000 samples in order through small wrapping rings', async () => {
  using map = perfMap();
  using producer = new SequenceProducer('perf', map);
  // 8 pages: 32 KiB is not a multiple of the 24-byte sample, so samples straddle the ring end as it wraps.
  using reader = new PerfReader(map, { pageCount: 8 });
  const check = new OrderCheck();
  const chunk = 1000;
  setTimeout(() => producer.emit(chunk), 20);
  let emitted = chunk;
  for await (const { cpu, data } of reader) {
    check.add(seqOf(data), cpu);
    if (check.count === emitted && emitted < BURST) {
      producer.emit(chunk);
      emitted += chunk;
    }
    if (check.count === BURST) break;
  }
  assert.equal(producer.dropped, 0);
  assert.equal(reader.lost, 0);
  assert.equal(check.outOfOrder, 0);
  assert.ok(check.allSeen(BURST));
});

kernelTest('perf buffer: a tiny ring reports lost samples, and delivered + lost = emitted', async () => {
  using map = perfMap();
  using producer = new SequenceProducer('perf', map);
  const cpu = onlineCpus()[0]!;
  const check = new OrderCheck();
  let lostEvents = 0;
  using reader = new PerfReader(map, { pageCount: 1, onRecord: (data, c) => check.add(seqOf(data), c), onLost: (n) => {
    assert.ok(n > 0);
    lostEvents++;
  } });
  onCpu(cpu, () => producer.emit(BURST));
  reader.readAvailable();
  // The kernel writes its LOST record only when the next sample finds room: send one more on the same CPU.
  onCpu(cpu, () => producer.emit(1));
  await until(() => check.count + reader.lost === BURST + 1, 5_000, () => `delivered ${check.count} + lost ${reader.lost}`);
  assert.ok(reader.lost > 0, 'a 4 KiB ring cannot hold 100,000 samples');
  assert.ok(lostEvents >= 1);
  assert.equal(producer.emitted, BURST + 1);
  assert.equal(check.count + reader.lost, producer.emitted);
  assert.equal(reader.lost, producer.dropped, 'the kernel counts the same losses the program saw');
  assert.equal(reader.lostPerCpu().get(cpu), reader.lost);
  assert.equal(check.outOfOrder, 0);
});

kernelTest('perf buffer: closing twice is safe, views read empty after close, the map entries are removed', () => {
  using map = perfMap();
  using producer = new SequenceProducer('perf', map);
  const reader = new PerfReader(map, { pageCount: 2 });
  producer.emit(1);
  let kept: Uint8Array | undefined;
  assert.equal(reader.readAvailable((data) => (kept = data)), 1);
  assert.equal(seqOf(kept!), 0);
  reader.close();
  reader.close();
  assert.equal(kept!.byteLength, 0);
  // With no perf event left in the map, output fails and the program counts a drop.
  producer.emit(1);
  assert.equal(producer.dropped, 1);
});

kernelTest('perf buffer: rejects a bad page count and maps of the wrong type', () => {
  using map = perfMap();
  assert.throws(() => new PerfReader(map, { pageCount: 3 }), /power of two/);
  using array = BpfMap.create({ name: 'not_perf', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
  assert.throws(() => new PerfReader(array), /not PERF_EVENT_ARRAY/);
});
