// The builder: encodings of each method, label resolution, and the helper table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { program, R0, R1, R2, R3, R6, R10 } from '../../src/isa/builder.js';
import { disassemble } from '../../src/isa/disasm.js';
import { Helper, helperId, helperName } from '../../src/isa/helpers.js';
import { encode } from '../../src/isa/instruction.js';

const text = (b: ReturnType<typeof program>): string => disassemble(b.build(), { index: false, symbols: false });

test('builder methods encode what their names say', () => {
  assert.equal(text(program().mov32(R1, R2).sub(R1, 3).mul(R1, R2).div(R1, 2).mod(R1, R3).neg(R1).lsh(R1, 1).rsh(R1, 1).arsh(R1, 1)),
    ['(bc) w1 = w2', '(17) r1 -= 3', '(2f) r1 *= r2', '(37) r1 /= 2', '(9f) r1 %= r3', '(87) r1 = -r1', '(67) r1 <<= 1',
      '(77) r1 >>= 1', '(c7) r1 s>>= 1', ''].join('\n'));
  assert.equal(text(program().sdiv(R1, R2).smod(R1, 3).movsx(R1, R2, 16).movsx32(R1, R2, 8).be(R1, 32).le(R1, 16).bswap(R1, 64)),
    ['(3f) r1 s/= r2', '(97) r1 s%= 3', '(bf) r1 = (s16)r2', '(bc) w1 = (s8)w2', '(dc) r1 = be32 r1', '(d4) r1 = le16 r1',
      '(d7) r1 = bswap64 r1', ''].join('\n'));
  assert.equal(text(program().ldx('h', R0, R1, 6).ldxsx('w', R0, R1, -4).stx('b', R10, -1, R6).st('dw', R10, -16, 7)),
    ['(69) r0 = *(u16 *)(r1 +6)', '(81) r0 = *(s32 *)(r1 -4)', '(73) *(u8 *)(r10 -1) = r6', '(7a) *(u64 *)(r10 -16) = 7', ''].join('\n'));
  assert.equal(text(program().atomic('w', 'or', R1, 0, R2, true).atomic('dw', 'xchg', R1, 8, R2).atomic('dw', 'cmpxchg', R1, 0, R3)),
    ['(c3) r2 = atomic_fetch_or((u32 *)(r1 +0), r2)', '(db) r2 = atomic64_xchg((u64 *)(r1 +8), r2)',
      '(db) r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r3)', ''].join('\n'));
  assert.equal(text(program().ldabs('b', 23).ldind('w', R6, 4).call(Helper.ktime_get_ns).callKfunc(77)),
    ['(30) r0 = *(u8 *)skb[23]', '(40) r0 = *(u32 *)skb[r6 + 4]', '(85) call bpf_ktime_get_ns#5', '(85) call kernel-function#77', ''].join('\n'));
});

test('builder jumps resolve to slot distances (lddw counts two)', () => {
  const insns = program().jmp32('jgt', R1, 5, 'end').lddw(R0, 1n << 40n).label('end').exit().build();
  assert.equal(insns[0]!.offset, 2);
  assert.equal(encode(insns).length, 32);
});

test('builder errors: unknown labels, immediates that do not fit, dangling labels', () => {
  assert.throws(() => program().ja('nowhere').build(), /unknown label 'nowhere'/);
  assert.throws(() => program().mov(R0, 2 ** 33), /does not fit in 32 bits/);
  assert.throws(() => program().exit().label('x').build(), /mark no instruction/);
});

test('the helper table follows the kernel uapi list', () => {
  assert.equal(Helper.map_lookup_elem, 1);
  assert.equal(Helper.trace_printk, 6);
  assert.equal(Helper.tail_call, 12);
  assert.equal(Helper.get_current_task, 35);
  assert.equal(Helper.ringbuf_output, 130);
  assert.equal(Helper.loop, 181);
  assert.equal(Helper.user_ringbuf_drain, 209);
  assert.equal(Helper.cgrp_storage_delete, 211);
  assert.equal(helperName(1), 'bpf_map_lookup_elem');
  assert.equal(helperName(0), undefined);
  assert.equal(helperName(212), undefined);
  assert.equal(helperId('bpf_get_current_pid_tgid'), 14);
  assert.equal(helperId('get_current_pid_tgid'), 14);
  assert.equal(helperId('nope'), undefined);
});
