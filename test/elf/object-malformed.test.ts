// Malformed objects: every one gives a typed ElfError with a message, never a crash, a hang or another error.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ObjectError, readObject } from '../../src/elf/object.js';
import { ElfError } from '../../src/elf/symbols.js';
import { compileBpf } from '../fixtures/bpf/build.js';

function expectTyped(bytes: Uint8Array, what: string): ElfError | undefined {
  try {
    readObject(bytes);
    return undefined;
  } catch (err) {
    if (!(err instanceof ElfError)) {
      throw new Error(`${what}: expected an ElfError, got ${(err as Error)?.name}: ${(err as Error)?.message}`, { cause: err });
    }
    assert.ok(err.message.length > 10, `${what}: message '${err.message}'`);
    return err;
  }
}

const le = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Section header fields of a little-endian ELF64. */
function sectionHeaders(b: Uint8Array): { shoff: number; shnum: number; entsize: number } {
  const v = le(b);
  return { shoff: Number(v.getBigUint64(40, true)), shnum: v.getUint16(60, true), entsize: v.getUint16(58, true) };
}

test('truncated objects at every length give a typed error', () => {
  const valid = readFileSync(compileBpf('subprogs'));
  let errors = 0;
  for (let n = 0; n < valid.length; n += n < 128 ? 1 : 17) {
    if (expectTyped(valid.subarray(0, n), `truncated to ${n}`)) errors++;
  }
  assert.ok(errors > 0);
  assert.match(expectTyped(valid.subarray(0, 10), 'short')!.message, /shorter than an ELF header/);
});

test('wrong machine and wrong file type are refused by name', () => {
  const bytes = new Uint8Array(readFileSync(compileBpf('legacy')));
  const wrongMachine = bytes.slice();
  le(wrongMachine).setUint16(18, 62, true); // EM_X86_64
  const e = expectTyped(wrongMachine, 'x86_64');
  assert.ok(e instanceof ObjectError);
  assert.match(e.message, /machine is 62, expected 247/);
  const exec = bytes.slice();
  le(exec).setUint16(16, 2, true);
  assert.match(expectTyped(exec, 'ET_EXEC')!.message, /relocatable/);
  assert.match(expectTyped(new TextEncoder().encode('#!/bin/sh\n'.repeat(10)), 'script')!.message, /bad magic/);
});

test('corrupted section headers and out-of-range relocations give typed errors', () => {
  const bytes = new Uint8Array(readFileSync(compileBpf('subprogs')));
  const { shoff, shnum, entsize } = sectionHeaders(bytes);
  let failures = 0;
  for (let i = 1; i < shnum; i++) {
    const h = shoff + i * entsize;
    for (const [field, value] of [[24, 0xfffffff0n], [32, 0x7fffffffn], [32, 3n]] as const) {
      const bad = bytes.slice();
      le(bad).setBigUint64(h + field, value, true);
      if (expectTyped(bad, `section ${i} field ${field}`)) failures++;
    }
    const badLink = bytes.slice();
    le(badLink).setUint32(h + 40, 999, true);
    expectTyped(badLink, `section ${i} link`);
  }
  assert.ok(failures >= shnum);
  // Relocation offsets past the end of their section.
  for (let i = 1; i < shnum; i++) {
    const h = shoff + i * entsize;
    if (le(bytes).getUint32(h + 4, true) !== 9) continue; // SHT_REL
    const target = shoff + le(bytes).getUint32(h + 44, true) * entsize;
    if ((le(bytes).getBigUint64(target + 8, true) & 4n) === 0n) continue; // only relocations of code are read
    const off = Number(le(bytes).getBigUint64(h + 24, true));
    const bad = bytes.slice();
    le(bad).setBigUint64(off, 0x100000n, true);
    assert.match(expectTyped(bad, 'relocation offset')!.message, /outside section|misaligned/);
    const badSym = bytes.slice();
    le(badSym).setUint32(off + 12, 5000, true);
    assert.match(expectTyped(badSym, 'relocation symbol')!.message, /symbol 5000/);
  }
});

test('10,000 randomly mutated objects: each reads or fails with a typed error', () => {
  const seeds = ['legacy', 'globals', 'subprogs', 'tracing', 'core', 'mapdefs', 'kconfig'].map((n) => new Uint8Array(readFileSync(compileBpf(n))));
  let state = 0x2545f491;
  const rand = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  let failed = 0;
  let read = 0;
  const started = Date.now();
  for (let n = 0; n < 10_000; n++) {
    const seed = seeds[n % seeds.length]!;
    const bytes = seed.slice();
    const flips = 1 + Math.floor(rand() * 8);
    for (let f = 0; f < flips; f++) {
      // Half the flips hit the headers and tables at the end of the file, where they do the most damage.
      const at = rand() < 0.5 ? Math.floor(rand() * bytes.length) : bytes.length - 1 - Math.floor(rand() * Math.min(1024, bytes.length));
      bytes[at] = rand() < 0.5 ? bytes[at]! ^ (1 << Math.floor(rand() * 8)) : Math.floor(rand() * 256);
    }
    if (expectTyped(bytes, `mutation ${n}`)) failed++;
    else read++;
  }
  const ms = Date.now() - started;
  assert.equal(failed + read, 10_000);
  assert.ok(failed > 100, `only ${failed} mutations were rejected`);
  assert.ok(ms < 60_000, `took ${ms} ms`);
});

test('bad BTF: a broken .BTF header or type section is an ObjectError naming .BTF', () => {
  const bytes = new Uint8Array(readFileSync(compileBpf('tracing')));
  const { shoff, shnum, entsize } = sectionHeaders(bytes);
  const shstrndx = le(bytes).getUint16(62, true);
  const strOff = Number(le(bytes).getBigUint64(shoff + shstrndx * entsize + 24, true));
  const nameOf = (i: number) => {
    const at = strOff + le(bytes).getUint32(shoff + i * entsize, true);
    return new TextDecoder().decode(bytes.subarray(at, bytes.indexOf(0, at)));
  };
  let btfAt = -1;
  let btfSize = 0;
  for (let i = 1; i < shnum; i++) {
    if (nameOf(i) !== '.BTF') continue;
    btfAt = Number(le(bytes).getBigUint64(shoff + i * entsize + 24, true));
    btfSize = Number(le(bytes).getBigUint64(shoff + i * entsize + 32, true));
  }
  assert.ok(btfAt > 0);
  const badMagic = bytes.slice();
  badMagic[btfAt] = 0;
  const e = expectTyped(badMagic, 'BTF magic');
  assert.ok(e instanceof ObjectError);
  assert.match(e.message, /bad \.BTF/);
  // Type section length past the end of the section.
  const badLen = bytes.slice();
  le(badLen).setUint32(btfAt + 12, btfSize * 4, true);
  assert.match(expectTyped(badLen, 'BTF type_len')!.message, /bad \.BTF/);
  // Scribble over the type records.
  for (let seed = 0; seed < 200; seed++) {
    const junk = bytes.slice();
    for (let i = 0; i < 16; i++) junk[btfAt + 24 + ((seed * 7919 + i * 104729) % (btfSize - 24))] = (seed * 31 + i) & 0xff;
    expectTyped(junk, `BTF junk ${seed}`);
  }
});
