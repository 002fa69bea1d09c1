// The assembler: both dialects, labels, and errors that say where.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assemble, AssemblyError } from '../../src/isa/asm.js';
import { program, R0, R1, R2, R10 } from '../../src/isa/builder.js';
import { disassemble } from '../../src/isa/disasm.js';
import { encode, type Instruction } from '../../src/isa/instruction.js';
import { instructionProblem, validate, InvalidInstructionError } from '../../src/isa/validate.js';
import { conformanceFiles, parseConformance } from './conformance-data.js';

const bytes = (insns: Instruction[]): number[] => [...encode(insns)];

test('both dialects assemble to the same bytes', () => {
  const bpftool = assemble(`
    r1 = 0
    *(u32 *)(r10 -4) = r1
    r2 = r10
    r2 += -4
    r1 = map[id:7]
    call bpf_map_lookup_elem#1
    if r0 == 0x0 goto pc+1
    r0 = *(u64 *)(r0 +0)
    exit
  `);
  const ubpf = assemble(`
    mov %r1, 0
    stxw [%r10-4], %r1
    mov %r2, %r10
    add %r2, -4
    lddw %r1, map[id:7]
    call 1
    jeq %r0, 0, +1
    ldxdw %r0, [%r0]
    exit
  `);
  assert.deepEqual(bytes(bpftool), bytes(ubpf));
  assert.equal(bpftool.length, 9);
  assert.equal(bpftool[4]!.src, 1);
});

test('bpftool output with slot numbers, opcode columns, source lines and function headers reads back', () => {
  const text = [
    'int prog(struct xdp_md * ctx):',
    '; __u32 k = ctx->ingress_ifindex & 3;',
    '   0: (61) r1 = *(u32 *)(r1 +224)',
    '   1: (54) w1 &= 3',
    '   2: (18) r2 = 0x5',
    '   4: (c4) w1 s>>= 24',
    '   5: (85) call pc+1#bpf_prog_61bf607061d0ef80_sub ',
    '   6: (95) exit',
    'int sub(int x):',
    '   7: (bc) w0 = (s8)w1',
    '   8: (95) exit',
  ].join('\n');
  const insns = assemble(text);
  assert.equal(disassemble(insns), [
    '   0: (61) r1 = *(u32 *)(r1 +224)', '   1: (54) w1 &= 3', '   2: (18) r2 = 0x5', '   4: (c4) w1 s>>= 24',
    '   5: (85) call pc+1', '   6: (95) exit', '   7: (bc) w0 = (s8)w1', '   8: (95) exit',
  ].join('\n') + '\n');
});

test('hex constants mean lddw and decimal ones mov, unless the opcode column says otherwise', () => {
  assert.equal(assemble('r1 = 0x10')[0]!.opcode, 0x18);
  assert.equal(assemble('r1 = 16')[0]!.opcode, 0xb7);
  assert.equal(assemble('(b7) r1 = 0x10')[0]!.opcode, 0xb7);
  assert.equal(assemble('r1 = 4294967296')[0]!.constant, 1n << 32n);
  assert.equal(assemble('w1 = 0xffffffff')[0]!.imm, -1);
});

test('every v4 form reads back: sign extension, signed division, bswap, gotol, atomics', () => {
  const text = [
    'r1 = (s8)r2', 'w1 = (s16)w2', 'r3 s/= r4', 'w3 s%= 7', 'r0 = bswap32 r0', 'r0 = le16 r0',
    'r0 = *(s32 *)(r1 -8)', 'gotol pc+1', 'r2 = atomic_fetch_and((u32 *)(r1 +4), r2)',
    'r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r5)', 'lock *(u32 *)(r1 +0) ^= r3', 'exit',
  ];
  const insns = assemble(text.join('\n'));
  assert.deepEqual(disassemble(insns, { index: false, opcode: false }).trimEnd().split('\n'), text);
});

test('labels: forward, backward, several on one instruction, local calls, and uBPF `exit`', () => {
  const insns = assemble(`
    top: mov %r0, 0
    jeq %r1, 0, done
    call local f
    ja top
    done:
    also_done:
    exit
    f:
      r0 = 1
      goto also_done
  `);
  const expected = program()
    .label('top').mov(R0, 0).jeq(R1, 0, 'done').callLocal('f').ja('top')
    .label('done').exit().label('f').mov(R0, 1).ja('done').build();
  assert.deepEqual(bytes(insns), bytes(expected));
  assert.equal(insns[0]!.symbol, 'top');
  assert.equal(insns[1]!.reference, 'done');
  // `exit` names the first exit instruction when no label has that name (the conformance suite relies on it).
  assert.equal(assemble('jeq %r1, 0, exit\nmov %r0, 1\nexit')[0]!.offset, 1);
});

test('lddw pseudo forms: map by id, by name (patched at load), map value, subprogram', () => {
  const [byName, value, byIdx, func] = assemble('r1 = map[name:counts]\nr2 = map[name:data][0]+16\nlddw %r3, map[idx:2]\nr4 = subprog[+3]');
  assert.equal(byName!.reference, 'counts');
  assert.equal(byName!.src, 1);
  assert.equal(value!.src, 2);
  assert.equal(value!.constant, 16n << 32n);
  assert.equal(byIdx!.src, 5);
  assert.equal(func!.src, 4);
  assert.equal(func!.imm, 3);
});

