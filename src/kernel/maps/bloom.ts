// BLOOM_FILTER maps: keyless set membership with false positives but no false negatives.
// add = update with no key; has = lookup with no key and the value as input (0: maybe present, ENOENT: absent).
import { bpfRaw, mapElemAttr, type Attr } from '../../sys/bpf.js';
import { BpfCmd, MapType, UpdateFlags } from '../../sys/constants.js';
import { Errno } from '../../sys/errno.js';
import { errorFromErrno } from '../../sys/errors.js';
import type { MapSpec } from '../../spec/collection.js';
import type { Codec } from '../codec.js';
import { BpfMap } from '../map.js';
import type { FileDescriptor } from '../fd.js';
import { updateError } from './errors.js';

export class BloomFilter<V> extends BpfMap<Uint8Array, V> {
  private readonly slot: Uint8Array;
  private readonly addAttr: Attr;
  private readonly hasAttr: Attr;

  protected constructor(fd: FileDescriptor, spec: MapSpec, value: Codec<V>) {
    if (spec.type !== MapType.BLOOM_FILTER) throw new TypeError(`BloomFilter needs a BLOOM_FILTER map, '${spec.name}' is ${MapType[spec.type]}`);
    super(fd, spec, { value });
    this.slot = new Uint8Array(Math.max(spec.valueSize, 1));
    this.addAttr = mapElemAttr(fd.value, null, this.slot, UpdateFlags.ANY);
    this.hasAttr = mapElemAttr(fd.value, null, this.slot);
  }

  static fromSpec<V>(spec: MapSpec, value: Codec<V>): BloomFilter<V> {
    return BpfMap.createAs(spec, (fd) => new BloomFilter(fd, spec, value));
  }

  add(value: V): void {
    this.load(value);
    const r = bpfRaw(BpfCmd.MAP_UPDATE_ELEM, this.addAttr);
    if (r < 0) throw updateError(-r, this.type, `add to bloom filter '${this.name}'`, this.maxEntries);
  }

  /** False: certainly never added. True: probably added (false positives possible). */
  has(value: V): boolean {
    this.load(value);
    const r = bpfRaw(BpfCmd.MAP_LOOKUP_ELEM, this.hasAttr);
    if (r === -Errno.ENOENT) return false;
    if (r < 0) throw errorFromErrno(-r, `check bloom filter '${this.name}'`);
    return true;
  }

  private load(value: V): void {
    this.slot.fill(0);
    this.valueCodec.encode(value, this.slot);
  }
}
