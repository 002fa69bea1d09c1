// Golden disassembly: bpftool / verifier-log text and uBPF text for every instruction form.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { program, R0, R1, R2, R3, R10 } from '../../src/isa/builder.js';
import { disassemble, formatInstruction } from '../../src/isa/disasm.js';
import { Helper } from '../../src/isa/helpers.js';
import { encode, type Instruction } from '../../src/isa/instruction.js';

const I = (opcode: number, dst: number, src: number, offset: number, imm: number, extra: Partial<Instruction> = {}): Instruction =>
  ({ opcode, dst, src, offset, imm, ...extra });

/** [instruction, bpftool text, uBPF text] */
const golden: [Instruction, string, string][] = [
  [I(0xb7, 0, 0, 0, 0), '(b7) r0 = 0', 'mov %r0, 0'],
  [I(0xb4, 0, 0, 0, -1), '(b4) w0 = -1', 'mov32 %r0, -1'],
  [I(0xbc, 0, 1, 0, 0), '(bc) w0 = w1', 'mov32 %r0, %r1'],
  [I(0xbf, 1, 2, 8, 0), '(bf) r1 = (s8)r2', 'movsx864 %r1, %r2'],
  [I(0xbf, 1, 2, 32, 0), '(bf) r1 = (s32)r2', 'movsx3264 %r1, %r2'],
  [I(0xbc, 1, 2, 16, 0), '(bc) w1 = (s16)w2', 'movsx1632 %r1, %r2'],
  [I(0x07, 2, 0, 0, -4), '(07) r2 += -4', 'add %r2, -4'],
  [I(0x0f, 3, 1, 0, 0), '(0f) r3 += r1', 'add %r3, %r1'],
  [I(0x1c, 2, 3, 0, 0), '(1c) w2 -= w3', 'sub32 %r2, %r3'],
  [I(0x24, 3, 0, 0, 7), '(24) w3 *= 7', 'mul32 %r3, 7'],
  [I(0x37, 3, 0, 0, 7), '(37) r3 /= 7', 'div %r3, 7'],
  [I(0x3f, 3, 1, 1, 0), '(3f) r3 s/= r1', 'sdiv %r3, %r1'],
  [I(0x94, 3, 0, 1, 5), '(94) w3 s%= 5', 'smod32 %r3, 5'],
  [I(0x4f, 1, 2, 0, 0), '(4f) r1 |= r2', 'or %r1, %r2'],
  [I(0x54, 1, 0, 0, 3), '(54) w1 &= 3', 'and32 %r1, 3'],
  [I(0x67, 0, 0, 0, 3), '(67) r0 <<= 3', 'lsh %r0, 3'],
  [I(0x77, 6, 0, 0, 3), '(77) r6 >>= 3', 'rsh %r6, 3'],
  [I(0xc4, 1, 0, 0, 24), '(c4) w1 s>>= 24', 'arsh32 %r1, 24'],
  [I(0xaf, 1, 2, 0, 0), '(af) r1 ^= r2', 'xor %r1, %r2'],
  [I(0x87, 0, 0, 0, 0), '(87) r0 = -r0', 'neg %r0'],
  [I(0x84, 4, 0, 0, 0), '(84) w4 = -w4', 'neg32 %r4'],
  [I(0xdc, 0, 0, 0, 16), '(dc) r0 = be16 r0', 'be16 %r0'],
  [I(0xd4, 1, 0, 0, 64), '(d4) r1 = le64 r1', 'le64 %r1'],
  [I(0xd7, 0, 0, 0, 64), '(d7) r0 = bswap64 r0', 'swap64 %r0'],
  [I(0x79, 0, 0, 0, 0), '(79) r0 = *(u64 *)(r0 +0)', 'ldxdw %r0, [%r0]'],
  [I(0x61, 1, 1, 224, 0), '(61) r1 = *(u32 *)(r1 +224)', 'ldxw %r1, [%r1+224]'],
  [I(0x91, 0, 10, -1, 0), '(91) r0 = *(s8 *)(r10 -1)', 'ldxsb %r0, [%r10-1]'],
  [I(0x89, 0, 10, -2, 0), '(89) r0 = *(s16 *)(r10 -2)', 'ldxsh %r0, [%r10-2]'],
  [I(0x63, 10, 1, -4, 0), '(63) *(u32 *)(r10 -4) = r1', 'stxw [%r10-4], %r1'],
  [I(0x72, 1, 0, 2, 0x11), '(72) *(u8 *)(r1 +2) = 17', 'stb [%r1+2], 17'],
  [I(0x7a, 10, 0, -8, -1), '(7a) *(u64 *)(r10 -8) = -1', 'stdw [%r10-8], -1'],
  [I(0xdb, 1, 2, 0, 0x00), '(db) lock *(u64 *)(r1 +0) += r2', 'lock add [%r1], %r2'],
  [I(0xc3, 1, 3, 0, 0x00), '(c3) lock *(u32 *)(r1 +0) += r3', 'lock add32 [%r1], %r3'],
  [I(0xdb, 1, 2, 8, 0x50), '(db) lock *(u64 *)(r1 +8) &= r2', 'lock and [%r1+8], %r2'],
  [I(0xdb, 1, 2, 0, 0x41), '(db) r2 = atomic64_fetch_or((u64 *)(r1 +0), r2)', 'lock fetch or [%r1], %r2'],
  [I(0xc3, 10, 1, -4, 0xa1), '(c3) r1 = atomic_fetch_xor((u32 *)(r10 -4), r1)', 'lock fetch xor32 [%r10-4], %r1'],
  [I(0xdb, 1, 3, 0, 0xf1), '(db) r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r3)', 'lock cmpxchg [%r1], %r3'],
  [I(0xdb, 1, 3, 0, 0xe1), '(db) r3 = atomic64_xchg((u64 *)(r1 +0), r3)', 'lock xchg [%r1], %r3'],
  [I(0x18, 1, 0, 0, 0x55667788, { constant: 0x1122334455667788n }), '(18) r1 = 0x1122334455667788', 'lddw %r1, 0x1122334455667788'],
  [I(0x18, 1, 1, 0, 5, { constant: 5n }), '(18) r1 = map[id:5]', 'lddw %r1, map[id:5]'],
  [I(0x18, 4, 2, 0, 664, { constant: (8n << 32n) | 664n }), '(18) r4 = map[id:664][0]+8', 'lddw %r4, map[id:664][0]+8'],
  [I(0x18, 1, 1, 0, 0, { constant: 0n, reference: 'events' }), '(18) r1 = map[name:events]', 'lddw %r1, map[name:events]'],
  [I(0x30, 0, 0, 0, 12), '(30) r0 = *(u8 *)skb[12]', 'ldabsb 12'],
  [I(0x48, 0, 7, 0, 2), '(48) r0 = *(u16 *)skb[r7 + 2]', 'ldindh %r7, 2'],
  [I(0x85, 0, 0, 0, 1), '(85) call bpf_map_lookup_elem#1', 'call 1'],
  [I(0x85, 0, 0, 0, Helper.ringbuf_output), '(85) call bpf_ringbuf_output#130', 'call 130'],
  [I(0x85, 0, 0, 0, 999), '(85) call unknown#999', 'call 999'],
  [I(0x85, 0, 1, 0, 4), '(85) call pc+4', 'call local +4'],
  [I(0x85, 0, 2, 0, 1234), '(85) call kernel-function#1234', 'call runtime 1234'],
  [I(0x8d, 2, 0, 0, 0), '(8d) callx r2', 'call %r2'],
  [I(0x15, 0, 0, 1, 0), '(15) if r0 == 0x0 goto pc+1', 'jeq %r0, 0, +1'],
  [I(0x35, 0, 0, 3, 4), '(35) if r0 >= 0x4 goto pc+3', 'jge %r0, 4, +3'],
  [I(0x56, 1, 0, -2, -1), '(56) if w1 != 0xffffffff goto pc-2', 'jne32 %r1, -1, -2'],
  [I(0x6d, 1, 2, 5, 0), '(6d) if r1 s> r2 goto pc+5', 'jsgt %r1, %r2, +5'],
  [I(0xce, 1, 2, 5, 0), '(ce) if w1 s< w2 goto pc+5', 'jslt32 %r1, %r2, +5'],
  [I(0x45, 1, 0, 1, 8), '(45) if r1 & 0x8 goto pc+1', 'jset %r1, 8, +1'],
  [I(0x05, 0, 0, 1, 0), '(05) goto pc+1', 'ja +1'],
  [I(0x06, 0, 0, 0, -70000), '(06) gotol pc-70000', 'ja32 -70000'],
  [I(0x95, 0, 0, 0, 0), '(95) exit', 'exit'],
];