test('instructions remember where they came from', () => {
  const [, insn] = assemble('exit\n  r0 = 1', { file: 'x.s' });
  assert.deepEqual(insn!.source, { line: 2, column: 3, text: 'r0 = 1', file: 'x.s' });
});

/** Asserts that `text` fails to assemble at line:column with a message matching `pattern`. */
function rejects(text: string, line: number, column: number, pattern: RegExp): void {
  assert.throws(() => assemble(text), (err: unknown) => {
    assert.ok(err instanceof AssemblyError, `expected an AssemblyError, got ${String(err)}`);
    assert.equal(`${err.line}:${err.column}`, `${line}:${column}`, err.message);
    assert.match(err.reason, pattern);
    return true;
  });
}

test('errors name the line, the column and the problem', () => {
  rejects('mov %r0, 1\nor %r0, %r50', 2, 9, /invalid register '%r50'/);
  rejects('exit\nldxq %r0, %r1', 2, 1, /unknown mnemonic 'ldxq'/);
  rejects('ldxb %r0, %r1', 1, 11, /memory operand/);
  rejects('ldxb %r0, [%r1+0x10000]', 1, 15, /does not fit in 16 bits/);
  rejects('mov32 %r0, 2147483648', 1, 12, /does not fit in 32 bits/);
  rejects('mov32 %r0, 0x100000000', 1, 12, /does not fit in 32 bits/);
  rejects('lddw %r0', 1, 9, /takes 2 operands, found 1/);
  rejects('ja NOT_A_LABEL\nexit', 1, 4, /unknown label 'NOT_A_LABEL'/);
  rejects('lock or [%r10-8]', 1, 6, /lock takes/);
  rejects('r0 = *(u64 *)(r11 +0)', 1, 16, /invalid register 'r11'/);
  rejects('if r1 == w2 goto pc+1', 1, 10, /mixes r and w/);
  rejects('r1 = frobnicate', 1, 6, /expected a number/);
  rejects('x: exit\nx: exit', 2, 1, /defined twice/);
  rejects('(b7) r0 = 0x123456789', 1, 11, /does not fit in 32 bits/);
  rejects('(bf) r0 = 0', 1, 1, /opcode \(bf\) does not match/);
  rejects('call bpf_map_lookup_elem#2', 1, 26, /is #1, not #2/);
  rejects('done:', 1, 1, /marks no instruction/);
});

test('error messages point at the column', () => {
  assert.throws(() => assemble('  or %r0, %r50', { file: 'bad.s' }), {
    message: "bad.s:1:11: invalid register '%r50' (r0..r10)\n    or %r0, %r50\n            ^",
  });
});

test('every malformed conformance input is rejected (by the file reader, the assembler or the validator)', () => {
  const verdicts = new Map<string, string>();
  for (const { name, text } of conformanceFiles('negative')) {
    let verdict: string;
    try {
      const file = parseConformance(name, text);
      const insns = file.asm ? assemble(file.asm.text, { file: name }) : undefined;
      if (file.raw) validate(bytesToInsns(file.raw));
      else validate(insns!);
      verdict = 'accepted';
    } catch (err) {
      verdict = err instanceof AssemblyError ? 'assembler' : err instanceof InvalidInstructionError ? 'validator' : 'reader';
    }
    verdicts.set(name, verdict);
  }
  const accepted = [...verdicts].filter(([, v]) => v === 'accepted').map(([n]) => n).sort();
  // These two are well-formed: the kernel test shows the verifier refuses one and the other computes a different result.
  assert.deepEqual(accepted, ['error.data', 'incorrect_return_value_high_bits.data']);
  assert.equal(verdicts.size, 60);
  assert.equal([...verdicts.values()].filter((v) => v === 'validator').length, 45);
  assert.equal(verdicts.get('invalid_unknown_directive.data'), 'reader');
  assert.equal(verdicts.get('invalid_register.data'), 'assembler');
});

function bytesToInsns(raw: Uint8Array): Instruction[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: Instruction[] = [];
  for (let off = 0; off < raw.byteLength; off += 8) {
    out.push({ opcode: raw[off]!, dst: raw[off + 1]! & 0xf, src: raw[off + 1]! >> 4, offset: view.getInt16(off + 2, true), imm: view.getInt32(off + 4, true) });
  }
  return out;
}

test('the validator explains unused fields and unknown encodings', () => {
  assert.equal(instructionProblem({ opcode: 0x95, dst: 0, src: 0, offset: 0, imm: 1 }), 'unused field imm is 1, must be 0');
  assert.equal(instructionProblem({ opcode: 0xbf, dst: 1, src: 2, offset: 8, imm: 0 }), undefined); // movsx
  assert.equal(instructionProblem({ opcode: 0x3f, dst: 1, src: 2, offset: 1, imm: 0 }), undefined); // sdiv
  assert.equal(instructionProblem({ opcode: 0xdc, dst: 1, src: 0, offset: 0, imm: 24 }), 'byte swap width 24 is not 16, 32 or 64');
  assert.match(instructionProblem({ opcode: 0x0f, dst: 1, src: 12, offset: 0, imm: 0 })!, /r12 does not exist/);
  assert.doesNotThrow(() => validate(program().mov(R0, 0).stx('dw', R10, -8, R2).exit().build()));
});
