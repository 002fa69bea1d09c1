// Malformed BTF: random byte flips and truncations of valid blobs never crash, hang or throw anything but BtfError,
// whatever is asked of the result (decode every type, format, sizes, lookups, .BTF.ext, CO-RE).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyCoreRelocation, Btf, BtfError, loadVmlinuxBtf, parseBtfExt, type BtfExt } from '../../src/btf/index.js';
import { compile, section } from '../fixtures/btf/build.js';

/** xorshift32: the same mutations every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 0x100000000;
  };
}

function exercise(btf: Btf, extBytes: Uint8Array | undefined, target: Btf | undefined): void {
  for (const id of btf.ids()) {
    const t = btf.type(id);
    for (const f of [() => btf.format(id), () => btf.sizeOf(id), () => btf.alignOf(id), () => btf.resolve(id),
      () => btf.formatDefinition(id), () => btf.memberOffset(id, 'x')]) {
      try { f(); } catch (err) { if (!(err instanceof BtfError)) throw err; }
    }
    if (t.name) btf.typesByName(t.name, t.kind);
  }
  if (!extBytes) return;
  let ext: BtfExt;
  try { ext = parseBtfExt(extBytes, btf); } catch (err) { if (!(err instanceof BtfError)) throw err; return; }
  if (!target) return;
  for (const relos of ext.coreRelos.values()) {
    for (const relo of relos.slice(0, 8)) {
      try {
        applyCoreRelocation({ opcode: 0xb7, dst: 1, src: 0, offset: 0, imm: 0 }, relo, btf, target);
      } catch (err) { if (!(err instanceof BtfError)) throw err; }
    }
  }
}

test('2,400 mutated BTF blobs give BtfError or a usable Btf', { timeout: 120_000 }, () => {
  const inputs = ['kinds', 'core'].map((n) => {
    const o = compile(n);
    return { name: n, btf: section(o, '.BTF'), ext: section(o, '.BTF.ext') };
  });
  const target = loadVmlinuxBtf();
  const random = rng(0xb7f00d);
  let parsed = 0;
  let rejected = 0;
  let slowest = 0;
  const N = 2400;
  for (let i = 0; i < N; i++) {
    const input = inputs[i % inputs.length]!;
    const mutateExt = i % 3 === 2;
    const bytes = (mutateExt ? input.ext : input.btf).slice();
    let mutated: Uint8Array = bytes;
    if (i % 10 === 0) {
      mutated = bytes.subarray(0, Math.floor(random() * bytes.length));
    } else {
      const flips = 1 + Math.floor(random() * 8);
      for (let f = 0; f < flips; f++) {
        // Bias towards the header and the type section, where a flip changes structure.
        const at = random() < 0.3 ? Math.floor(random() * 24) : Math.floor(random() * bytes.length);
        bytes[at] = random() < 0.5 ? bytes[at]! ^ (1 << Math.floor(random() * 8)) : Math.floor(random() * 256);
      }
    }
    const t0 = performance.now();
    try {
      const btf = Btf.parse(mutateExt ? input.btf : mutated);
      parsed++;
      exercise(btf, mutateExt ? mutated : input.ext, target);
    } catch (err) {
      if (!(err instanceof BtfError)) {
        assert.fail(`mutation ${i} (${input.name} ${mutateExt ? '.BTF.ext' : '.BTF'}) threw ${(err as Error)?.name}: ${(err as Error)?.message}\n${(err as Error)?.stack}`);
      }
      rejected++;
    }
    slowest = Math.max(slowest, performance.now() - t0);
  }
  console.log(`# ${N} mutations: ${parsed} parsed, ${rejected} rejected with BtfError; slowest ${slowest.toFixed(1)} ms`);
  assert.ok(rejected > 100 && parsed > 100);
  assert.ok(slowest < 5000, 'no mutation takes seconds');
});
