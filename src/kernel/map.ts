// A kernel BPF map with typed keys and values. Lookups reuse preallocated buffers and attrs: one syscall per call,
// through bpf() calls bound once to their attr (native.bpfBind), so the hot path allocates nothing.
import { Attr, bpf, bpfRaw, mapCreateAttr, mapElemAttr, objPathAttr, u32Attr } from '../sys/bpf.js';
import { BpfCmd, MapType, UpdateFlags } from '../sys/constants.js';
import { Errno } from '../sys/errno.js';
import { errorFromErrno } from '../sys/errors.js';
import { native } from '../sys/native.js';
import type { MapSpec } from '../spec/collection.js';
import { bytes, type Codec } from './codec.js';
import { possibleCpuCount } from './cpus.js';
import { FileDescriptor } from './fd.js';
import { mapInfo, type MapInfo } from './info.js';
import { pinObject } from './pin.js';
import { deleteBatch, iterateBatches, runLookupBatch, updateBatch, type Batch, type BatchCursor } from './maps/batch.js';
import { updateError } from './maps/errors.js';
import { mmapArray, type MappedArray, type MmapOptions } from './maps/mmap.js';

export type { Batch, BatchCursor, MappedArray, MmapOptions };

export interface MapCodecs<K, V> {
  key?: Codec<K>;
  value?: Codec<V>;
}

const perCpuTypes = new Set<MapType>([
  MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_PERCPU_HASH, MapType.PERCPU_CGROUP_STORAGE,
]);

export function isPerCpu(type: MapType): boolean {
  return perCpuTypes.has(type);
}

export class BpfMap<K = Uint8Array, V = Uint8Array> implements Disposable {
  readonly fd: FileDescriptor;
  readonly name: string;
  readonly type: MapType;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly keyCodec: Codec<K>;
  readonly valueCodec: Codec<V>;
  /** Bytes of one value as the syscall sees it: per-CPU maps hold one 8-byte-aligned slot per possible CPU. */
  readonly valueStride: number;
  readonly cpuSlots: number;

  protected readonly keyBuf: Uint8Array;
  protected readonly nextKeyBuf: Uint8Array;
  protected readonly valueBuf: Uint8Array;
  private readonly lookupAttr: Attr;
  private readonly updateAttr: Attr;
  private readonly deleteAttr: Attr;
  private readonly nextKeyAttr: Attr;
  private readonly lookupAndDeleteAttr: Attr;
  /** The hot commands, bound to their attrs: no arguments to convert per call. */
  readonly #lookupCall: () => number;
  readonly #updateCall: () => number;
  readonly #deleteCall: () => number;
  readonly #lookupAndDeleteCall: () => number;
  /** The flags now in updateAttr: rewritten only when a call asks for different ones. */
  #updateFlags = 0;
  /** The value bytes of one (non-per-CPU) value: valueBuf itself when the sizes match. */
  readonly #valueSlot: Uint8Array;
  /** Live mmap views; unmapped (and so emptied) when the map closes. */
  private readonly mappings = new Set<MappedArray<V>>();

  protected constructor(fd: FileDescriptor, shape: Omit<MapSpec, 'contents'>, codecs: MapCodecs<K, V>) {
    this.fd = fd;
    this.name = shape.name;
    this.type = shape.type;
    this.keySize = shape.keySize;
    this.valueSize = shape.valueSize;
    this.maxEntries = shape.maxEntries;
    this.flags = shape.flags ?? 0;
    this.keyCodec = codecs.key ?? (bytes(shape.keySize) as unknown as Codec<K>);
    this.valueCodec = codecs.value ?? (bytes(shape.valueSize) as unknown as Codec<V>);
    if (this.keyCodec.size !== shape.keySize && shape.keySize !== 0) {
      throw new RangeError(`map ${shape.name}: key codec is ${this.keyCodec.size} bytes, map key is ${shape.keySize}`);
    }
    if (this.valueCodec.size !== shape.valueSize && shape.valueSize !== 0) {
      throw new RangeError(`map ${shape.name}: value codec is ${this.valueCodec.size} bytes, map value is ${shape.valueSize}`);
    }
    this.cpuSlots = isPerCpu(shape.type) ? possibleCpuCount() : 1;
    this.valueStride = isPerCpu(shape.type) ? Math.ceil(shape.valueSize / 8) * 8 : shape.valueSize;
    this.keyBuf = new Uint8Array(Math.max(shape.keySize, 1));
    this.nextKeyBuf = new Uint8Array(Math.max(shape.keySize, 1));
    this.valueBuf = new Uint8Array(Math.max(this.valueStride * this.cpuSlots, 1));
    const fdNum = fd.value;
    const key = shape.keySize > 0 ? this.keyBuf : null;
    this.lookupAttr = mapElemAttr(fdNum, key, this.valueBuf);
    this.updateAttr = mapElemAttr(fdNum, key, this.valueBuf);
    this.deleteAttr = mapElemAttr(fdNum, key, null);
    this.nextKeyAttr = mapElemAttr(fdNum, key, this.nextKeyBuf);
    this.lookupAndDeleteAttr = mapElemAttr(fdNum, key, this.valueBuf);
    this.#lookupCall = native.bpfBind(BpfCmd.MAP_LOOKUP_ELEM, this.lookupAttr.bytes);
    this.#updateCall = native.bpfBind(BpfCmd.MAP_UPDATE_ELEM, this.updateAttr.bytes);
    this.#deleteCall = native.bpfBind(BpfCmd.MAP_DELETE_ELEM, this.deleteAttr.bytes);
    this.#lookupAndDeleteCall = native.bpfBind(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, this.lookupAndDeleteAttr.bytes);
    this.#valueSlot = this.valueBuf.length === shape.valueSize ? this.valueBuf : this.valueBuf.subarray(0, shape.valueSize);
  }

