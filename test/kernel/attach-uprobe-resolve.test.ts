// Binary and library resolution for uprobes (no bpf() needed): ld.so.cache vs ldconfig -p, lib dirs, $PATH.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { test } from 'node:test';
import { parseLdCache, resolveBinary, resolveUprobeOffset } from '../../src/kernel/attach/uprobe.js';

test('parseLdCache lists what ldconfig -p lists for x86-64', () => {
  const ours = parseLdCache(readFileSync('/etc/ld.so.cache'));
  const theirs = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }).split('\n')
    .map((l) => /^\s+(\S+) \(libc6,x86-64[^)]*\) => (\S+)$/.exec(l)).filter((m) => m !== null)
    .map((m) => ({ name: m![1]!, path: m![2]! }));
  assert.ok(theirs.length > 10);
  assert.deepEqual(ours, theirs);
});

test('resolveBinary: bare library names, own process maps, $PATH and paths', () => {
  const libc = resolveBinary('libc.so.6');
  assert.equal(realpathSync(libc), realpathSync('/lib/x86_64-linux-gnu/libc.so.6'));
  // node maps libc; /proc/self/maps names it by its real path.
  assert.equal(realpathSync(resolveBinary('libc.so.6', process.pid)), realpathSync(libc));
  assert.equal(realpathSync(resolveBinary('sh')), realpathSync(execFileSync('sh', ['-c', 'command -v sh'], { encoding: 'utf8' }).trim()));
  assert.equal(resolveBinary('/bin/sh'), '/bin/sh');
  assert.throws(() => resolveBinary('libdefinitelymissing.so.3'), /not found/);
});

test('resolveUprobeOffset on libc getpid matches nm -D (libc is ET_DYN with vaddr == offset in text)', () => {
  const { path, offset } = resolveUprobeOffset('libc.so.6', 'getpid');
  const m = /^([0-9a-f]+) \w getpid@@/m.exec(execFileSync('nm', ['-D', '--defined-only', path], { encoding: 'utf8' }));
  assert.ok(m);
  const value = BigInt(`0x${m[1]}`);
  // Debian's libc maps text with p_offset == p_vaddr, so the file offset equals the symbol value.
  const loads = execFileSync('readelf', ['-lW', path], { encoding: 'utf8' }).split('\n').filter((l) => /^\s+LOAD/.test(l))
    .map((l) => l.trim().split(/\s+/)).map((f) => ({ off: BigInt(f[1]!), vaddr: BigInt(f[2]!), memsz: BigInt(f[5]!) }));
  const seg = loads.find((s) => value >= s.vaddr && value < s.vaddr + s.memsz)!;
  assert.equal(offset, value - seg.vaddr + seg.off);
});
