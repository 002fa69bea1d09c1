// Ring buffer consumption: RingBufferReader (epoll wake-up on the event loop, callback per record) against libbpf's
// ring_buffer__poll in C. Both consume the same records from the same in-kernel producer (an XDP program run with
// BPF_PROG_TEST_RUN and `repeat`, writing one 8-byte sequence number per run), one side at a time: the ring is
// filled first, untimed, then only the consumer is timed, in CPU time (the machine may be shared). The ring holds a whole round, so nothing is ever lost.
import { spawnSync } from 'node:child_process';
import { BpfMap } from '../src/kernel/map.js';
import { RingBufferReader } from '../src/kernel/readers/ringbuf.js';
import { MapType } from '../src/sys/constants.js';
import { SequenceProducer } from './producers.js';
import { cpuNs, max, type Row } from './report.js';

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

type Form = 'raw' | 'view';

async function nodeRate(reader: RingBufferReader, producer: SequenceProducer, form: Form): Promise<number> {
  let best = 0;
  for (let round = 0; round < NODE_ROUNDS; round++) {
    producer.emit(RECORDS);
    let received = 0;
    let expected = -1;
    let outOfOrder = 0;
    let finished = 0;
    const done = new Promise<void>((resolve) => {
      const check = (seq: number) => {
        if (expected >= 0 && seq !== ((expected + 1) >>> 0)) outOfOrder++;
        expected = seq;
        if (++received === RECORDS) {
          finished = cpuNs();
          resolve();
        }
      };
      if (form === 'raw') reader.onRawRecord((view, offset) => check(view.getUint32(offset, true)));
      else reader.onRecord((rec) => check((rec[0]! | (rec[1]! << 8) | (rec[2]! << 16) | (rec[3]! << 24)) >>> 0));
    });
    const start = cpuNs();
    await done;
    reader.offRecord();
    if (outOfOrder !== 0) throw new Error(`bench: bpfkit saw ${outOfOrder} records out of order`);
    best = Math.max(best, RECORDS / ((finished - start) / 1e9));
  }
  return best;
}

export async function benchRingBuffer(cBinary: string): Promise<Row[]> {
  using map = BpfMap.create({ name: 'bench_rb', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: RING_SIZE });
  using producer = new SequenceProducer('ringbuf', map);
  const node: Record<Form, number[]> = { raw: [], view: [] };
  const c: number[] = [];
  {
    using reader = new RingBufferReader(map);
    await nodeRate(reader, producer, 'raw'); // warm the JIT
    await nodeRate(reader, producer, 'view');
  }
  for (let i = 0; i < ALTERNATIONS; i++) {
    for (const form of ['raw', 'view'] as const) {
      using reader = new RingBufferReader(map);
      node[form].push(await nodeRate(reader, producer, form));
    }
    c.push(cRate(cBinary, map, producer));
  }
  if (producer.dropped !== 0) throw new Error(`bench: the producer lost ${producer.dropped} records`);
  const mrps = (r: number) => `${(r / 1e6).toFixed(1)} M rec/s`;
  const row = (operation: string, rates: number[]): Row => {
    const ratio = max(rates) / max(c);
    return { operation, bpfkit: mrps(max(rates)), c: mrps(max(c)), ratio, goal: '>= 0.50', met: ratio >= 0.5 };
  };
  return [
    row('ringbuf consume, onRawRecord', node.raw),
    row('ringbuf consume, onRecord (view)', node.view),
  ];
}