test('formatInstruction prints the bpftool / verifier-log syntax', () => {
  for (const [insn, text] of golden) assert.equal(formatInstruction(insn), text);
});

test('formatInstruction prints the uBPF / conformance syntax', () => {
  for (const [insn, , text] of golden) assert.equal(formatInstruction(insn, { dialect: 'ubpf' }), text);
});

test('formatInstruction can leave out the opcode column', () => {
  assert.equal(formatInstruction(I(0x95, 0, 0, 0, 0), { opcode: false }), 'exit');
  assert.equal(formatInstruction(I(0xb7, 0, 0, 0, 0), { opcode: false }), 'r0 = 0');
});

test('bad encodings print as the kernel prints them, or as raw fields in the uBPF dialect', () => {
  assert.equal(formatInstruction(I(0x71 | 0x80, 0, 0, 0, 0) /* ldx mode 0xe0 */), '(f1) BUG_ldx_f1');
  assert.equal(formatInstruction(I(0xf1, 1, 2, 3, 4), { dialect: 'ubpf' }), '.insn 0xf1, 1, 2, 3, 4');
});

test('disassemble numbers lines by slot like bpftool, and lddw takes two slots', () => {
  const insns = program().lddw(R1, 0x1234567890n).mov(R0, 0).label('out').exit().build();
  assert.equal(disassemble(insns), '   0: (18) r1 = 0x1234567890\n   2: (b7) r0 = 0\nout:\n   3: (95) exit\n');
  assert.equal(disassemble(insns, { index: false, symbols: false }), '(18) r1 = 0x1234567890\n(b7) r0 = 0\n(95) exit\n');
  assert.equal(disassemble(encode(insns), { dialect: 'ubpf' }), 'lddw %r1, 0x1234567890\nmov %r0, 0\nexit\n');
});

