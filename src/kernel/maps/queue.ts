// QUEUE (FIFO) and STACK (LIFO) maps: keyless. push = update with no key, pop = lookup-and-delete, peek = lookup.
import { bpfRaw, mapElemAttr, type Attr } from '../../sys/bpf.js';
import { BpfCmd, MapType, UpdateFlags } from '../../sys/constants.js';
import { Errno } from '../../sys/errno.js';
import { errorFromErrno } from '../../sys/errors.js';
import type { MapSpec } from '../../spec/collection.js';
import type { Codec } from '../codec.js';
import { BpfMap } from '../map.js';
import type { FileDescriptor } from '../fd.js';
import { updateError } from './errors.js';

export class QueueMap<V> extends BpfMap<Uint8Array, V> {
  private readonly slot: Uint8Array;
  private readonly pushAttr: Attr;
  private readonly popAttr: Attr;
  private readonly peekAttr: Attr;

  protected constructor(fd: FileDescriptor, spec: MapSpec, value: Codec<V>) {
    if (spec.type !== MapType.QUEUE && spec.type !== MapType.STACK) {
      throw new TypeError(`QueueMap needs a QUEUE or STACK map, '${spec.name}' is ${MapType[spec.type]}`);
    }
    if (spec.keySize !== 0) throw new RangeError(`queue/stack map '${spec.name}' must have key size 0`);
    super(fd, spec, { value });
    this.slot = new Uint8Array(Math.max(spec.valueSize, 1));
    this.pushAttr = mapElemAttr(fd.value, null, this.slot);
    this.popAttr = mapElemAttr(fd.value, null, this.slot);
    this.peekAttr = mapElemAttr(fd.value, null, this.slot);
  }

  static fromSpec<V>(spec: MapSpec, value: Codec<V>): QueueMap<V> {
    return BpfMap.createAs(spec, (fd) => new QueueMap(fd, spec, value));
  }

  /** 'queue' pops the oldest value first, 'stack' the newest. */
  get order(): 'queue' | 'stack' {
    return this.type === MapType.QUEUE ? 'queue' : 'stack';
  }

  /** Adds a value. When full: throws MapFullError, or with `overwrite` drops the oldest value to make room. */
  push(value: V, opts: { overwrite?: boolean } = {}): void {
    this.slot.fill(0);
    this.valueCodec.encode(value, this.slot);
    this.pushAttr.u64(24, opts.overwrite ? UpdateFlags.EXIST : UpdateFlags.ANY);
    const r = bpfRaw(BpfCmd.MAP_UPDATE_ELEM, this.pushAttr);
    if (r < 0) throw updateError(-r, this.type, `push to ${this.order} map '${this.name}'`, this.maxEntries);
  }

  /** Removes and returns the next value, or undefined when empty. */
  pop(): V | undefined {
    return this.take(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, this.popAttr, 'pop');
  }

  /** The next value without removing it, or undefined when empty. */
  peek(): V | undefined {
    return this.take(BpfCmd.MAP_LOOKUP_ELEM, this.peekAttr, 'peek');
  }

  /** Pops until empty. */
  *drain(): IterableIterator<V> {
    for (let v = this.pop(); v !== undefined; v = this.pop()) yield v;
  }

  private take(cmd: BpfCmd, attr: Attr, op: string): V | undefined {
    const r = bpfRaw(cmd, attr);
    if (r === -Errno.ENOENT) return undefined;
    if (r < 0) throw errorFromErrno(-r, `${op} ${this.order} map '${this.name}'`);
    return this.valueCodec.decode(this.slot);
  }
}
