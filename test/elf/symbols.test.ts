// The ELF reader against binutils: symbols vs nm, notes vs readelf -n, file offsets vs objdump; malformed input.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ElfError, ElfFile, ElfType, SymbolType, readElfFile } from '../../src/elf/symbols.js';
import { buildVictims, type Victims } from '../fixtures/uprobe/victim.js';

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });

/** nm's defined symbols: name → address (versioned names skipped). */
function nmDefined(path: string, dynamic = false): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of run('nm', [...(dynamic ? ['-D'] : []), '--defined-only', path]).split('\n')) {
    const m = /^([0-9a-f]+) (\w) (\S+)$/.exec(line);
    if (m && !m[3]!.includes('@')) out.set(m[3]!, BigInt(`0x${m[1]}`));
  }
  return out;
}

/** readelf -n's stapsdt notes. */
function readelfNotes(path: string) {
  const text = run('readelf', ['-n', path]);
  const re = /Provider: (\S+)\s+Name: (\S+)\s+Location: 0x([0-9a-f]+), Base: 0x([0-9a-f]+), Semaphore: 0x([0-9a-f]+)\s+Arguments: ?([^\n]*)/g;
  return [...text.matchAll(re)].map((m) => ({
    provider: m[1]!, name: m[2]!, pc: BigInt(`0x${m[3]}`), base: BigInt(`0x${m[4]}`),
    semaphore: BigInt(`0x${m[5]}`), args: m[6]!.trim(),
  }));
}

/** The first instruction bytes objdump prints for a function. */
function objdumpFirstBytes(path: string, fn: string): number[] {
  const text = run('objdump', ['-d', `--disassemble=${fn}`, path]);
  const m = new RegExp(`<${fn}>:\\n\\s*[0-9a-f]+:\\s+((?:[0-9a-f]{2} )+)`).exec(text);
  assert.ok(m, `objdump shows ${fn}`);
  return m[1]!.trim().split(' ').map((h) => parseInt(h, 16));
}

describe('ELF reader on the compiled victim', () => {
  let victims: Victims;
  before(() => {
    victims = buildVictims();
  });
  after(() => victims?.cleanup());

  for (const variant of ['pie', 'nopie'] as const) {
    test(`${variant}: header type and .symtab match nm`, () => {
      const path = victims[variant];
      const elf = readElfFile(path);
      assert.equal(elf.header.type, variant === 'pie' ? ElfType.DYN : ElfType.EXEC);
      const ours = new Map<string, bigint>();
      for (const s of elf.symbols()) if (s.shndx !== 0 && s.type !== SymbolType.FILE && s.type !== SymbolType.SECTION && s.name) ours.set(s.name, s.value);
      const theirs = nmDefined(path);
      assert.ok(theirs.size > 20, `nm lists ${theirs.size} symbols`);
      for (const [name, value] of theirs) assert.equal(ours.get(name), value, `symbol ${name}`);
      for (const fn of ['victim_add', 'victim_mul', 'main']) {
        assert.equal(elf.findFunction(fn).value, theirs.get(fn));
        assert.equal(elf.findFunction(fn).type, SymbolType.FUNC);
      }
    });

    test(`${variant}: .note.stapsdt matches readelf -n`, () => {
      const path = victims[variant];
      const elf = readElfFile(path);
      const theirs = readelfNotes(path);
      assert.equal(theirs.length, 2);
      assert.deepEqual(elf.stapsdtNotes(), theirs);
      assert.equal(elf.stapsdtBase(), theirs[0]!.base);
      const withsem = elf.stapsdtNotes().find((n) => n.name === 'withsem')!;
      assert.equal(withsem.semaphore, elf.symbols().find((s) => s.name === 'victim_withsem_semaphore')!.value);
    });

    test(`${variant}: symbol address → file offset lands on the function's code`, () => {
      const path = victims[variant];
      const elf = readElfFile(path);
      const bytes = readFileSync(path);
      for (const fn of ['victim_add', 'victim_mul']) {
        const off = Number(elf.addressToFileOffset(elf.findFunction(fn).value));
        const first = objdumpFirstBytes(path, fn);
        assert.deepEqual([...bytes.subarray(off, off + first.length)], first, fn);
      }
    });
  }

  test('missing and undefined symbols are ElfErrors', () => {
    const elf = readElfFile(victims.pie);
    assert.throws(() => elf.findFunction('no_such_function'), ElfError);
    // getpid is only imported by the victim (undefined in its tables).
    assert.throws(() => elf.findFunction('getpid'), /not found/);
  });
});

test('libc .dynsym: default symbol versions win, matching nm -D', () => {
  const libc = '/lib/x86_64-linux-gnu/libc.so.6';
  const elf = readElfFile(libc);
  assert.equal(elf.symbols().length, 0, 'Debian libc is stripped of .symtab');
  const text = run('nm', ['-D', '--defined-only', libc]);
  for (const fn of ['getpid', 'usleep', 'memcpy']) {
    const m = new RegExp(`^([0-9a-f]+) \\w ${fn}@@`, 'm').exec(text);
    assert.ok(m, `nm -D shows ${fn}@@`);
    assert.equal(elf.findFunction(fn).value, BigInt(`0x${m[1]}`), fn);
  }
  const dyn = nmDefined(libc, true);
  const ours = new Set(elf.dynamicSymbols().filter((s) => s.shndx !== 0).map((s) => s.name));
  for (const name of dyn.keys()) assert.ok(ours.has(name), name);
});

describe('malformed input gives ElfError', () => {
  let good: Uint8Array;
  let victims: Victims;
  before(() => {
    victims = buildVictims();
    good = new Uint8Array(readFileSync(victims.pie));
  });
  after(() => victims?.cleanup());

  const parse = (b: Uint8Array) => {
    const elf = ElfFile.parse(b);
    elf.symbols();
    elf.dynamicSymbols();
    elf.stapsdtNotes();
    return elf;
  };

  test('empty, short and bad magic', () => {
    assert.throws(() => parse(new Uint8Array(0)), ElfError);
    assert.throws(() => parse(good.subarray(0, 40)), /shorter than an ELF header/);
    const bad = good.slice(0, 4096);
    bad[1] = 0x46;
    assert.throws(() => parse(bad), /bad magic/);
    const elf32 = good.slice();
    elf32[4] = 1;
    assert.throws(() => parse(elf32), /only ELF64/);
  });

  test('truncated files at many lengths', () => {
    for (const len of [64, 100, 1000, 4096, good.length >> 1, good.length - 1]) {
      assert.throws(() => parse(good.subarray(0, len)), ElfError, `length ${len}`);
    }
  });

  test('random corruption never escapes as anything but ElfError', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
    const shoff = Number(new DataView(good.buffer, good.byteOffset).getBigUint64(40, true));
    const notes = ElfFile.parse(good).section('.note.stapsdt')!.offset;
    let failures = 0;
    for (let round = 0; round < 300; round++) {
      const b = good.slice();
      for (let k = 0; k < 4; k++) {
        // Aim at the header, the section headers and the note area, where structure lives.
        const region = [0, shoff, notes][Math.floor(rand() * 3)]!;
        const at = Math.min(b.length - 1, region + Math.floor(rand() * 0x200));
        b[at] = Math.floor(rand() * 256);
      }
      try {
        parse(b);
      } catch (err) {
        failures++;
        assert.ok(err instanceof ElfError, `round ${round}: ${(err as Error).name}: ${(err as Error).message}`);
      }
    }
    assert.ok(failures > 0, 'some corruptions are detected');
  });
});
