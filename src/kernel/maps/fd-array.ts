// Maps whose values are kernel objects given by fd and read back as ids: map-in-map (ARRAY_OF_MAPS,
// HASH_OF_MAPS), PROG_ARRAY (tail calls) and PERF_EVENT_ARRAY (perf output buffers).
import { bpf, idAttr } from '../../sys/bpf.js';
import { BpfCmd, MapType } from '../../sys/constants.js';
import type { MapSpec } from '../../spec/collection.js';
import { u32, type Codec } from '../codec.js';
import { BpfMap, type MapCodecs } from '../map.js';
import type { FileDescriptor } from '../fd.js';

/** An object with an fd (BpfMap, Program, FileDescriptor holder) or a bare fd number. */
export type FdRef = { readonly fd: { readonly value: number } } | number;

const fdOf = (ref: FdRef): number => (typeof ref === 'number' ? ref : ref.fd.value);

function requireType(spec: MapSpec, types: MapType[], what: string): void {
  if (!types.includes(spec.type)) {
    throw new TypeError(`${what} needs a ${types.map((t) => MapType[t]).join(' or ')} map, '${spec.name}' is ${MapType[spec.type]}`);
  }
  if (spec.valueSize !== 4) throw new RangeError(`${what} '${spec.name}': value size must be 4 (an fd), got ${spec.valueSize}`);
}

/** ARRAY_OF_MAPS / HASH_OF_MAPS. User space stores inner maps by fd and reads back their ids. */
export class MapOfMaps<K = number> extends BpfMap<K, number> {
  protected constructor(fd: FileDescriptor, spec: MapSpec, key: Codec<K>) {
    super(fd, spec, { key, value: u32 });
  }

  /**
   * Creates the outer map. Inner maps must match `template` (an existing map) or spec.innerMap; every inner map
   * stored later must have the same type, key and value size (and max_entries, unless the template has
   * BPF_F_INNER_MAP).
   */
  static fromSpec<K = number>(spec: MapSpec, key: Codec<K>, template?: FdRef): MapOfMaps<K> {
    requireType(spec, [MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS], 'MapOfMaps');
    if (!spec.innerMap && template === undefined) throw new TypeError(`map-in-map '${spec.name}' needs an inner map spec or template`);
    const tpl = template === undefined ? undefined : { fd: { value: fdOf(template) } };
    return BpfMap.createAs(spec, (fd) => new MapOfMaps(fd, spec, key), tpl);
  }

  /** Stores inner map `inner` at key (the map keeps its own reference; closing `inner` here is fine). */
  setInner(key: K, inner: FdRef, flags?: number): void {
    this.update(key, fdOf(inner), flags);
  }

  /** The id of the inner map at key, or undefined. */
  innerId(key: K): number | undefined {
    return this.lookup(key);
  }

  /** Opens the inner map at key by id (a new fd the caller owns), or undefined when the slot is empty. */
  openInner<IK = Uint8Array, IV = Uint8Array>(key: K, codecs: MapCodecs<IK, IV> = {}): BpfMap<IK, IV> | undefined {
    const id = this.innerId(key);
    if (id === undefined) return undefined;
    const fd = bpf(BpfCmd.MAP_GET_FD_BY_ID, idAttr(id), `open inner map id ${id} of '${this.name}'`);
    return BpfMap.fromFd(fd, codecs);
  }
}

/** PROG_ARRAY: slots a program can bpf_tail_call() into. */
export class ProgArray extends BpfMap<number, number> {
  protected constructor(fd: FileDescriptor, spec: MapSpec) {
    super(fd, spec, { key: u32, value: u32 });
  }

  static fromSpec(spec: MapSpec): ProgArray {
    requireType(spec, [MapType.PROG_ARRAY], 'ProgArray');
    return BpfMap.createAs(spec, (fd) => new ProgArray(fd, spec));
  }

  /** Puts program `prog` (same program type as the caller) at index. */
  set(index: number, prog: FdRef): void {
    this.update(index, fdOf(prog));
  }

  /** Empties index (a tail call to it then falls through); false when it was already empty. */
  clear(index: number): boolean {
    return this.delete(index);
  }

  /** The id of the program at index, or undefined. */
  programId(index: number): number | undefined {
    return this.lookup(index);
  }
}

/** PERF_EVENT_ARRAY: per-CPU perf event fds that bpf_perf_event_output() writes into. */
export class PerfEventArray extends BpfMap<number, number> {
  protected constructor(fd: FileDescriptor, spec: MapSpec) {
    super(fd, spec, { key: u32, value: u32 });
  }

  static fromSpec(spec: MapSpec): PerfEventArray {
    requireType(spec, [MapType.PERF_EVENT_ARRAY], 'PerfEventArray');
    return BpfMap.createAs(spec, (fd) => new PerfEventArray(fd, spec));
  }

  /** Stores a perf event fd (usually the BPF_OUTPUT event opened on CPU `index`). */
  set(index: number, perfEvent: FdRef): void {
    this.update(index, fdOf(perfEvent));
  }

  clear(index: number): boolean {
    return this.delete(index);
  }
}
