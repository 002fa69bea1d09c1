// A kernel BPF map with typed keys and values. Lookups reuse preallocated buffers and attrs: one syscall per call.
import { Attr, bpf, bpfRaw, mapCreateAttr, mapElemAttr, objPathAttr, u32Attr } from '../sys/bpf.js';
import { BpfCmd, MapType, UpdateFlags } from '../sys/constants.js';
import { Errno } from '../sys/errno.js';
import { errorFromErrno } from '../sys/errors.js';
import type { MapSpec } from '../spec/collection.js';
import { bytes, type Codec } from './codec.js';
import { possibleCpuCount } from './cpus.js';
import { FileDescriptor } from './fd.js';
import { mapInfo, type MapInfo } from './info.js';
import { pinObject } from './pin.js';

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
  }

  /** Creates a map in the kernel. */
  static create<K = Uint8Array, V = Uint8Array>(spec: MapSpec, codecs: MapCodecs<K, V> = {}): BpfMap<K, V> {
    let inner: BpfMap | undefined;
    if (spec.innerMap) inner = BpfMap.create(spec.innerMap);
    try {
      const raw = bpf(BpfCmd.MAP_CREATE, mapCreateAttr({
        mapType: spec.type, keySize: spec.keySize, valueSize: spec.valueSize, maxEntries: spec.maxEntries,
        flags: spec.flags ?? 0, innerMapFd: inner?.fd.value ?? 0, name: sanitizeName(spec.name),
        btfFd: spec.btfFd ?? 0, btfKeyTypeId: spec.btfKeyTypeId ?? 0, btfValueTypeId: spec.btfValueTypeId ?? 0,
        mapExtra: spec.mapExtra ?? 0n,
      }), () => `create map '${spec.name}' (${MapType[spec.type] ?? spec.type})`);
      const map = new BpfMap<K, V>(new FileDescriptor(raw, `map ${spec.name}`), spec, codecs);
      for (const [k, v] of spec.contents ?? []) map.updateRaw(k, v);
      if (spec.freeze) map.freeze();
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
    this.requireSingleValue('lookup');
    this.keyCodec.encode(key, this.keyBuf);
    const r = bpfRaw(BpfCmd.MAP_LOOKUP_ELEM, this.lookupAttr);
    if (r < 0) return this.missOrThrow(-r, 'lookup');
    return this.valueCodec.decode(this.valueBuf);
  }

  /** Per-CPU maps: one value per possible CPU, or undefined when absent. */
  lookupPerCpu(key: K): V[] | undefined {
    this.keyCodec.encode(key, this.keyBuf);
    const r = bpfRaw(BpfCmd.MAP_LOOKUP_ELEM, this.lookupAttr);
    if (r < 0) return this.missOrThrow(-r, 'lookup');
    return this.splitPerCpu(this.valueBuf);
  }

  update(key: K, value: V, flags: number = UpdateFlags.ANY): void {
    this.requireSingleValue('update');
    this.keyCodec.encode(key, this.keyBuf);
    this.valueCodec.encode(value, this.valueBuf.subarray(0, this.valueSize));
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

  /** Deletes key; returns false when it was absent. */
  delete(key: K): boolean {
    this.keyCodec.encode(key, this.keyBuf);
    const r = bpfRaw(BpfCmd.MAP_DELETE_ELEM, this.deleteAttr);
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
    this.fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  protected doUpdate(flags: number): void {
    this.updateAttr.u64(24, flags);
    const r = bpfRaw(BpfCmd.MAP_UPDATE_ELEM, this.updateAttr);
    if (r < 0) throw errorFromErrno(-r, `update map '${this.name}' (${MapType[this.type]})`);
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
