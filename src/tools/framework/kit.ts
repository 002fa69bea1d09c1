// Small pieces of eBPF the tools share, written with the isa builder.
import { R0, R1, R2, R3, R4, type ProgramBuilder, type Register } from '../../isa/builder.js';
import { Helper } from '../../isa/helpers.js';
import { UpdateFlags } from '../../sys/constants.js';
import { MAX_SLOTS } from './histogram.js';

let uniq = 0;

/**
 * out = floor(log2(value)) for an unsigned 64-bit value (0 and 1 → 0), capped at MAX_SLOTS - 1: the slot of a
 * libbpf-tools log2 histogram. `value` and `tmp` are clobbered; all three registers must differ.
 */
export function emitLog2Slot(b: ProgramBuilder, value: Register, tmp: Register, out: Register): void {
  const id = uniq++;
  b.mov(out, 0);
  for (const shift of [32, 16, 8, 4, 2, 1]) {
    const skip = `slot_skip${shift}_${id}`;
    b.mov(tmp, value).rsh(tmp, shift).jeq(tmp, 0, skip).mov(value, tmp).add(out, shift).label(skip);
  }
  const done = `slot_done_${id}`;
  b.jlt(out, MAX_SLOTS, done).mov(out, MAX_SLOTS - 1).label(done);
}

/** A place in memory: a register (FP or a callee-saved one holding a pointer) plus an offset. */
export interface StackPlace {
  reg: Register;
  off: number;
}

/**
 * counts[key] += 1 for the key at `key` (the u64 value is created at 1 when absent). Needs 8 bytes of scratch at
 * `scratch`. If another CPU creates the entry between our lookup and update, adds to theirs: no count is lost.
 * Clobbers R0-R5.
 */
export function emitCount(b: ProgramBuilder, map: string, key: StackPlace, scratch: StackPlace): void {
  const id = uniq++;
  const keyArg = () => b.mov(R2, key.reg).add(R2, key.off);
  const lookup = () => {
    b.loadMap(R1, map);
    keyArg();
    b.call(Helper.map_lookup_elem);
  };
  lookup();
  b.jeq(R0, 0, `count_new_${id}`);
  b.label(`count_add_${id}`).mov(R1, 1).atomic('dw', 'add', R0, 0, R1).ja(`count_done_${id}`);
  b.label(`count_new_${id}`).st('dw', scratch.reg, scratch.off, 1);
  b.loadMap(R1, map);
  keyArg();
  b.mov(R3, scratch.reg).add(R3, scratch.off).mov(R4, UpdateFlags.NOEXIST).call(Helper.map_update_elem);
  b.jeq(R0, 0, `count_done_${id}`);
  lookup();
  b.jne(R0, 0, `count_add_${id}`);
  b.label(`count_done_${id}`);
}
