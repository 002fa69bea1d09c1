// In-kernel record producers for reader tests and benchmarks: an XDP program run with BPF_PROG_TEST_RUN and
// `repeat`, emitting one record per run that carries a global sequence number (0, 1, 2, ...). A counter map holds
// the next sequence number and how many outputs the kernel refused (buffer full).
import { program, R0, R1, R2, R3, R4, R5, R6, R7, R10 } from '../src/isa/builder.js';
import { Helper } from '../src/isa/helpers.js';
import { BpfMap } from '../src/kernel/map.js';
import { Program } from '../src/kernel/program.js';
import { MapType, ProgType } from '../src/sys/constants.js';

export type ProducerKind = 'ringbuf' | 'perf';

const XDP_PASS = 2;
const EINTR = 4;

export class SequenceProducer implements Disposable {
  readonly counter: BpfMap;
  readonly program: Program;
  readonly #packet = new Uint8Array(64);

  constructor(readonly kind: ProducerKind, events: BpfMap) {
    this.counter = BpfMap.create({ name: 'seq_counter', type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1 });
    try {
      const b = program()
        .mov(R6, R1)
        .st('w', R10, -4, 0)
        .mov(R2, R10).add(R2, -4)
        .loadMap(R1, 'counter')
        .call(Helper.map_lookup_elem)
        .jeq(R0, 0, 'out')
        .mov(R7, R0)
        .mov(R1, 1)
        .atomic('dw', 'add', R7, 0, R1, true) // r1 = sequence number (old value)
        .stx('dw', R10, -16, R1);
      if (kind === 'ringbuf') {
        b.loadMap(R1, 'events').mov(R2, R10).add(R2, -16).mov(R3, 8).mov(R4, 0).call(Helper.ringbuf_output);
      } else {
        // flags = BPF_F_CURRENT_CPU (0xffffffff, zero-extended: the upper half would ask for packet bytes).
        b.mov(R1, R6).loadMap(R2, 'events').mov32(R3, -1).mov(R4, R10).add(R4, -16).mov(R5, 8)
          .call(Helper.perf_event_output);
      }
      b.jeq(R0, 0, 'out')
        .mov(R1, 1)
        .atomic('dw', 'add', R7, 8, R1) // dropped++
        .label('out')
        .mov(R0, XDP_PASS)
        .exit();
      this.program = Program.load(
        { name: `seq_${kind}`, type: ProgType.XDP, instructions: b.build(), license: 'GPL' },
        { maps: { counter: this.counter, events: events } },
      );
    } catch (err) {
      this.counter.close();
      throw err;
    }
  }

  /** Emits `count` records synchronously (one program run each). */
  emit(count: number): void {
    if (count <= 0) return;
    // A signal (a profiler's timer, say) cuts a long test run short with EINTR: top up from the counter.
    const target = this.emitted + count;
    for (let left = count; left > 0; left = target - this.emitted) {
      try {
        this.program.testRun({ data: this.#packet, repeat: left });
      } catch (err) {
        if ((err as { errno?: number }).errno !== EINTR) throw err;
      }
    }
  }

  #read(offset: number): number {
    const v = this.counter.lookup(new Uint8Array(4))!;
    return Number(new DataView(v.buffer, v.byteOffset).getBigUint64(offset, true));
  }

  /** Sequence numbers handed out so far (records attempted). */
  get emitted(): number {
    return this.#read(0);
  }

  /** Outputs the kernel refused because the buffer was full. */
  get dropped(): number {
    return this.#read(8);
  }

  close(): void {
    this.program.close();
    this.counter.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
