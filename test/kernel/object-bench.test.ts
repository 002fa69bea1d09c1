// Time to load a 10-program object: bpfkit against libbpf (a C loader built here), in the same run.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readObjectFile } from '../../src/elf/object.js';
import { ObjectCollection } from '../../src/kernel/object.js';
import { compileBpf, scratchDir, sourceDir } from '../fixtures/bpf/build.js';
import { kernelTest } from '../helpers/kernel.js';

kernelTest('a 10-program object loads in bpfkit within a small factor of libbpf', { timeout: 120_000 }, (t) => {
  const obj = compileBpf('many');
  const loader = join(scratchDir(), 'libbpf-loader');
  execFileSync('gcc', ['-O2', '-o', loader, join(sourceDir, 'libbpf-loader.c'), '-lbpf'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const rounds = 10;
  const [progs, maps, libbpfUs] = execFileSync(loader, [obj, String(rounds)], { encoding: 'utf8' }).trim().split(' ').map(Number);
  // Warm up once (vmlinux BTF for CO-RE is parsed once per process; measured separately below).
  const btfStart = performance.now();
  ObjectCollection.loadFile(obj).close();
  const firstMs = performance.now() - btfStart;
  let readMs = 0;
  const start = performance.now();
  for (let i = 0; i < rounds; i++) {
    const r0 = performance.now();
    const spec = readObjectFile(obj);
    readMs += performance.now() - r0;
    using c = ObjectCollection.load(spec);
    assert.equal(Object.keys(c.programs).length, progs);
  }
  const oursUs = ((performance.now() - start) / rounds) * 1000;
  assert.equal(progs, 10);
  const spec = readObjectFile(obj);
  assert.equal(Object.keys(spec.maps).length, maps);
  t.diagnostic(`10-program object: bpfkit ${(oursUs / 1000).toFixed(2)} ms per load (ELF read ${(readMs / rounds).toFixed(2)} ms), ` +
    `libbpf ${(libbpfUs! / 1000).toFixed(2)} ms, ratio ${(oursUs / libbpfUs!).toFixed(2)}; first load incl. vmlinux BTF parse ${firstMs.toFixed(1)} ms`);
  assert.ok(oursUs < libbpfUs! * 5, `bpfkit ${oursUs} us vs libbpf ${libbpfUs} us`);
});
