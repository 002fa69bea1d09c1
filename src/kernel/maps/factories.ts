// One typed constructor per map type: the right key/value sizes, flags and class, from codecs.
import { MapFlags, MapType } from '../../sys/constants.js';
import type { MapSpec } from '../../spec/collection.js';
import { u32, type Codec } from '../codec.js';
import { possibleCpuCount } from '../cpus.js';
import { BpfMap } from '../map.js';
import { pageSize } from '../readers/page.js';
import { BloomFilter } from './bloom.js';
import { MapOfMaps, PerfEventArray, ProgArray, type FdRef } from './fd-array.js';
import { QueueMap } from './queue.js';
import { DEFAULT_STACK_DEPTH, stackFrames } from './stack-trace.js';

interface Sized {
  name: string;
  maxEntries: number;
  /** Extra BPF_F_* map flags. */
  flags?: number;
}
interface Keyed<K, V> extends Sized {
  key: Codec<K>;
  value: Codec<V>;
}
interface Indexed<V> extends Sized {
  value: Codec<V>;
}

function keyed<K, V>(type: MapType, o: Keyed<K, V>, extraFlags = 0): BpfMap<K, V> {
  const spec: MapSpec = {
    name: o.name, type, keySize: o.key.size, valueSize: o.value.size, maxEntries: o.maxEntries,
    flags: (o.flags ?? 0) | extraFlags,
  };
  return BpfMap.create(spec, { key: o.key, value: o.value });
}

export const hashMap = <K, V>(o: Keyed<K, V>) => keyed(MapType.HASH, o);
export const percpuHashMap = <K, V>(o: Keyed<K, V>) => keyed(MapType.PERCPU_HASH, o);
export const lruHashMap = <K, V>(o: Keyed<K, V>) => keyed(MapType.LRU_HASH, o);
export const lruPercpuHashMap = <K, V>(o: Keyed<K, V>) => keyed(MapType.LRU_PERCPU_HASH, o);

/** ARRAY indexed by u32. `mmapable` adds BPF_F_MMAPABLE so map.mmap() works. */
export function arrayMap<V>(o: Indexed<V> & { mmapable?: boolean }): BpfMap<number, V> {
  return keyed(MapType.ARRAY, { ...o, key: u32 }, o.mmapable ? MapFlags.MMAPABLE : 0);
}

export const percpuArrayMap = <V>(o: Indexed<V>) => keyed(MapType.PERCPU_ARRAY, { ...o, key: u32 });

/** LPM_TRIE with a prefix key codec (lpmKey(n), cidr4, cidr6). BPF_F_NO_PREALLOC is required and added. */
export const lpmTrie = <K, V>(o: Keyed<K, V>) => keyed(MapType.LPM_TRIE, o, MapFlags.NO_PREALLOC);

/** RINGBUF of `size` bytes (a power of two, at least one page). Read it with the readers in kernel/readers. */
export function ringBuffer(o: { name: string; size: number }): BpfMap {
  const page = pageSize();
  if (!Number.isInteger(o.size) || o.size < page || (o.size & (o.size - 1)) !== 0) {
    throw new RangeError(`ring buffer '${o.name}': size ${o.size} must be a power of two and at least a page (${page})`);
  }
  return BpfMap.create({ name: o.name, type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: o.size });
}

/** PERF_EVENT_ARRAY with one slot per possible CPU unless told otherwise. */
export function perfEventArray(o: { name: string; maxEntries?: number }): PerfEventArray {
  return PerfEventArray.fromSpec({
    name: o.name, type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: o.maxEntries ?? possibleCpuCount(),
  });
}

export function progArray(o: { name: string; maxEntries: number }): ProgArray {
  return ProgArray.fromSpec({ name: o.name, type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: o.maxEntries });
}

/** STACK_TRACE: stack id → instruction pointers (at most `depth`, default 127). */
export function stackTraceMap(o: Sized & { depth?: number }): BpfMap<number, bigint[]> {
  const frames = stackFrames(o.depth ?? DEFAULT_STACK_DEPTH);
  return BpfMap.create({
    name: o.name, type: MapType.STACK_TRACE, keySize: 4, valueSize: frames.size, maxEntries: o.maxEntries, flags: o.flags ?? 0,
  }, { key: u32, value: frames });
}

const keyless = (type: MapType, o: Indexed<unknown>, mapExtra?: bigint): MapSpec => ({
  name: o.name, type, keySize: 0, valueSize: o.value.size, maxEntries: o.maxEntries, flags: o.flags ?? 0,
  ...(mapExtra !== undefined ? { mapExtra } : {}),
});

/** QUEUE: FIFO of values. */
export const queueMap = <V>(o: Indexed<V>) => QueueMap.fromSpec(keyless(MapType.QUEUE, o), o.value);
/** STACK: LIFO of values. */
export const stackMap = <V>(o: Indexed<V>) => QueueMap.fromSpec(keyless(MapType.STACK, o), o.value);

/** BLOOM_FILTER sized for maxEntries values, with `hashes` hash functions (1..15, kernel default 5). */
export function bloomFilter<V>(o: Indexed<V> & { hashes?: number }): BloomFilter<V> {
  if (o.hashes !== undefined && (!Number.isInteger(o.hashes) || o.hashes < 1 || o.hashes > 15)) {
    throw new RangeError(`bloom filter '${o.name}': hashes must be 1..15, got ${o.hashes}`);
  }
  return BloomFilter.fromSpec(keyless(MapType.BLOOM_FILTER, o, o.hashes === undefined ? undefined : BigInt(o.hashes)), o.value);
}

type InnerShape = MapSpec | FdRef;
const isSpec = (inner: InnerShape): inner is MapSpec => typeof inner === 'object' && 'type' in inner && 'keySize' in inner && !('fd' in inner);

function mapOfMaps<K>(type: MapType, o: Sized & { key: Codec<K>; inner: InnerShape }): MapOfMaps<K> {
  const spec: MapSpec = { name: o.name, type, keySize: o.key.size, valueSize: 4, maxEntries: o.maxEntries, flags: o.flags ?? 0 };
  if (isSpec(o.inner)) return MapOfMaps.fromSpec({ ...spec, innerMap: o.inner }, o.key);
  return MapOfMaps.fromSpec(spec, o.key, o.inner);
}

/** ARRAY_OF_MAPS; `inner` is the inner maps' shape: a MapSpec or an existing map used as template. */
export const arrayOfMaps = (o: Sized & { inner: InnerShape }) => mapOfMaps(MapType.ARRAY_OF_MAPS, { ...o, key: u32 });
export const hashOfMaps = <K>(o: Sized & { key: Codec<K>; inner: InnerShape }) => mapOfMaps(MapType.HASH_OF_MAPS, o);
