// Our disassembler against the real `bpftool prog dump xlated` of a clang-compiled program, and our assembler
// reading bpftool's text back into the same bytes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../../src/isa/asm.js';
import { disassemble } from '../../src/isa/disasm.js';
import { encode } from '../../src/isa/instruction.js';
import { kernelTest, skipOrFail } from '../helpers/kernel.js';

const fixture = new URL('../../../test/fixtures/isa/disasm.bpf.c', import.meta.url).pathname;
const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** bpftool names xlated helper calls by kernel symbol and shows JIT image names for local calls: keep the numbers. */
const normalize = (line: string): string => line.trimEnd().replace(/call pc([-+]\d+)#\S+$/, 'call pc$1').replace(/call [\w.-]+#(\d+)$/, 'call *#$1');

kernelTest('disassembly matches bpftool prog dump xlated, and bpftool text assembles back', (t) => {
  try {
    run('bpftool', ['version']);
    run('clang', ['--version']);
  } catch {
    skipOrFail(t, 'bpftool and clang are needed');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-isa-'));
  const pin = `/sys/fs/bpf/bpfkit_isa_${process.pid}`;
  try {
    const obj = join(dir, 'disasm.bpf.o');
    const multiarch = run('gcc', ['-print-multiarch']).trim();
    run('clang', ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', `-I/usr/include/${multiarch}`, '-c', fixture, '-o', obj]);
    run('bpftool', ['prog', 'load', obj, pin]);
    const text = run('bpftool', ['prog', 'dump', 'xlated', 'pinned', pin]);
    run('bpftool', ['prog', 'dump', 'xlated', 'pinned', pin, 'file', join(dir, 'xlated.bin')]);
    const bytes = new Uint8Array(readFileSync(join(dir, 'xlated.bin')));

    const theirs = text.split('\n').filter((l) => /^\s*\d+: \(/.test(l)).map(normalize);
    const ours = disassemble(bytes, { xlated: true }).trimEnd().split('\n').map(normalize);
    assert.ok(theirs.length > 50, `bpftool printed ${theirs.length} instructions`);
    assert.deepEqual(ours, theirs);
    // Atomics, byte swaps, 32-bit ALU, a map value load and a local call are among them.
    for (const form of ['lock *(u64 *)', 'atomic64_fetch_or', 'atomic64_cmpxchg', 'atomic64_xchg', 'be64', 'w1 &= 3', '][0]+0', 'call pc+']) {
      assert.ok(theirs.some((l) => l.includes(form)), `bpftool output has ${form}`);
    }

    // Reading bpftool's text back gives the same bytes, except calls (xlated keeps addresses and indices there).
    const back = encode(assemble(text.replace(/call [\w.-]+#(\d+)\s*$/gm, 'call $1').replace(/(call pc[-+]\d+)#\S+/g, '$1')));
    assert.equal(back.length, bytes.length);
    for (let off = 0; off < bytes.length; off += 8) {
      if (bytes[off] === 0x85) continue;
      assert.deepEqual(back.subarray(off, off + 8), bytes.subarray(off, off + 8), `slot ${off / 8}`);
    }
  } finally {
    rmSync(pin, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
