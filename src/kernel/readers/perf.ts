// Reads a BPF perf event array (BPF_MAP_TYPE_PERF_EVENT_ARRAY, bpf_perf_event_output) from the Node event loop.
//
// One software BPF_OUTPUT perf event per online CPU, each with its own mmap'd ring: a metadata page
// (perf_event_mmap_page: data_head written by the kernel, data_tail by us) followed by 2^n data pages. The fd goes
// into the map at index cpu. Records are perf_event_header {u32 type; u16 misc; u16 size} followed by the body;
// they are 8-byte aligned but may wrap around the end of the data area.
import { bpf, mapElemAttr } from '../../sys/bpf.js';
import { BpfCmd, MapType, PERF } from '../../sys/constants.js';
import { errorFromErrno } from '../../sys/errors.js';
import { ioctl, perfEventAttr, perfEventOpen } from '../../sys/perf.js';
import { onlineCpus } from '../cpus.js';
import { FileDescriptor } from '../fd.js';
import { Mapping, PROT_READ, PROT_WRITE } from './mapping.js';
import { pageSize } from './page.js';
import { FdPoller } from './poller.js';
import { duplicateFd, RecordReader, type ReaderOptions } from './reader.js';

export interface PerfEventArrayMapLike {
  readonly fd: { readonly value: number };
  readonly type: MapType;
  readonly maxEntries: number;
  readonly name?: string;
}

/** One sample as the async iterator yields it (a copy). */
export interface PerfRecord {
  cpu: number;
  data: Uint8Array;
}

/**
 * Gets each sample's raw bytes and the CPU it came from. The kernel pads raw samples so that size+4 is a multiple
 * of 8: an 8-byte bpf_perf_event_output arrives as 12 bytes. Unless the reader was made with `copy: true`, `data`
 * is valid only until the callback returns.
 */
export type PerfRecordCallback = (data: Uint8Array, cpu: number) => void;
/** The kernel dropped `count` samples on `cpu` because its ring was full. */
export type PerfLostCallback = (count: number, cpu: number) => void;

export interface PerfReaderOptions extends ReaderOptions {
  /** Data pages per CPU ring: a power of two. Default 64. */
  pageCount?: number;
  /** Wake up once this many bytes are waiting instead of on every sample. */
  watermarkBytes?: number;
  /** CPUs to read (default: every online CPU below the map's max_entries). */
  cpus?: number[];
  onRecord?: PerfRecordCallback;
  onLost?: PerfLostCallback;
}

// Offsets in struct perf_event_mmap_page.
const DATA_HEAD_INDEX = 1024 / 8;
const DATA_TAIL_INDEX = 1032 / 8;
const DATA_OFFSET = 1040;
const DATA_SIZE = 1048;
const MAX_RECORD = 0x10000;

class CpuRing {
  readonly mapping: Mapping;
  readonly meta: BigUint64Array;
  readonly view: DataView;
  readonly bytes: Uint8Array;
  readonly dataStart: number;
  readonly dataSize: number;
  tail: number;
  scratch: Uint8Array | undefined;
  scratchView: DataView | undefined;
  lost = 0;

  constructor(readonly cpu: number, readonly fd: FileDescriptor, length: number) {
    this.mapping = new Mapping(fd.value, length, PROT_READ | PROT_WRITE, 0, `perf ring of CPU ${cpu}`);
    this.meta = new BigUint64Array(this.mapping.buffer, 0, 256);
    this.view = new DataView(this.mapping.buffer);
    this.bytes = new Uint8Array(this.mapping.buffer);
    const page = pageSize();
    this.dataStart = Number(this.view.getBigUint64(DATA_OFFSET, true)) || page;
    this.dataSize = Number(this.view.getBigUint64(DATA_SIZE, true)) || length - page;
    this.tail = Number(Atomics.load(this.meta, DATA_TAIL_INDEX));
  }

  /** Copies a record that wraps past the end of the data area into a contiguous scratch buffer. */
  unwrap(offset: number, size: number): DataView {
    if (!this.scratch) {
      this.scratch = new Uint8Array(MAX_RECORD);
      this.scratchView = new DataView(this.scratch.buffer);
    }
    const first = this.dataSize - offset;
    this.scratch.set(this.bytes.subarray(this.dataStart + offset, this.dataStart + this.dataSize), 0);
    this.scratch.set(this.bytes.subarray(this.dataStart, this.dataStart + size - first), first);
    return this.scratchView!;
  }
}

