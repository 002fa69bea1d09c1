// Ring buffer consumption: RingBufferReader (epoll wake-up on the event loop, callback per record) against libbpf's
// ring_buffer__poll in C. Both consume the same records from the same in-kernel producer (an XDP program run with
// BPF_PROG_TEST_RUN and `repeat`, writing one 8-byte sequence number per run), one side at a time: the ring is
// filled first, untimed, then only the consumer is timed. The ring holds a whole round, so nothing is ever lost.
import { spawnSync } from 'node:child_process';
import { BpfMap } from '../src/kernel/map.js';
import { RingBufferReader } from '../src/kernel/readers/ringbuf.js';
import { MapType } from '../src/sys/constants.js';
import { SequenceProducer } from './producers.js';
import { max, type Row } from './report.js';

const RECORDS = 1_000_000;
const RING_SIZE = 1 << 25; // 32 MiB > 1M records x 16 bytes
const NODE_ROUNDS = 3;
const C_ROUNDS = 3;
const ALTERNATIONS = 2;

function cRate(binary: string, map: BpfMap, producer: SequenceProducer): number {
  const r = spawnSync(binary, [String(RECORDS), String(C_ROUNDS)], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', map.fd.value, producer.program.fd.value],
  });
  if (r.status !== 0) throw new Error(`bench: C ring buffer baseline failed: ${r.stderr}`);
  const [rate, outOfOrder] = r.stdout.trim().split(/\s+/).map(Number) as [number, number];
  if (outOfOrder !== 0) throw new Error(`bench: C baseline saw ${outOfOrder} records out of order`);
  return rate;
}

async function nodeRate(reader: RingBufferReader, producer: SequenceProducer): Promise<number> {
  let best = 0;
  for (let round = 0; round < NODE_ROUNDS; round++) {
    producer.emit(RECORDS);
    let received = 0;
    let expected = -1;
    let outOfOrder = 0;
    let finished = 0n;
    const done = new Promise<void>((resolve) => {
      reader.onRecord((rec) => {
        const seq = (rec[0]! | (rec[1]! << 8) | (rec[2]! << 16) | (rec[3]! << 24)) >>> 0;
        if (expected >= 0 && seq !== ((expected + 1) >>> 0)) outOfOrder++;
        expected = seq;
        if (++received === RECORDS) {
          finished = process.hrtime.bigint();
          resolve();
        }
      });
    });
    const start = process.hrtime.bigint();
    await done;
    reader.offRecord();
    if (outOfOrder !== 0) throw new Error(`bench: bpfkit saw ${outOfOrder} records out of order`);
    best = Math.max(best, RECORDS / (Number(finished - start) / 1e9));
  }
  return best;
}

export async function benchRingBuffer(cBinary: string): Promise<Row> {
  using map = BpfMap.create({ name: 'bench_rb', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: RING_SIZE });
  using producer = new SequenceProducer('ringbuf', map);
  const node: number[] = [];
  const c: number[] = [];
  {
    using reader = new RingBufferReader(map);
    await nodeRate(reader, producer); // warm the JIT
  }
  for (let i = 0; i < ALTERNATIONS; i++) {
    {
      using reader = new RingBufferReader(map);
      node.push(await nodeRate(reader, producer));
    }
    c.push(cRate(cBinary, map, producer));
  }
  if (producer.dropped !== 0) throw new Error(`bench: the producer lost ${producer.dropped} records`);
  const ratio = max(node) / max(c);
  const mrps = (r: number) => `${(r / 1e6).toFixed(1)} M rec/s`;
  return { operation: 'ring buffer consume (8 B records)', bpfkit: mrps(max(node)), c: mrps(max(c)), ratio, goal: '>= 0.50', met: ratio >= 0.5 };
}
