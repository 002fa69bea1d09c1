// Small BPF program snippets shared by the map tests: socket filters that read or write one map element and
// report through r0, run with BPF_PROG_TEST_RUN.
import { FP, program, R0, R1, R2, R3, R4, R6, type ProgramBuilder } from '../../src/isa/builder.js';
import { Helper } from '../../src/isa/helpers.js';
import { Program, type MapRef } from '../../src/kernel/program.js';
import { ProgType } from '../../src/sys/constants.js';

export const MISSING = -1;

/** Writes `bytes` to the stack at fp+off, four bytes at a time where it can. */
export function stackBytes(p: ProgramBuilder, off: number, bytes: Uint8Array): ProgramBuilder {
  let i = 0;
  for (; i + 4 <= bytes.length; i += 4) {
    p.st('w', FP, off + i, new DataView(bytes.buffer, bytes.byteOffset + i, 4).getInt32(0, true));
  }
  for (; i < bytes.length; i++) p.st('b', FP, off + i, bytes[i]!);
  return p;
}

export const le32 = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); return b; };
export const le64 = (v: bigint) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, v, true); return b; };

/** reg = fp + off */
export function stackPtr(p: ProgramBuilder, reg: typeof R1, off: number): ProgramBuilder {
  return p.mov(reg, FP).add(reg, off);
}

export function loadFilter(name: string, p: ProgramBuilder, maps: Record<string, MapRef> = {}, type = ProgType.SOCKET_FILTER): Program {
  return Program.load({ name, type, instructions: p.build(), license: 'GPL' }, { maps });
}

/** Runs a socket filter once on a small packet; returns r0 as a signed 32-bit number. */
export function run(prog: Program, repeat = 1): number {
  return prog.testRun({ data: new Uint8Array(64), repeat }).retval | 0;
}

/** A program returning the u32 (or low half of the u64) stored at map[key], or -1 when the key is absent. */
export function readerProgram(mapName: string, key: Uint8Array): ProgramBuilder {
  const p = program();
  stackBytes(p, -64, key);
  p.loadMap(R1, mapName);
  stackPtr(p, R2, -64);
  p.call(Helper.map_lookup_elem)
    .jeq(R0, 0, 'miss')
    .ldx('w', R0, R0, 0)
    .exit()
    .label('miss').mov(R0, MISSING).exit();
  return p;
}

/** A program doing map[key] = value (bpf_map_update_elem) and returning the helper's result. */
export function writerProgram(mapName: string, key: Uint8Array, value: Uint8Array, flags = 0): ProgramBuilder {
  const p = program();
  stackBytes(p, -64, key);
  stackBytes(p, -128, value);
  p.loadMap(R1, mapName);
  stackPtr(p, R2, -64);
  stackPtr(p, R3, -128);
  p.mov(R4, flags).call(Helper.map_update_elem).exit();
  return p;
}

/** A program that looks up map[key] and returns the u32 there minus the current CPU number (per-CPU maps). */
export function perCpuReaderProgram(mapName: string, key: Uint8Array): ProgramBuilder {
  const p = program();
  stackBytes(p, -64, key);
  p.loadMap(R1, mapName);
  stackPtr(p, R2, -64);
  p.call(Helper.map_lookup_elem)
    .jeq(R0, 0, 'miss')
    .ldx('w', R6, R0, 0)
    .call(Helper.get_smp_processor_id)
    .sub(R6, R0)
    .mov(R0, R6)
    .exit()
    .label('miss').mov(R0, MISSING).exit();
  return p;
}

/** A program that adds `delta` to the u64 at map[key] in place (this CPU's slot for per-CPU maps). */
export function adderProgram(mapName: string, key: Uint8Array, delta: number): ProgramBuilder {
  const p = program();
  stackBytes(p, -64, key);
  p.loadMap(R1, mapName);
  stackPtr(p, R2, -64);
  p.call(Helper.map_lookup_elem)
    .jeq(R0, 0, 'miss')
    .mov(R1, delta)
    .atomic('dw', 'add', R0, 0, R1)
    .mov(R0, 0)
    .exit()
    .label('miss').mov(R0, MISSING).exit();
  return p;
}

export { R0, R1, R2, R3, R4, R6, FP, program, Helper };
