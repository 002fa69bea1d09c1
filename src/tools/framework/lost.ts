// Ring buffer records and the ones lost: records a ring buffer had no room for. The eBPF side counts each failed
// reserve/output in a one-slot array; ToolSession.reportLost says how many on stderr, as libbpf-tools' "lost N
// events" messages do.
import { R0, R1, R2, R3, type ProgramBuilder, type Register } from '../../isa/builder.js';
import { Helper } from '../../isa/helpers.js';
import type { MapSpec } from '../../spec/collection.js';
import { MapType } from '../../sys/constants.js';

/** The default name of the counter map. */
export const LOST = 'lost';

/** A one-slot u64 counter of records the ring buffer dropped. */
export function lostCounter(name = LOST): MapSpec {
  return { name, type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 };
}

/** counter += 1, atomically (several CPUs may drop records at once). Clobbers R1 and R2. */
export function emitCountLost(b: ProgramBuilder, name = LOST): void {
  b.loadMapValue(R1, name).mov(R2, 1).atomic('dw', 'add', R1, 0, R2);
}

/** The stderr line for `count` newly lost records. */
export function lostMessage(tool: string, count: bigint): string {
  return `bpfkit ${tool}: lost ${count} events (ring buffer full)\n`;
}

let uniq = 0;

/**
 * R0 = a `size`-byte record reserved in ring buffer `ringbuf`; when the buffer is full the record is counted lost
 * and the program jumps to `fail`. Clobbers R1-R5.
 */
export function emitReserve(b: ProgramBuilder, size: number, fail: string, ringbuf = 'events', lost = LOST): void {
  const reserved = `reserved_${uniq++}`;
  b.loadMap(R1, ringbuf).mov(R2, size).mov(R3, 0).call(Helper.ringbuf_reserve).jne(R0, 0, reserved);
  emitCountLost(b, lost);
  b.ja(fail).label(reserved);
}

/** The maps of a tool that sends records: ring buffer `events` of `bytes` bytes and its `lost` counter. */
export function ringbufMaps(bytes: number): Record<string, MapSpec> {
  return { events: { name: 'events', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: bytes }, [LOST]: lostCounter() };
}

/**
 * Submits the reserved record in `rec` and jumps to `after`; code that jumps to label `discard` gives the
 * reservation back instead (a record a filter rejected) and falls through.
 */
export function emitSubmitOrDiscard(b: ProgramBuilder, rec: Register, discard: string, after: string): void {
  b.mov(R1, rec).mov(R2, 0).call(Helper.ringbuf_submit).ja(after);
  b.label(discard).mov(R1, rec).mov(R2, 0).call(Helper.ringbuf_discard);
}
