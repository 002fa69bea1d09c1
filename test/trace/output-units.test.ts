// Unit checks of the output layer's building blocks.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cxxSort, formatPrintf, histBucket017, lhistBucket, printfTokens, PrintfError, strftime, histText,
  formatMapText, exitOutput } from '../../src/trace/output/index.js';
import { fixtureDir } from '../fixtures/trace-output/golden.js';

test('cxxSort orders ties exactly like libstdc++ std::sort', { skip: !existsSync('/usr/bin/g++') && 'needs g++' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-stdsort-'));
  try {
    const exe = join(dir, 'stdsort');
    const cc = spawnSync('g++', ['-O2', '-std=c++17', '-o', exe, join(fixtureDir, 'stdsort.cpp')], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (const n of [1, 5, 16, 17, 40, 100, 1000]) {
      for (const spread of [2, 5, 1000]) {
        const keys = Array.from({ length: n }, () => rand() % spread);
        const r = spawnSync(exe, { input: `${n}\n${keys.join('\n')}\n`, encoding: 'utf8' });
        const expected = r.stdout.trim().split('\n').map(Number);
        const ours = cxxSort(keys.map((k, i) => ({ k, i })), (a, b) => a.k < b.k).map((x) => x.i);
        assert.deepEqual(ours, expected, `n=${n} spread=${spread}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('printf tokens and 0.17 quirks', () => {
  assert.deepEqual(printfTokens('%d %i %+d %-5s %05lu %% %rx %hhx'), ['%d', '%-5s', '%05lu', '%rx', '%hhx']);
  assert.equal(formatPrintf('%d\n', [(1n << 33n) + 5n]), '5\n');
  assert.equal(formatPrintf('%d\n', [-1n]), '-1\n');
  assert.equal(formatPrintf('%u|%lu', [-1n, -1n]), '4294967295|18446744073709551615');
  assert.equal(formatPrintf('a%%b %d %%', [7n]), 'a%b 7 %%');
  assert.equal(formatPrintf('[%-6s][%6s]', ['ab', 'cd']), '[ab    ][    cd]');
  assert.equal(formatPrintf('%p %p', [0n, 255n]), '(nil) 0xff');
  assert.throws(() => formatPrintf('%s', [1n]), PrintfError);
  assert.throws(() => formatPrintf('%d', [1n, 2n]), PrintfError);
});

test('bucket definitions follow bpftrace 0.17', () => {
  assert.deepEqual([-5n, 0n, 1n, 2n, 3n, 4n, 1023n, 1024n].map(histBucket017), [0, 1, 2, 3, 3, 4, 11, 12]);
  assert.equal(histBucket017(1n << 31n), 33);
  assert.equal(histBucket017(1n << 50n), 33, '0.17 caps at 2^31');
  assert.deepEqual([-1n, 0n, 9n, 10n, 99n, 100n].map((v) => lhistBucket(v, 0, 100, 10)), [0, 1, 1, 2, 10, 11]);
});

test('hist bars use float math and never exceed 52', () => {
  const t = histText([0n, 0n, 3n, 1n, 2n]);
  const bars = t.split('\n').filter(Boolean).map((l) => (l.split('|')[1] ?? '').trim().length);
  assert.deepEqual(bars, [52, 17, 34]);
});

test('empty maps print a blank line in text, nothing in json', () => {
  const m = { name: '@x', kind: 'count' as const, keyTypes: [], entries: [] };
  assert.equal(formatMapText(m), '\n');
  assert.equal(exitOutput([m], 'json'), '\n\n');
});

test('strftime formats local time', () => {
  const d = new Date(2024, 0, 5, 7, 8, 9);
  assert.equal(strftime('%Y-%m-%d %H:%M:%S %a %b %j %%', d), '2024-01-05 07:08:09 Fri Jan 005 %');
});
