// Reads a BPF ring buffer map (BPF_MAP_TYPE_RINGBUF) from the Node event loop.
//
// Layout (kernel/bpf/ringbuf.c): page 0 of the map fd holds the consumer position (we write it), page 1 the
// producer position, then the data area is mapped twice in a row so a record that wraps is still contiguous.
// Each record starts with an 8-byte header: u32 length (bit 31 BUSY: still being written, bit 30 DISCARD) and a
// u32 page offset; records are 8-byte aligned.
import { MapType } from '../../sys/constants.js';
import { FileDescriptor } from '../fd.js';
import { Mapping, PROT_READ, PROT_WRITE } from './mapping.js';
import { pageSize } from './page.js';
import { FdPoller } from './poller.js';
import { duplicateFd, RecordReader, type ReaderOptions } from './reader.js';

/** Anything that names a ring buffer map: a BpfMap, or the same shape. */
export interface RingBufferMapLike {
  readonly fd: { readonly value: number };
  readonly type: MapType;
  readonly maxEntries: number;
  readonly name?: string;
}

/**
 * Gets each record's bytes. Unless the reader was made with `copy: true`, `record` is a view into the shared ring
 * and is valid only until the callback returns: copy it (`record.slice()`) to keep it.
 */
export type RingRecordCallback = (record: Uint8Array) => void;

/**
 * The zero-copy, zero-allocation form: the record is `length` bytes at `offset` in `view`, a DataView over the
 * whole mapping (the same object every time). Valid only until the callback returns.
 */
export type RawRecordCallback = (view: DataView, offset: number, length: number) => void;

export interface RingBufferReaderOptions extends ReaderOptions {
  onRecord?: RingRecordCallback;
  /** Instead of onRecord: the allocation-free form (see RawRecordCallback). */
  onRawRecord?: RawRecordCallback;
}

const HEADER_SIZE = 8;
const BUSY_BIT = 0x80000000 | 0;
const DISCARD_BIT = 0x40000000;
const LENGTH_MASK = 0x3fffffff;
// x86-64 never reorders a load with later loads, so a plain load already has the acquire ordering libbpf asks of
// smp_load_acquire; V8's Atomics.load on a non-shared buffer is a slow out-of-line call by comparison.
const PLAIN_LOADS_ACQUIRE = process.arch === 'x64';

export class RingBufferReader extends RecordReader<Uint8Array> {
  /** Bytes in the data area (the map's max_entries). */
  readonly size: number;
  readonly name: string;

  readonly #fd: FileDescriptor;
  readonly #consumerPage: Mapping;
  readonly #producerData: Mapping;
  readonly #consumerPos: BigUint64Array;
  readonly #producerPos: BigUint64Array;
  /** The producer page plus both data copies, as 32-bit words for header loads. */
  readonly #words: Int32Array;
  readonly #dataStart: number;
  readonly #poller: FdPoller;
  readonly #view: DataView;
  #callback: RingRecordCallback | undefined;
  #rawCallback: RawRecordCallback | undefined;
  /** Our copy of the consumer position: we are the only consumer. */
  #consumed: number;
  /** Publish the consumer position at least this often so a producer can reuse space during a long drain. */
  readonly #publishEvery: number;
  /** True when the last pass stopped before the producer position (busy record, full queue, closed). */
  #stopped = false;

