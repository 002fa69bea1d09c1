// BPF_MAP_*_BATCH: many elements per syscall. The kernel walks the map from an opaque cursor (in_batch) and hands
// back the next one (out_batch); ENOENT means "no more", and still comes with the last, possibly partial, batch.
import { bpfRaw, mapBatchAttr } from '../../sys/bpf.js';
import { BpfCmd, MapType } from '../../sys/constants.js';
import { Errno } from '../../sys/errno.js';
import { errorFromErrno } from '../../sys/errors.js';
import type { Codec } from '../codec.js';
import { updateError } from './errors.js';

/** Where the next batch starts: an opaque token from the kernel. */
export interface BatchCursor {
  readonly token: Uint8Array;
}

export interface Batch<K, V> {
  entries: Array<[K, V]>;
  /** Cursor for the following call; undefined when the map has been walked to the end. */
  next: BatchCursor | undefined;
}

/** What batch operations need from a map (BpfMap provides it). */
export interface BatchTarget<K, V> {
  readonly fd: { readonly value: number };
  readonly name: string;
  readonly type: MapType;
  readonly keySize: number;
  readonly maxEntries: number;
  readonly valueStride: number;
  readonly cpuSlots: number;
  readonly keyCodec: Codec<K>;
  readonly valueCodec: Codec<V>;
}

// Hash maps use a u32 bucket index as cursor, other maps a key: room for either.
const tokenSize = (m: BatchTarget<unknown, unknown>) => Math.max(m.keySize, 8);
const elementBytes = (m: BatchTarget<unknown, unknown>) => m.valueStride * m.cpuSlots;
const cmdName = (cmd: BpfCmd) => BpfCmd[cmd]!.toLowerCase().replace(/_/g, ' ');

export function runLookupBatch<K, V, T>(
  map: BatchTarget<K, V>, cmd: BpfCmd.MAP_LOOKUP_BATCH | BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH,
  cursor: BatchCursor | undefined, count: number, decodeValue: (bytes: Uint8Array) => T,
): Batch<K, T> {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`batch count must be a positive integer, got ${count}`);
  const outToken = new Uint8Array(tokenSize(map));
  const stride = elementBytes(map);
  for (;;) {
    const keys = new Uint8Array(count * map.keySize);
    const values = new Uint8Array(count * stride);
    const attr = mapBatchAttr(map.fd.value, cursor?.token ?? null, outToken, keys, values, count);
    const r = bpfRaw(cmd, attr);
    const got = attr.getU32(32);
    // A hash bucket holding more elements than `count` cannot be split: grow the batch and retry.
    if (r === -Errno.ENOSPC && got === 0) {
      count *= 2;
      continue;
    }
    if (r < 0 && r !== -Errno.ENOENT) throw errorFromErrno(-r, `${cmdName(cmd)} on map '${map.name}'`);
    const entries: Array<[K, T]> = [];
    for (let i = 0; i < got; i++) {
      const key = map.keyCodec.decode(keys.subarray(i * map.keySize, (i + 1) * map.keySize));
      entries.push([key, decodeValue(values.subarray(i * stride, (i + 1) * stride))]);
    }
    return { entries, next: r === -Errno.ENOENT ? undefined : { token: outToken } };
  }
}

/** Yields entries batch after batch until the kernel reports the end. */
export function* iterateBatches<K, T>(fetch: (cursor: BatchCursor | undefined) => Batch<K, T>): IterableIterator<[K, T]> {
  let cursor: BatchCursor | undefined;
  do {
    const batch = fetch(cursor);
    yield* batch.entries;
    cursor = batch.next;
  } while (cursor);
}

export function updateBatch<K, V>(map: BatchTarget<K, V>, entries: Array<[K, V]>, flags: number): number {
  if (entries.length === 0) return 0;
  const stride = elementBytes(map);
  const keys = new Uint8Array(entries.length * map.keySize);
  const values = new Uint8Array(entries.length * stride);
  entries.forEach(([k, v], i) => {
    map.keyCodec.encode(k, keys.subarray(i * map.keySize, (i + 1) * map.keySize));
    map.valueCodec.encode(v, values.subarray(i * stride, i * stride + map.valueCodec.size));
  });
  const attr = mapBatchAttr(map.fd.value, null, null, keys, values, entries.length, flags);
  const r = bpfRaw(BpfCmd.MAP_UPDATE_BATCH, attr);
  if (r < 0) {
    const done = attr.getU32(32);
    throw updateError(-r, map.type, `update batch on map '${map.name}' (${done} of ${entries.length} written)`, map.maxEntries);
  }
  return attr.getU32(32);
}

export function deleteBatch<K, V>(map: BatchTarget<K, V>, keys: K[]): number {
  const all = new Uint8Array(keys.length * map.keySize);
  keys.forEach((k, i) => map.keyCodec.encode(k, all.subarray(i * map.keySize, (i + 1) * map.keySize)));
  let deleted = 0;
  let start = 0;
  // The kernel stops at the first absent key and reports how many it got through: skip that key, go on.
  while (start < keys.length) {
    const chunk = all.subarray(start * map.keySize);
    const attr = mapBatchAttr(map.fd.value, null, null, chunk, null, keys.length - start);
    const r = bpfRaw(BpfCmd.MAP_DELETE_BATCH, attr);
    const done = attr.getU32(32);
    deleted += done;
    if (r === 0) break;
    if (r !== -Errno.ENOENT) throw errorFromErrno(-r, `delete batch on map '${map.name}'`);
    start += done + 1;
  }
  return deleted;
}