  /** Creates a map in the kernel. */
  static create<K = Uint8Array, V = Uint8Array>(spec: MapSpec, codecs: MapCodecs<K, V> = {}): BpfMap<K, V> {
    return BpfMap.createAs(spec, (fd) => new BpfMap<K, V>(fd, spec, codecs));
  }

  /**
   * Creates the kernel map for spec and wraps its fd with `wrap` (subclasses pass their own constructor), then
   * writes the spec's contents and freezes it if asked. `innerTemplate` (map-in-map) overrides spec.innerMap.
   */
  protected static createAs<M extends BpfMap<any, any>>(
    spec: MapSpec, wrap: (fd: FileDescriptor) => M, innerTemplate?: { fd: { value: number } },
  ): M {
    let inner: BpfMap | undefined;
    if (spec.innerMap && !innerTemplate) inner = BpfMap.create(spec.innerMap);
    try {
      const raw = bpf(BpfCmd.MAP_CREATE, mapCreateAttr({
        mapType: spec.type, keySize: spec.keySize, valueSize: spec.valueSize, maxEntries: spec.maxEntries,
        flags: spec.flags ?? 0, innerMapFd: innerTemplate?.fd.value ?? inner?.fd.value ?? 0, name: sanitizeName(spec.name),
        btfFd: spec.btfFd ?? 0, btfKeyTypeId: spec.btfKeyTypeId ?? 0, btfValueTypeId: spec.btfValueTypeId ?? 0,
        mapExtra: spec.mapExtra ?? 0n,
      }), () => `create map '${spec.name}' (${MapType[spec.type] ?? spec.type})`);
      const fd = new FileDescriptor(raw, `map ${spec.name}`);
      let map: M;
      try {
        map = wrap(fd);
      } catch (err) {
        fd.close();
        throw err;
      }
      try {
        for (const [k, v] of spec.contents ?? []) map.updateRaw(k, v);
        if (spec.freeze) map.freeze();
      } catch (err) {
        map.close();
        throw err;
      }
      return map;
    } finally {
      inner?.close();
    }
  }

  /** Wraps an fd the caller owns (from a pin, an id, or another process); reads its shape from the kernel. */
  static fromFd<K = Uint8Array, V = Uint8Array>(fd: number, codecs: MapCodecs<K, V> = {}): BpfMap<K, V> {
    const owned = new FileDescriptor(fd, 'map');
    try {
      const info = mapInfo(fd);
      return new BpfMap<K, V>(owned, {
        name: info.name, type: info.type, keySize: info.keySize, valueSize: info.valueSize,
        maxEntries: info.maxEntries, flags: info.flags,
      }, codecs);
    } catch (err) {
      owned.close();
      throw err;
    }
  }

  /** Opens a map pinned in bpffs. */
  static fromPin<K = Uint8Array, V = Uint8Array>(path: string, codecs: MapCodecs<K, V> = {}): BpfMap<K, V> {
    const fd = bpf(BpfCmd.OBJ_GET, objPathAttr(path), `open pinned map ${path}`);
    return BpfMap.fromFd(fd, codecs);
  }

  info(): MapInfo {
    return mapInfo(this.fd.value);
  }