  constructor(map: RingBufferMapLike, opts: RingBufferReaderOptions = {}) {
    super(opts);
    this.name = map.name ?? 'ringbuf';
    if (map.type !== MapType.RINGBUF) {
      throw new TypeError(`map '${this.name}' is ${MapType[map.type] ?? map.type}, not RINGBUF: RingBufferReader reads ring buffer maps`);
    }
    const page = pageSize();
    const size = map.maxEntries;
    if (size <= 0 || (size & (size - 1)) !== 0 || size % page !== 0) {
      throw new RangeError(`map '${this.name}': ring buffer size ${size} must be a power of two and a multiple of the page size ${page}`);
    }
    this.size = size;
    this.#fd = duplicateFd(map.fd.value, `ring buffer reader '${this.name}'`);
    const fd = this.#fd.value;
    try {
      this.#consumerPage = new Mapping(fd, page, PROT_READ | PROT_WRITE, 0, `ring buffer '${this.name}' consumer page`);
      try {
        this.#producerData = new Mapping(fd, page + 2 * size, PROT_READ, page, `ring buffer '${this.name}' data`);
      } catch (err) {
        this.#consumerPage.unmap();
        throw err;
      }
    } catch (err) {
      this.#fd.close();
      throw err;
    }
    this.#consumerPos = new BigUint64Array(this.#consumerPage.buffer, 0, 1);
    this.#producerPos = new BigUint64Array(this.#producerData.buffer, 0, 1);
    this.#words = new Int32Array(this.#producerData.buffer);
    this.#view = new DataView(this.#producerData.buffer);
    this.#dataStart = page;
    this.#consumed = Number(Atomics.load(this.#consumerPos, 0));
    this.#publishEvery = Math.max(size >>> 2, HEADER_SIZE);
    this.#poller = new FdPoller(fd, () => this.onReadable(), this.keepAlive);
    if (opts.onRecord && opts.onRawRecord) throw new TypeError('give onRecord or onRawRecord, not both');
    if (opts.onRecord) this.onRecord(opts.onRecord);
    if (opts.onRawRecord) this.onRawRecord(opts.onRawRecord);
  }

  /** Delivers every record to cb from the event loop as they arrive (replacing any earlier callback). */
  onRecord(cb: RingRecordCallback): this {
    this.assertOpen('onRecord');
    this.assertNoIterator();
    this.#callback = cb;
    this.#rawCallback = undefined;
    this.callbackChanged();
    return this;
  }

  /** Like onRecord, but without making a Uint8Array per record: the fastest way to consume (see RawRecordCallback). */
  onRawRecord(cb: RawRecordCallback): this {
    this.assertOpen('onRawRecord');
    this.assertNoIterator();
    this.#rawCallback = cb;
    this.#callback = undefined;
    this.callbackChanged();
    return this;
  }

  /** Stops delivering to the callback; records wait in the kernel buffer. */
  offRecord(): this {
    this.#callback = undefined;
    this.#rawCallback = undefined;
    if (!this.closed) this.callbackChanged();
    return this;
  }

  /**
   * Synchronously takes every record available now. They go to cb if given, else to the installed callback,
   * else to the async iterator's queue. Returns how many records were delivered.
   */
  readAvailable(cb?: RingRecordCallback): number {
    this.assertOpen('readAvailable');
    if (!cb) return this.drain();
    const saved = this.#callback;
    const savedRaw = this.#rawCallback;
    this.#callback = cb;
    this.#rawCallback = undefined;
    try {
      return this.drain();
    } finally {
      this.#callback = saved;
      this.#rawCallback = savedRaw;
    }
  }

  /** readAvailable with the allocation-free callback form. */
  readAvailableRaw(cb: RawRecordCallback): number {
    this.assertOpen('readAvailableRaw');
    const saved = this.#callback;
    const savedRaw = this.#rawCallback;
    this.#callback = undefined;
    this.#rawCallback = cb;
    try {
      return this.drain();
    } finally {
      this.#callback = saved;
      this.#rawCallback = savedRaw;
    }
  }

