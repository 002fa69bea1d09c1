// RingBufferReader against a real ring buffer map fed by an XDP program run with BPF_PROG_TEST_RUN.
import assert from 'node:assert/strict';
import { BpfMap } from '../../src/kernel/map.js';
import { RingBufferReader } from '../../src/kernel/readers/ringbuf.js';
import { MapType } from '../../src/sys/constants.js';
import { SequenceProducer } from '../../bench/producers.js';
import { kernelTest } from '../helpers/kernel.js';
import { seqOf, until } from '../helpers/records.js';

const BURST = 100_000;

function ringMap(size: number): BpfMap {
  return BpfMap.create({ name: 'test_rb', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: size });
}



kernelTest('ring buffer: callback form delivers a 100,000-record burst in order', async () => {
  using map = ringMap(1 << 22);
  using producer = new SequenceProducer('ringbuf', map);
  let next = 0;
  let outOfOrder = 0;
  using reader = new RingBufferReader(map, {
    onRecord: (rec) => {
      assert.equal(rec.byteLength, 8);
      if (seqOf(rec) !== next) outOfOrder++;
      next = seqOf(rec) + 1;
    },
  });
  // Let the start-up look find nothing, so the records must arrive through an epoll wake-up.
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(next, 0);
  setTimeout(() => producer.emit(BURST), 5);
  await until(() => next >= BURST, 10_000, () => `got ${next} of ${BURST}`);
  assert.equal(producer.emitted, BURST);
  assert.equal(producer.dropped, 0);
  assert.equal(outOfOrder, 0);
  assert.equal(next, BURST);
  assert.equal(reader.pendingBytes, 0);
});

kernelTest('ring buffer: async iterator form delivers 100,000 records in order through a small wrapping ring', async () => {
  // 64 KiB holds 4096 16-byte records: 50 chunks of 2000 wrap the ring about 24 times.
  using map = ringMap(1 << 16);
  using producer = new SequenceProducer('ringbuf', map);
  using reader = new RingBufferReader(map);
  const chunk = 2000;
  // The first chunk arrives while the iterator already waits: it must be woken by the poller.
  setTimeout(() => producer.emit(chunk), 20);
  let emitted = chunk;
  let expected = 0;
  for await (const rec of reader) {
    assert.equal(seqOf(rec), expected, 'records arrive in sequence');
    expected++;
    if (expected === emitted && emitted < BURST) {
      producer.emit(chunk);
      emitted += chunk;
    }
    if (expected === BURST) break;
  }
  assert.equal(expected, BURST);
  assert.equal(producer.dropped, 0);
  // Breaking out ends the iteration but the reader stays usable.
  producer.emit(3);
  const late: number[] = [];
  assert.equal(reader.readAvailable((rec) => late.push(seqOf(rec))), 3);
  assert.deepEqual(late, [BURST, BURST + 1, BURST + 2]);
});

kernelTest('ring buffer: the iterator pauses at its high-water mark and resumes without loss', async () => {
  using map = ringMap(1 << 16);
  using producer = new SequenceProducer('ringbuf', map);
  using reader = new RingBufferReader(map, { highWaterMark: 100 });
  producer.emit(1000);
  const got: number[] = [];
  for await (const rec of reader) {
    got.push(seqOf(rec));
    if (got.length === 1000) break;
  }
  assert.deepEqual(got, Array.from({ length: 1000 }, (_, i) => i));
});

kernelTest('ring buffer: views read empty after close, copies survive, closing twice is safe', () => {
  using map = ringMap(1 << 16);
  using producer = new SequenceProducer('ringbuf', map);
  const viewReader = new RingBufferReader(map);
  producer.emit(2);
  let kept: Uint8Array | undefined;
  assert.equal(viewReader.readAvailable((rec) => (kept ??= rec)), 2);
  assert.equal(seqOf(kept!), 0);
  viewReader.close();
  viewReader.close();
  assert.equal(kept!.byteLength, 0, 'a view kept past close reads as empty');
  assert.equal(viewReader.closed, true);
  assert.throws(() => viewReader.readAvailable(), /closed/);

  using copyReader = new RingBufferReader(map, { copy: true });
  producer.emit(1);
  let copied: Uint8Array | undefined;
  assert.equal(copyReader.readAvailable((rec) => (copied = rec)), 1);
  copyReader.close();
  assert.equal(copied!.byteLength, 8);
  assert.equal(seqOf(copied!), 2);
});

kernelTest('ring buffer: a throwing callback consumes its record and leaves the rest for the next read', () => {
  using map = ringMap(1 << 16);
  using producer = new SequenceProducer('ringbuf', map);
  using reader = new RingBufferReader(map);
  producer.emit(5);
  const seen: number[] = [];
  assert.throws(() => reader.readAvailable((rec) => {
    seen.push(seqOf(rec));
    if (seqOf(rec) === 1) throw new Error('boom');
  }), /boom/);
  reader.readAvailable((rec) => seen.push(seqOf(rec)));
  assert.deepEqual(seen, [0, 1, 2, 3, 4]);
});

kernelTest('ring buffer: rejects maps that are not ring buffers', () => {
  using map = BpfMap.create({ name: 'not_rb', type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
  assert.throws(() => new RingBufferReader(map), /not RINGBUF/);
});
