import assert from 'node:assert/strict';
import { BpfMap } from '../../src/kernel/map.js';
import { Program, VerifierError } from '../../src/kernel/program.js';
import { u32, u64 } from '../../src/kernel/codec.js';
import { MapType, ProgType } from '../../src/sys/constants.js';
import { kernelTest } from '../helpers/kernel.js';
import type { Instruction } from '../../src/isa/instruction.js';

const I = (opcode: number, dst: number, src: number, offset: number, imm: number, extra: Partial<Instruction> = {}): Instruction =>
  ({ opcode, dst, src, offset, imm, ...extra });

kernelTest('array map round trip and a socket filter test run', () => {
  using map = BpfMap.create({ name: 'smoke', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 }, { key: u32, value: u64 });
  map.update(1, 42n);
  assert.equal(map.lookup(1), 42n);
  assert.equal(map.lookup(9), undefined);
  // r0 = *(u64 *)lookup(map, &1); return r0 -- via helper 1 (map_lookup_elem)
  const insns: Instruction[] = [
    I(0x62, 10, 0, -4, 1),                                   // *(u32 *)(r10 - 4) = 1
    I(0xbf, 2, 10, 0, 0), I(0x07, 2, 0, 0, -4),              // r2 = r10 - 4
    I(0x18, 1, 1, 0, 0, { reference: 'smoke', constant: 0n }), // r1 = map fd
    I(0x85, 0, 0, 0, 1),                                     // call map_lookup_elem
    I(0x15, 0, 0, 1, 0),                                     // if r0 == 0 goto +1
    I(0x79, 0, 0, 0, 0),                                     // r0 = *(u64 *)(r0 + 0)
    I(0x95, 0, 0, 0, 0),                                     // exit
  ];
  using prog = Program.load({ name: 'smoke', type: ProgType.SOCKET_FILTER, instructions: insns, license: 'GPL' }, { maps: { smoke: map } });
  const r = prog.testRun({ data: new Uint8Array(64) });
  assert.equal(r.retval, 42);
});

kernelTest('a rejected program reports the verifier reason and instruction', () => {
  const insns: Instruction[] = [I(0x95, 0, 0, 0, 0)]; // exit without setting r0
  assert.throws(
    () => Program.load({ name: 'bad', type: ProgType.SOCKET_FILTER, instructions: insns, license: 'GPL' }),
    (err: unknown) => err instanceof VerifierError && /R0 !read_ok/.test(err.message) && /at instruction 0/.test(err.message),
  );
});