export class PerfReader extends RecordReader<PerfRecord> {
  readonly name: string;
  readonly pageCount: number;
  readonly #mapFd: FileDescriptor;
  readonly #rings: CpuRing[] = [];
  readonly #pollers: FdPoller[] = [];
  #callback: PerfRecordCallback | undefined;
  #lostCallback: PerfLostCallback | undefined;
  #lost = 0;

  constructor(map: PerfEventArrayMapLike, opts: PerfReaderOptions = {}) {
    super(opts);
    this.name = map.name ?? 'perf';
    if (map.type !== MapType.PERF_EVENT_ARRAY) {
      throw new TypeError(`map '${this.name}' is ${MapType[map.type] ?? map.type}, not PERF_EVENT_ARRAY: PerfReader reads perf event arrays`);
    }
    const pageCount = opts.pageCount ?? 64;
    if (!Number.isInteger(pageCount) || pageCount < 1 || (pageCount & (pageCount - 1)) !== 0) {
      throw new RangeError(`perf reader '${this.name}': pageCount ${pageCount} must be a power of two`);
    }
    this.pageCount = pageCount;
    this.#mapFd = duplicateFd(map.fd.value, `perf reader '${this.name}'`);
    const cpus = opts.cpus ?? onlineCpus().filter((c) => c < map.maxEntries);
    if (cpus.length === 0) throw new RangeError(`perf reader '${this.name}': no CPU to read (map max_entries ${map.maxEntries})`);
    try {
      for (const cpu of cpus) this.#openCpu(cpu, opts.watermarkBytes);
    } catch (err) {
      this.release();
      throw err;
    }
    if (opts.onLost) this.#lostCallback = opts.onLost;
    if (opts.onRecord) this.onRecord(opts.onRecord);
  }