  /** Bytes written by the producer and not yet consumed. */
  get pendingBytes(): number {
    if (this.closed) return 0;
    return Number(Atomics.load(this.#producerPos, 0)) - this.#consumed;
  }

  protected override get hasCallback(): boolean {
    return this.#callback !== undefined || this.#rawCallback !== undefined;
  }

  protected override setPolling(on: boolean): void {
    if (on) this.#poller.start();
    else this.#poller.stop();
  }

  protected override drain(): number {
    if (this.closed) return 0;
    const cb = this.#callback;
    const raw = this.#rawCallback;
    if (!cb && !raw && !this.iterating) return 0;
    let delivered = 0;
    for (;;) {
      const produced = this.#loadProducerPos();
      const available = produced - this.#consumed;
      if (available <= 0) break;
      // Each pass ends with #consumed and the consumer page up to date (also when a callback throws).
      const taken = raw ? this.#drainRaw(raw, available) : this.#drainRecords(cb, available);
      delivered += taken;
      // Stopped early (a busy record, a full queue, or the reader closed): its commit or the next read resumes us.
      if (this.#stopped) break;
    }
    return delivered;
  }

  /**
   * The hot loop for onRawRecord: positions are tracked as an offset in the ring plus bytes left, both small
   * integers, so nothing allocates and no BigInt appears per record. The consumer position is published once
   * at the end (and every #publishEvery bytes, so a producer can reuse space during a long drain).
   */
  #drainRaw(raw: RawRecordCallback, available: number): number {
    const view = this.#view;
    const words = this.#words;
    const mask = this.size - 1;
    const dataStart = this.#dataStart;
    const publishEvery = this.#publishEvery;
    const start = this.#consumed;
    let offset = start & mask;
    let done = 0; // bytes consumed in this pass
    let published = 0;
    let delivered = 0;
    this.#stopped = false;
    try {
      while (done < available) {
        const at = dataStart + offset;
        const header = PLAIN_LOADS_ACQUIRE ? words[at >> 2]! : Atomics.load(words, at >> 2);
        // Still being written: its commit will wake us, because we publish this very position below.
        if (header & BUSY_BIT) {
          this.#stopped = true;
          break;
        }
        const length = header & LENGTH_MASK;
        const step = (length + HEADER_SIZE + 7) & ~7;
        done += step;
        offset = (offset + step) & mask;
        if ((header & DISCARD_BIT) === 0) {
          delivered++;
          raw(view, at + HEADER_SIZE, length);
          // The callback may have closed the reader: the mapping is gone.
          if (this.closed) {
            this.#stopped = true;
            break;
          }
        }
        if (done - published >= publishEvery) {
          this.#storeConsumerPos(start + done);
          published = done;
        }
      }
    } finally {
      this.#consumed = start + done;
      if (!this.closed) this.#storeConsumerPos(start + done);
    }
    return delivered;
  }

  /** The same walk for onRecord (a Uint8Array view or copy per record) and the async iterator's queue. */
  #drainRecords(cb: RingRecordCallback | undefined, available: number): number {
    const words = this.#words;
    const buffer = this.#producerData.buffer;
    const mask = this.size - 1;
    const dataStart = this.#dataStart;
    const copy = this.copy;
    const publishEvery = this.#publishEvery;
    const start = this.#consumed;
    let offset = start & mask;
    let done = 0;
    let published = 0;
    let delivered = 0;
    this.#stopped = false;
    try {
      while (done < available) {
        if (!cb && this.queueFull) {
          this.#stopped = true;
          break;
        }
        const at = dataStart + offset;
        const header = PLAIN_LOADS_ACQUIRE ? words[at >> 2]! : Atomics.load(words, at >> 2);
        if (header & BUSY_BIT) {
          this.#stopped = true;
          break;
        }
        const length = header & LENGTH_MASK;
        const step = (length + HEADER_SIZE + 7) & ~7;
        done += step;
        offset = (offset + step) & mask;
        if ((header & DISCARD_BIT) === 0) {
          delivered++;
          const record = new Uint8Array(buffer, at + HEADER_SIZE, length);
          if (cb) cb(copy ? record.slice() : record);
          else this.enqueue(record.slice());
          if (this.closed) {
            this.#stopped = true;
            break;
          }
        }
        if (done - published >= publishEvery) {
          this.#storeConsumerPos(start + done);
          published = done;
        }
      }
    } finally {
      this.#consumed = start + done;
      if (!this.closed) this.#storeConsumerPos(start + done);
    }
    return delivered;
  }

  // Positions are u64 in the shared pages but stay far below 2^53 (8 PiB written), so they are JS numbers here.
  // Atomics on BigUint64Array give the acquire/release ordering; they run once per pass, not per record.
  #loadProducerPos(): number {
    return Number(Atomics.load(this.#producerPos, 0));
  }

  #storeConsumerPos(pos: number): void {
    Atomics.store(this.#consumerPos, 0, BigInt(pos));
  }

  protected override release(): void {
    this.#poller.stop();
    this.#producerData.unmap();
    this.#consumerPage.unmap();
    this.#fd.close();
  }
}
