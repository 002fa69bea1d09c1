// Memory-mapped BPF_F_MMAPABLE arrays: the map's values live in pages shared with the kernel, so reads and writes
// are plain memory accesses. The kernel lays elements out round_up(value_size, 8) apart from offset 0.
import { MapFlags, MapType } from '../../sys/constants.js';
import { errorFromErrno } from '../../sys/errors.js';
import { native } from '../../sys/native.js';
import type { Codec } from '../codec.js';
import { pageSize } from '../readers/page.js';

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;

export interface MmapOptions {
  /** Map read-only (required for frozen maps). Default: read-write. */
  readOnly?: boolean;
}

/** What mmap needs from a map (BpfMap provides it). */
export interface MmapTarget<V> {
  readonly fd: { readonly value: number };
  readonly name: string;
  readonly type: MapType;
  readonly flags: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly valueCodec: Codec<V>;
}

/** A typed view over a mapped array. After close() (or the map's close) it is empty: length 0, bytes empty. */
export class MappedArray<V> implements Disposable {
  /** The raw mapped bytes (all elements, then page padding); empty once unmapped. */
  readonly bytes: Uint8Array;
  /** Distance between elements in bytes. */
  readonly stride: number;
  private readonly entries: number;

  constructor(
    private readonly buffer: ArrayBuffer,
    private readonly codec: Codec<V>,
    stride: number,
    entries: number,
    private readonly onClose: () => void,
  ) {
    this.bytes = new Uint8Array(buffer);
    this.stride = stride;
    this.entries = entries;
  }

  /** Number of elements; 0 once unmapped. */
  get length(): number {
    return this.bytes.byteLength === 0 ? 0 : this.entries;
  }

  get(index: number): V {
    return this.codec.decode(this.slot(index));
  }

  set(index: number, value: V): void {
    this.codec.encode(value, this.slot(index));
  }

  /** The bytes of element `index` (a live window into the map). */
  slot(index: number): Uint8Array {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(this.length === 0 ? 'mapped array is unmapped (its map was closed)'
        : `index ${index} is outside the mapped array (0..${this.length - 1})`);
    }
    const off = index * this.stride;
    return this.bytes.subarray(off, off + this.codec.size);
  }

  /** Unmaps (detaching the buffer first, so stale views read empty instead of crashing). Idempotent. */
  close(): void {
    if (this.bytes.byteLength === 0) return;
    native.munmap(this.buffer);
    this.onClose();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export function mmapArray<V>(map: MmapTarget<V>, opts: MmapOptions, onClose: () => void): MappedArray<V> {
  if (map.type !== MapType.ARRAY || (map.flags & MapFlags.MMAPABLE) === 0) {
    throw new TypeError(`map '${map.name}' cannot be mmapped: only ARRAY maps created with BPF_F_MMAPABLE can`);
  }
  const stride = Math.ceil(map.valueSize / 8) * 8;
  const page = pageSize();
  const length = Math.ceil((stride * map.maxEntries) / page) * page;
  const prot = opts.readOnly ? PROT_READ : PROT_READ | PROT_WRITE;
  const r = native.mmap(map.fd.value, length, prot, MAP_SHARED, 0);
  if (typeof r === 'number') {
    throw errorFromErrno(-r, `mmap map '${map.name}'${opts.readOnly ? '' : ' read-write (frozen maps map read-only only)'}`);
  }
  return new MappedArray(r, map.valueCodec, stride, map.maxEntries, onClose);
}
