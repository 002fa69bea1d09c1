// The emitted bucket code, run in the kernel through BPF_PROG_TEST_RUN, agrees with the definition.
import assert from 'node:assert/strict';
import { program, R0, R1, R2, R3 } from '../../src/isa/builder.js';
import { Program } from '../../src/kernel/program.js';
import { ProgType } from '../../src/sys/constants.js';
import { emitLinearBucket, emitLog2Bucket } from '../../src/trace/codegen/buckets.js';
import { kernelTest } from '../helpers/kernel.js';
import { histBucket017 } from '../../src/trace/output/buckets.js';

function ctxOf(v: bigint): Uint8Array {
  const ctx = new Uint8Array(8);
  new DataView(ctx.buffer).setBigInt64(0, v, true);
  return ctx;
}

const log2Bucket = histBucket017;

kernelTest('log2 and linear buckets match their definitions', () => {
  const b = program().ldx('dw', R1, R1, 0);
  emitLog2Bucket(b, R1, R2, R0);
  using log2 = Program.load({ name: 'log2', type: ProgType.SYSCALL, license: 'GPL', instructions: b.exit().build(), flags: 16 });
  const samples = [-5n, -1n, 0n, 1n, 2n, 3n, 4n, 7n, 8n, 1023n, 1024n, 1n << 32n, (1n << 40n) + 5n, (1n << 62n), (1n << 63n) - 1n, (1n << 31n) - 1n, 1n << 31n, 65535n, 65536n];
  for (const v of samples) assert.equal(log2.testRun({ ctx: ctxOf(v) }).retval, log2Bucket(v), `log2 bucket of ${v}`);

  const l = program().ldx('dw', R1, R1, 0);
  emitLinearBucket(l, R1, R0, 0, 100, 10);
  using lin = Program.load({ name: 'lin', type: ProgType.SYSCALL, license: 'GPL', instructions: l.exit().build(), flags: 16 });
  const expected = (v: number) => (v < 0 ? 0 : v >= 100 ? 11 : Math.floor(v / 10) + 1);
  for (const v of [-1, 0, 9, 10, 55, 99, 100, 1000]) assert.equal(lin.testRun({ ctx: ctxOf(BigInt(v)) }).retval, expected(v), `lhist bucket of ${v}`);
  void R3;
});
