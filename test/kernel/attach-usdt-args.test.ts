// USDT argument specs and site discovery (pure: no bpf()), checked against readelf on the compiled victim.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { ElfFile, readElfFile } from '../../src/elf/symbols.js';
import { program, R1, R6, R7 } from '../../src/isa/builder.js';
import { findUsdtProbe, loadUsdtArg, parseUsdtArg, parseUsdtArgs, usdtSites, UsdtError } from '../../src/kernel/attach/usdt.js';
import { buildVictims, type Victims } from '../fixtures/uprobe/victim.js';

let victims: Victims;
before(() => {
  victims = buildVictims();
});
after(() => victims?.cleanup());

test('parseUsdtArg decodes registers, memory, constants and flags what it cannot load', () => {
  assert.deepEqual(parseUsdtArg('-4@%edi'), { kind: 'register', size: 4, signed: true, register: 'rdi', shift: 0, text: '-4@%edi' });
  assert.deepEqual(parseUsdtArg('8@%rsi'), { kind: 'register', size: 8, signed: false, register: 'rsi', shift: 0, text: '8@%rsi' });
  assert.deepEqual(parseUsdtArg('1@%ah'), { kind: 'register', size: 1, signed: false, register: 'rax', shift: 8, text: '1@%ah' });
  assert.deepEqual(parseUsdtArg('-2@%r9w'), { kind: 'register', size: 2, signed: true, register: 'r9', shift: 0, text: '-2@%r9w' });
  assert.deepEqual(parseUsdtArg('-4@-12(%rbp)'), { kind: 'memory', size: 4, signed: true, register: 'rbp', offset: -12, text: '-4@-12(%rbp)' });
  assert.deepEqual(parseUsdtArg('8@(%rax)'), { kind: 'memory', size: 8, signed: false, register: 'rax', offset: 0, text: '8@(%rax)' });
  assert.deepEqual(parseUsdtArg('-4@$-5'), { kind: 'constant', size: 4, signed: true, value: -5n, text: '-4@$-5' });
  assert.deepEqual(parseUsdtArg('1@$0x1ff'), { kind: 'constant', size: 1, signed: false, value: 0xffn, text: '1@$0x1ff' });
  assert.equal(parseUsdtArg('8@%xmm0').kind, 'unsupported');
  assert.equal(parseUsdtArg('8@foo(%rip)').kind, 'unsupported');
  assert.equal(parseUsdtArg('8@8(%rax,%rbx,8)').kind, 'unsupported');
  assert.equal(parseUsdtArg('3@%eax').kind, 'unsupported');
  assert.deepEqual(parseUsdtArgs('  -4@%edi 8@%rsi ').map((a) => a.text), ['-4@%edi', '8@%rsi']);
  assert.deepEqual(parseUsdtArgs(''), []);
});

test('loadUsdtArg emits pt_regs loads, narrowing, and probe_read_user for memory operands', () => {
  const reg = program();
  loadUsdtArg(reg, parseUsdtArg('-4@%edi'), { dst: R7, ctx: R6 });
  // ldx r7 = *(u64 *)(r6 + 112); r7 <<= 32; r7 s>>= 32
  assert.deepEqual(reg.build().map((i) => [i.opcode, i.dst, i.src, i.offset, i.imm]),
    [[0x79, 7, 6, 112, 0], [0x67, 7, 0, 0, 32], [0xc7, 7, 0, 0, 32]]);
  const u32 = program();
  loadUsdtArg(u32, parseUsdtArg('4@%esi'), { dst: R7, ctx: R6 });
  assert.deepEqual(u32.build().map((i) => i.opcode), [0x79, 0xbc]); // ldx, mov32 (zero-extends)
  const mem = program();
  loadUsdtArg(mem, parseUsdtArg('-4@-12(%rbp)'), { dst: R7, ctx: R6, stackOffset: -16 });
  const insns = mem.build();
  assert.deepEqual(insns[0], { opcode: 0x79, dst: 3, src: 6, offset: 32, imm: 0 }); // r3 = regs->rbp
  assert.ok(insns.some((i) => i.opcode === 0x85 && i.imm === 112), 'calls probe_read_user');
  assert.ok(insns.some((i) => i.opcode === 0x79 && i.dst === 7 && i.src === 10 && i.offset === -16), 'reads the stack slot');
  assert.throws(() => loadUsdtArg(program(), parseUsdtArg('8@foo(%rip)'), { dst: R7, ctx: R1 }), UsdtError);
});

for (const variant of ['pie', 'nopie'] as const) {
  test(`usdtSites on the ${variant} victim match readelf -n and the .probes semaphore`, () => {
    const path = victims[variant];
    const elf = readElfFile(path);
    const sites = usdtSites(elf);
    assert.deepEqual(sites.map((s) => `${s.provider}:${s.name}`), ['victim:tick', 'victim:withsem']);
    const [tick, withsem] = sites as [typeof sites[0], typeof sites[0]];
    const notes = execFileSync('readelf', ['-n', path], { encoding: 'utf8' });
    const tickLoc = BigInt(/Name: tick\s+Location: (0x[0-9a-f]+)/.exec(notes)![1]!);
    assert.equal(tick.address, tickLoc);
    assert.equal(tick.semaphore, 0n);
    assert.equal(tick.semaphoreOffset, 0n);
    assert.equal(tick.args.length, 2);
    assert.equal(tick.args[0]!.size, 4);
    assert.equal(tick.args[0]!.signed, true);
    assert.equal(tick.args[1]!.size, 8);
    const sem = elf.symbols().find((s) => s.name === 'victim_withsem_semaphore')!;
    assert.equal(withsem.semaphore, sem.value);
    const probes = elf.section('.probes')!;
    assert.equal(withsem.semaphoreOffset, sem.value - probes.addr + BigInt(probes.offset));
    // The probe's file offset must point at the nop sdt.h planted there.
    const bytes = elf.sectionData(elf.section('.text')!);
    const text = elf.section('.text')!;
    assert.equal(bytes[Number(tick.fileOffset) - text.offset], 0x90);
  });
}

test('findUsdtProbe names the probes a file does have', () => {
  assert.throws(() => findUsdtProbe(victims.pie, 'victim', 'nope'), /no USDT probe victim:nope .*victim:tick, victim:withsem/);
  assert.equal(findUsdtProbe(victims.pie, 'victim', 'tick').sites.length, 1);
});

test('usdtSites moves pc and semaphore by the .stapsdt.base delta (prelinked files)', () => {
  const original = readFileSync(victims.pie);
  const elf = ElfFile.parse(original);
  const want = usdtSites(elf)[0]!;
  // Rewrite the first note's recorded base (desc starts after the 12-byte header and the 8-byte "stapsdt\0").
  const copy = new Uint8Array(original);
  const baseAt = elf.section('.note.stapsdt')!.offset + 12 + 8 + 8;
  const view = new DataView(copy.buffer, copy.byteOffset);
  view.setBigUint64(baseAt, view.getBigUint64(baseAt, true) - 0x10n, true);
  const moved = usdtSites(ElfFile.parse(copy))[0]!;
  assert.equal(moved.name, 'tick');
  assert.equal(moved.address, want.address + 0x10n);
  assert.equal(moved.fileOffset, want.fileOffset + 0x10n);
});
