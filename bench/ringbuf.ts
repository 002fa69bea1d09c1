// Ring buffer consumption: RingBufferReader (epoll wake-up on the event loop, callback per record) against libbpf's
// ring_buffer__poll in C. Both consume the same records from the same in-kernel producer (an XDP program run with
// BPF_PROG_TEST_RUN and `repeat`, writing one 8-byte sequence number per run), one side at a time: the ring is
// filled first, untimed, then only the consumer is timed, in CPU time (the machine may be shared). The ring holds a
// whole round, so nothing is ever lost. Each consumer reads every record's payload (the sequence number) and checks
// that it follows the previous one. Rounds alternate between the sides; each side reports its median round.
import { spawnSync } from 'node:child_process';
import { BpfMap } from '../src/kernel/map.js';
import { RingBufferReader } from '../src/kernel/readers/ringbuf.js';
import { MapType } from '../src/sys/constants.js';
import { SequenceProducer } from './producers.js';
import { cpuNs, median, type Row } from './report.js';

const RECORDS = 1_000_000;
const RING_SIZE = 1 << 25; // 32 MiB > 1M records x 16 bytes
const NODE_ROUNDS = 3;
const C_ROUNDS = 3;
const ALTERNATIONS = 3;

function cRates(binary: string, map: BpfMap, producer: SequenceProducer): number[] {
  const r = spawnSync(binary, [String(RECORDS), String(C_ROUNDS)], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', map.fd.value, producer.program.fd.value],
  });
  if (r.status !== 0) throw new Error(`bench: C ring buffer baseline failed: ${r.stderr}`);
  const [rates, outOfOrder] = r.stdout.trim().split('\n') as [string, string];
  if (Number(outOfOrder) !== 0) throw new Error(`bench: C baseline saw ${outOfOrder} records out of order`);
  return rates.trim().split(/\s+/).map(Number);
}

type Form = 'raw' | 'view';

/**
 * The Node consumer, shaped like the C one: one callback for the whole run, state in one place and reset per
 * round (C keeps it in statics), reading each record's sequence number and checking it follows the previous one.
 */
class Consumer {
  received = 0;
  expected = -1;
  outOfOrder = 0;
  finished = 0;
  #resolve: () => void = () => {};

  readonly raw = (view: DataView, offset: number): void => this.check(view.getUint32(offset, true));
  readonly view = (rec: Uint8Array): void => this.check((rec[0]! | (rec[1]! << 8) | (rec[2]! << 16) | (rec[3]! << 24)) >>> 0);

  check(seq: number): void {
    if (this.expected >= 0 && seq !== ((this.expected + 1) >>> 0)) this.outOfOrder++;
    this.expected = seq;
    if (++this.received === RECORDS) {
      this.finished = cpuNs();
      this.#resolve();
    }
  }

  /** Resolves once RECORDS records arrived. */
  round(): Promise<void> {
    this.received = 0;
    this.expected = -1;
    return new Promise((resolve) => (this.#resolve = resolve));
  }
}

async function nodeRates(reader: RingBufferReader, producer: SequenceProducer, consumer: Consumer, form: Form): Promise<number[]> {
  const rates: number[] = [];
  for (let round = 0; round < NODE_ROUNDS; round++) {
    producer.emit(RECORDS);
    const done = consumer.round();
    if (form === 'raw') reader.onRawRecord(consumer.raw);
    else reader.onRecord(consumer.view);
    const start = cpuNs();
    await done;
    reader.offRecord();
    if (consumer.outOfOrder !== 0) throw new Error(`bench: bpfkit saw ${consumer.outOfOrder} records out of order`);
    rates.push(RECORDS / ((consumer.finished - start) / 1e9));
  }
  return rates;
}

export async function benchRingBuffer(cBinary: string): Promise<Row[]> {
  using map = BpfMap.create({ name: 'bench_rb', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: RING_SIZE });
  using producer = new SequenceProducer('ringbuf', map);
  const node: Record<Form, number[]> = { raw: [], view: [] };
  const c: number[] = [];
  const consumer = new Consumer();
  {
    using reader = new RingBufferReader(map);
    await nodeRates(reader, producer, consumer, 'raw'); // warm the JIT
    await nodeRates(reader, producer, consumer, 'view');
  }
  for (let i = 0; i < ALTERNATIONS; i++) {
    for (const form of ['raw', 'view'] as const) {
      using reader = new RingBufferReader(map);
      node[form].push(...(await nodeRates(reader, producer, consumer, form)));
    }
    c.push(...cRates(cBinary, map, producer));
  }
  if (producer.dropped !== 0) throw new Error(`bench: the producer lost ${producer.dropped} records`);
  const mrps = (r: number) => `${(r / 1e6).toFixed(1)} M rec/s`;
  const row = (operation: string, rates: number[]): Row => {
    const ratio = median(rates) / median(c);
    return { operation, bpfkit: mrps(median(rates)), c: mrps(median(c)), ratio, goal: '>= 0.50', met: ratio >= 0.5 };
  };
  return [
    row('ringbuf consume, onRawRecord', node.raw),
    row('ringbuf consume, onRecord (view)', node.view),
  ];
}
