// Round trips over the whole conformance suite: assemble → encode → disassemble → assemble → encode is the identity.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assemble } from '../../src/isa/asm.js';
import { disassemble, type Dialect } from '../../src/isa/disasm.js';
import { decode, encode } from '../../src/isa/instruction.js';
import { validate } from '../../src/isa/validate.js';
import { conformanceFiles, parseConformance } from './conformance-data.js';

const files = conformanceFiles('tests').map(({ name, text }) => parseConformance(name, text));

test('the conformance suite has its 313 programs', () => {
  assert.equal(files.length, 313);
});

test('every conformance program assembles to valid instructions; lddw.data matches its -- raw words', () => {
  for (const f of files) {
    const insns = assemble(f.asm!.text, { file: f.name, firstLine: f.asm!.firstLine });
    assert.ok(insns.length > 0, f.name);
    // callx is in the RFC (and its unused fields are zero); everything must pass the field checks.
    assert.doesNotThrow(() => validate(insns), f.name);
    if (f.raw) assert.deepEqual(encode(insns), f.raw, f.name);
  }
});

for (const dialect of ['ubpf', 'bpftool'] as Dialect[]) {
  test(`every conformance program round-trips through the ${dialect} dialect`, () => {
    for (const f of files) {
      const bytes = encode(assemble(f.asm!.text, { file: f.name }));
      const text = disassemble(bytes, { dialect });
      const again = encode(assemble(text, { file: `${f.name} (${dialect})` }));
      assert.deepEqual(again, bytes, `${f.name}:\n${text}`);
      assert.deepEqual(encode(decode(bytes)), bytes);
    }
  });
}

test('labels survive a round trip when printed by name', () => {
  for (const f of files.filter((x) => /call_local|prime|jit-bounce|exit-not-last/.test(x.name))) {
    const insns = assemble(f.asm!.text);
    for (const dialect of ['ubpf', 'bpftool'] as Dialect[]) {
      const text = disassemble(insns, { dialect, labels: true, index: false });
      assert.deepEqual(encode(assemble(text)), encode(insns), `${f.name} (${dialect}):\n${text}`);
    }
  }
});