  /** The value for key, or undefined when absent. */
  lookup(key: K): V | undefined {
    if (this.cpuSlots !== 1) this.requireSingleValue('lookup');
    this.keyCodec.encode(key, this.keyBuf);
    const r = this.#lookupCall();
    if (r < 0) return this.missOrThrow(-r, 'lookup');
    return this.valueCodec.decode(this.valueBuf);
  }

  /** Per-CPU maps: one value per possible CPU, or undefined when absent. */
  lookupPerCpu(key: K): V[] | undefined {
    this.keyCodec.encode(key, this.keyBuf);
    const r = this.#lookupCall();
    if (r < 0) return this.missOrThrow(-r, 'lookup');
    return this.splitPerCpu(this.valueBuf);
  }

  update(key: K, value: V, flags: number = UpdateFlags.ANY): void {
    if (this.cpuSlots !== 1) this.requireSingleValue('update');
    this.keyCodec.encode(key, this.keyBuf);
    this.valueCodec.encode(value, this.#valueSlot);
    this.doUpdate(flags);
  }

  /** Per-CPU maps: write one value per possible CPU (missing entries are zero). */
  updatePerCpu(key: K, values: V[], flags: number = UpdateFlags.ANY): void {
    this.keyCodec.encode(key, this.keyBuf);
    this.valueBuf.fill(0);
    values.forEach((v, cpu) => {
      if (cpu >= this.cpuSlots) return;
      const off = cpu * this.valueStride;
      this.valueCodec.encode(v, this.valueBuf.subarray(off, off + this.valueSize));
    });
    this.doUpdate(flags);
  }

  /** Writes raw key and value bytes (value: one slot, or all per-CPU slots). */
  updateRaw(key: Uint8Array, value: Uint8Array, flags: number = UpdateFlags.ANY): void {
    this.keyBuf.set(key.subarray(0, this.keySize));
    this.valueBuf.fill(0);
    this.valueBuf.set(value.subarray(0, this.valueBuf.length));
    this.doUpdate(flags);
  }

  /** Removes key and returns its value (hash-like maps), or undefined when absent. */
  lookupAndDelete(key: K): V | undefined {
    if (this.cpuSlots !== 1) this.requireSingleValue('lookupAndDelete');
    this.keyCodec.encode(key, this.keyBuf);
    const r = this.#lookupAndDeleteCall();
    if (r < 0) return this.missOrThrow(-r, 'lookup and delete');
    return this.valueCodec.decode(this.valueBuf);
  }

  /**
   * One BPF_MAP_LOOKUP_BATCH call: up to `count` entries after `cursor` (start: undefined). `next` is undefined
   * once the map is exhausted; the last batch may be partial.
   */
  lookupBatch(cursor?: BatchCursor, count = 64): Batch<K, V> {
    this.requireSingleValue('lookupBatch');
    return runLookupBatch(this, BpfCmd.MAP_LOOKUP_BATCH, cursor, count, (b) => this.valueCodec.decode(b));
  }

  lookupBatchPerCpu(cursor?: BatchCursor, count = 64): Batch<K, V[]> {
    return runLookupBatch(this, BpfCmd.MAP_LOOKUP_BATCH, cursor, count, (b) => this.splitPerCpu(b));
  }

  /** Like lookupBatch, but the returned entries are removed from the map (hash maps). */
  lookupAndDeleteBatch(cursor?: BatchCursor, count = 64): Batch<K, V> {
    this.requireSingleValue('lookupAndDeleteBatch');
    return runLookupBatch(this, BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH, cursor, count, (b) => this.valueCodec.decode(b));
  }

  lookupAndDeleteBatchPerCpu(cursor?: BatchCursor, count = 64): Batch<K, V[]> {
    return runLookupBatch(this, BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH, cursor, count, (b) => this.splitPerCpu(b));
  }

  /** Writes all entries with BPF_MAP_UPDATE_BATCH (one syscall); returns how many were written. */
  updateBatch(entries: Iterable<[K, V]>, flags: number = UpdateFlags.ANY): number {
    this.requireSingleValue('updateBatch');
    return updateBatch(this, [...entries], flags);
  }

  /** Deletes keys with BPF_MAP_DELETE_BATCH; keys already absent are skipped. Returns how many were deleted. */
  deleteBatch(keys: Iterable<K>): number {
    return deleteBatch(this, [...keys]);
  }

  /** Every entry, fetched `count` at a time with BPF_MAP_LOOKUP_BATCH (far fewer syscalls than entries()). */
  *entriesBatched(count = 256): IterableIterator<[K, V]> {
    this.requireSingleValue('entriesBatched');
    yield* iterateBatches((cursor) => this.lookupBatch(cursor, count));
  }

  *entriesPerCpuBatched(count = 256): IterableIterator<[K, V[]]> {
    yield* iterateBatches((cursor) => this.lookupBatchPerCpu(cursor, count));
  }

  /** Removes and yields every entry, `count` at a time (BPF_MAP_LOOKUP_AND_DELETE_BATCH). */
  *drainBatched(count = 256): IterableIterator<[K, V]> {
    this.requireSingleValue('drainBatched');
    yield* iterateBatches((cursor) => this.lookupAndDeleteBatch(cursor, count));
  }

  /**
   * Maps a BPF_F_MMAPABLE array into this process: reads and writes through the view hit the map directly, no
   * syscalls. The view is unmapped when the map closes (or view.close()); a stale view then has length 0.
   */
  mmap(opts: MmapOptions = {}): MappedArray<V> {
    const view = mmapArray(this, opts, () => this.mappings.delete(view));
    this.mappings.add(view);
    return view;
  }

  /** Deletes key; returns false when it was absent. */
  delete(key: K): boolean {
    this.keyCodec.encode(key, this.keyBuf);
    const r = this.#deleteCall();
    if (r === -Errno.ENOENT) return false;
    if (r < 0) throw errorFromErrno(-r, `delete from map '${this.name}'`);
    return true;
  }

  /** Iterates keys with GET_NEXT_KEY. Keys deleted meanwhile may restart iteration, as in the kernel. */
  *keys(): IterableIterator<K> {
    const fdNum = this.fd.value;
    const cursor = new Uint8Array(this.keySize);
    const next = new Uint8Array(this.keySize);
    let attr = mapElemAttr(fdNum, null, next);
    const withCursor = mapElemAttr(fdNum, cursor, next);
    for (;;) {
      const r = bpfRaw(BpfCmd.MAP_GET_NEXT_KEY, attr);
      if (r === -Errno.ENOENT) return;
      if (r < 0) throw errorFromErrno(-r, `iterate map '${this.name}'`);
      cursor.set(next);
      attr = withCursor;
      yield this.keyCodec.decode(next);
    }
  }

  *entries(): IterableIterator<[K, V]> {
    for (const k of this.keys()) {
      const v = this.lookup(k);
      if (v !== undefined) yield [k, v];
    }
  }

  *entriesPerCpu(): IterableIterator<[K, V[]]> {
    for (const k of this.keys()) {
      const v = this.lookupPerCpu(k);
      if (v !== undefined) yield [k, v];
    }
  }

  /** Makes the map read-only for user space (programs may still write unless the map is RDONLY_PROG). */
  freeze(): void {
    bpf(BpfCmd.MAP_FREEZE, u32Attr(this.fd.value), `freeze map '${this.name}'`);
  }

  /** Pins the map at path in bpffs (mounting /sys/fs/bpf if needed). It then outlives this process. */
  pin(path: string): void {
    pinObject(this.fd.value, path, `pin map '${this.name}'`);
  }

  close(): void {
    for (const view of [...this.mappings]) view.close();
    // Calls after close must not reach whatever file reuses this fd number: point the attrs at fd -1 (EBADF).
    for (const attr of [this.lookupAttr, this.updateAttr, this.deleteAttr, this.nextKeyAttr, this.lookupAndDeleteAttr]) {
      attr.u32(0, 0xffffffff);
    }
    this.fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  protected doUpdate(flags: number): void {
    if (flags !== this.#updateFlags) {
      this.updateAttr.u64(24, flags);
      this.#updateFlags = flags;
    }
    const r = this.#updateCall();
    if (r < 0) throw updateError(-r, this.type, `update map '${this.name}' (${MapType[this.type]})`, this.maxEntries);
  }

  protected splitPerCpu(buf: Uint8Array): V[] {
    const out: V[] = [];
    for (let cpu = 0; cpu < this.cpuSlots; cpu++) {
      const off = cpu * this.valueStride;
      out.push(this.valueCodec.decode(buf.subarray(off, off + this.valueSize)));
    }
    return out;
  }

  private requireSingleValue(op: string): void {
    if (this.cpuSlots !== 1) {
      throw new TypeError(`map '${this.name}' is per-CPU: use ${op}PerCpu() to get one value per CPU`);
    }
  }

  private missOrThrow(errno: number, op: string): undefined {
    if (errno === Errno.ENOENT) return undefined;
    throw errorFromErrno(errno, `${op} in map '${this.name}'`);
  }
}

/** Kernel object names: at most 15 bytes of [A-Za-z0-9_.]. */
export function sanitizeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
}