  #openCpu(cpu: number, watermarkBytes: number | undefined): void {
    const attr = perfEventAttr({
      type: PERF.TYPE_SOFTWARE, config: PERF.COUNT_SW_BPF_OUTPUT, sample: 1, sampleType: PERF.SAMPLE_RAW,
      wakeupEvents: watermarkBytes ?? 1, watermark: watermarkBytes !== undefined,
    });
    const fd = new FileDescriptor(perfEventOpen(attr, -1, cpu, `open BPF output perf event on CPU ${cpu}`), `perf event CPU ${cpu}`);
    let ring: CpuRing;
    try {
      ring = new CpuRing(cpu, fd, (1 + this.pageCount) * pageSize());
    } catch (err) {
      fd.close();
      throw err;
    }
    this.#rings.push(ring);
    const key = new Uint8Array(new Uint32Array([cpu]).buffer);
    const value = new Uint8Array(new Uint32Array([fd.value]).buffer);
    bpf(BpfCmd.MAP_UPDATE_ELEM, mapElemAttr(this.#mapFd.value, key, value), `put CPU ${cpu}'s perf event in map '${this.name}'`);
    const r = ioctl(fd.value, PERF.IOC_ENABLE, 0);
    if (r < 0) throw errorFromErrno(-r, `enable perf event on CPU ${cpu}`);
    this.#pollers.push(new FdPoller(fd.value, () => this.onReadable(), this.keepAlive));
  }

  /** CPUs this reader has a ring for. */
  get cpus(): number[] {
    return this.#rings.map((r) => r.cpu);
  }

  /** Samples the kernel reported lost (ring full), over all CPUs, so far. */
  get lost(): number {
    return this.#lost;
  }

  /** Lost samples per CPU. */
  lostPerCpu(): Map<number, number> {
    return new Map(this.#rings.map((r) => [r.cpu, r.lost]));
  }

  /** Delivers every sample to cb from the event loop (replacing any earlier callback). */
  onRecord(cb: PerfRecordCallback): this {
    this.assertOpen('onRecord');
    this.assertNoIterator();
    this.#callback = cb;
    this.callbackChanged();
    return this;
  }

  offRecord(): this {
    this.#callback = undefined;
    if (!this.closed) this.callbackChanged();
    return this;
  }

  /** Called with each PERF_RECORD_LOST (count of dropped samples, CPU). The `lost` counter counts them too. */
  onLost(cb: PerfLostCallback | undefined): this {
    this.#lostCallback = cb;
    return this;
  }

  /** Synchronously takes every sample waiting in every CPU's ring. Returns how many samples were delivered. */
  readAvailable(cb?: PerfRecordCallback): number {
    this.assertOpen('readAvailable');
    if (!cb) return this.drain();
    const saved = this.#callback;
    this.#callback = cb;
    try {
      return this.drain();
    } finally {
      this.#callback = saved;
    }
  }

  protected override get hasCallback(): boolean {
    return this.#callback !== undefined;
  }

  protected override setPolling(on: boolean): void {
    for (const p of this.#pollers) {
      if (on) p.start();
      else p.stop();
    }
  }

  // A wake-up on one CPU's fd drains every ring: looking at a perf fd clears its readiness.
  protected override drain(): number {
    let delivered = 0;
    for (const ring of this.#rings) {
      if (this.closed) break;
      delivered += this.#drainRing(ring);
    }
    return delivered;
  }

  #drainRing(ring: CpuRing): number {
    const cb = this.#callback;
    if (!cb && !this.iterating) return 0;
    const { view, dataStart, dataSize, cpu } = ring;
    const buffer = ring.mapping.buffer;
    const mask = dataSize - 1;
    const copy = this.copy;
    let tail = ring.tail;
    let delivered = 0;
    try {
      for (;;) {
        const head = Number(Atomics.load(ring.meta, DATA_HEAD_INDEX));
        if (tail >= head) break;
        while (tail < head) {
          if (!cb && this.queueFull) return delivered;
          const offset = tail & mask;
          // Headers never wrap: records are 8-byte aligned and the data area is a multiple of 8.
          const type = view.getUint32(dataStart + offset, true);
          const size = view.getUint16(dataStart + offset + 6, true);
          if (size < 8) throw new Error(`perf ring of CPU ${cpu} is corrupt: record of size ${size} at ${tail}`);
          let v = view;
          let base = dataStart + offset;
          let bytes = buffer;
          if (offset + size > dataSize) {
            v = ring.unwrap(offset, size);
            base = 0;
            bytes = v.buffer as ArrayBuffer;
          }
          tail += size;
          if (type === PERF.RECORD_SAMPLE) {
            const rawSize = v.getUint32(base + 8, true);
            delivered++;
            if (cb) {
              cb(copy ? new Uint8Array(bytes, base + 12, rawSize).slice() : new Uint8Array(bytes, base + 12, rawSize), cpu);
              if (this.closed) return delivered;
            } else {
              this.enqueue({ cpu, data: new Uint8Array(bytes, base + 12, rawSize).slice() });
            }
          } else if (type === PERF.RECORD_LOST) {
            const count = Number(v.getBigUint64(base + 16, true));
            ring.lost += count;
            this.#lost += count;
            this.#lostCallback?.(count, cpu);
            if (this.closed) return delivered;
          }
        }
        Atomics.store(ring.meta, DATA_TAIL_INDEX, BigInt(tail));
      }
      return delivered;
    } finally {
      if (tail !== ring.tail) {
        ring.tail = tail;
        if (!this.closed) Atomics.store(ring.meta, DATA_TAIL_INDEX, BigInt(tail));
      }
    }
  }

  protected override release(): void {
    for (const p of this.#pollers) p.stop();
    for (const ring of this.#rings) {
      // The map holds its own reference to the perf event: take it out so the event really goes away.
      const key = new Uint8Array(new Uint32Array([ring.cpu]).buffer);
      this.#deleteEntry(key);
      ring.mapping.unmap();
      ring.fd.close();
    }
    this.#mapFd.close();
  }

  #deleteEntry(key: Uint8Array): void {
    try {
      bpf(BpfCmd.MAP_DELETE_ELEM, mapElemAttr(this.#mapFd.value, key, null), 'remove perf event from map');
    } catch {
      // The entry may already be gone: nothing of ours left to remove.
    }
  }
}