test('labels: jumps and local calls can print their target name', () => {
  const insns = program()
    .jeq(R1, 0, 'done').callLocal('f').label('done').exit()
    .label('f').mov(R0, 1).exit().build();
  assert.equal(disassemble(insns, { labels: true, index: false }),
    '(15) if r1 == 0x0 goto done\n(85) call f\ndone:\n(95) exit\nf:\n(b7) r0 = 1\n(95) exit\n');
  assert.equal(disassemble(insns, { dialect: 'ubpf', labels: true }),
    'jeq %r1, 0, done\ncall local f\ndone:\nexit\nf:\nmov %r0, 1\nexit\n');
});

test('xlated dumps of JIT-compiled programs: local calls show the distance kept in offset', () => {
  assert.equal(formatInstruction(I(0x85, 0, 1, 4, 1), { xlated: true }), '(85) call pc+4');
  assert.equal(formatInstruction(I(0x85, 0, 1, 4, 1)), '(85) call pc+1');
});

test('the builder and the disassembler agree on a small program', () => {
  const insns = program()
    .st('w', R10, -4, 1).mov(R2, R10).add(R2, -4).loadMap(R1, 'counts').call(Helper.map_lookup_elem)
    .jeq(R0, 0, 'out').mov(R3, 1).atomic('dw', 'add', R0, 0, R3).label('out').mov(R0, 0).exit().build();
  assert.equal(disassemble(insns, { symbols: false }), [
    '   0: (62) *(u32 *)(r10 -4) = 1',
    '   1: (bf) r2 = r10',
    '   2: (07) r2 += -4',
    '   3: (18) r1 = map[name:counts]',
    '   5: (85) call bpf_map_lookup_elem#1',
    '   6: (15) if r0 == 0x0 goto pc+2',
    '   7: (b7) r3 = 1',
    '   8: (db) lock *(u64 *)(r0 +0) += r3',
    '   9: (b7) r0 = 0',
    '  10: (95) exit',
  ].join('\n') + '\n');
});
