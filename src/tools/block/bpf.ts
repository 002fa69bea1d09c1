// eBPF pieces the block tools share: which disk a request is for, and counting into a histogram map whose key ends
// in the slot (user space gathers the slots of a key into one histogram).
import { FP, R0, R1, R2, R6, type ProgramBuilder, type Register } from '../../isa/builder.js';
import { Helper } from '../../isa/helpers.js';
import { MapType } from '../../sys/constants.js';
import type { MapSpec } from '../../spec/collection.js';
import { kernelOffset } from '../framework/kernel-types.js';

let uniq = 0;

/** Where struct request keeps what the tools read, on this kernel (BTF). */
export function requestLayout() {
  return {
    q: kernelOffset('request', 'q'),
    cmdFlags: kernelOffset('request', 'cmd_flags'),
    dataLen: kernelOffset('request', '__data_len'),
    sector: kernelOffset('request', '__sector'),
    queueDisk: kernelOffset('request_queue', 'disk'),
    diskMajor: kernelOffset('gendisk', 'major'),
    diskFirstMinor: kernelOffset('gendisk', 'first_minor'),
  };
}

/**
 * out = MKDEV(major, first_minor) of the disk request `rq` (a BTF pointer) is for, 0 when it has none (as
 * libbpf-tools do: rq->q->disk). Clobbers tmp; rq is kept.
 */
export function emitRequestDev(b: ProgramBuilder, rq: Register, out: Register, tmp: Register): void {
  const l = requestLayout();
  const id = uniq++;
  b.ldx('dw', out, rq, l.q).jeq(out, 0, `nodisk_${id}`);
  b.ldx('dw', out, out, l.queueDisk).jeq(out, 0, `nodisk_${id}`);
  b.ldx('w', tmp, out, l.diskMajor).ldx('w', out, out, l.diskFirstMinor);
  b.and(out, 0xfffff).lsh(tmp, 20).or(out, tmp).ja(`dev_done_${id}`);
  b.label(`nodisk_${id}`).mov(out, 0);
  b.label(`dev_done_${id}`);
}

export function hashMap(name: string, keySize: number, valueSize: number, maxEntries = 10240): MapSpec {
  return { name, type: MapType.HASH, keySize, valueSize, maxEntries };
}

/** Groups counts keyed by (prefix, slot) into one slot array per prefix, in first-seen order. */
export function gatherSlots(entries: Iterable<[Uint8Array, Uint8Array]>, slotOffset: number, slotCount: number): Map<string, { key: Uint8Array; slots: bigint[] }> {
  const out = new Map<string, { key: Uint8Array; slots: bigint[] }>();
  for (const [key, value] of entries) {
    const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
    const slot = view.getUint32(slotOffset, true);
    const prefix = key.subarray(0, slotOffset);
    const id = Buffer.from(prefix).toString('hex');
    let h = out.get(id);
    if (!h) out.set(id, (h = { key: prefix.slice(), slots: new Array<bigint>(slotCount).fill(0n) }));
    if (slot < slotCount) h.slots[slot]! += new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0, true);
  }
  return out;
}

/**
 * Opening of a block_rq_complete program: R6 = the struct request, also stored at FP-8 as the key of map `start`;
 * R0 = its start entry. Requests we did not see start jump to `skip`.
 */
export function emitLookupStart(b: ProgramBuilder, skip: string): void {
  b.ldx('dw', R6, R1, 0);
  b.stx('dw', FP, -8, R6);
  b.loadMap(R1, 'start').mov(R2, FP).add(R2, -8).call(Helper.map_lookup_elem);
  b.jeq(R0, 0, skip);
}

/** Deletes the request's start entry (key at FP-8, as emitLookupStart left it). */
export function emitForgetStart(b: ProgramBuilder): void {
  b.loadMap(R1, 'start').mov(R2, FP).add(R2, -8).call(Helper.map_delete_elem);
}
