// .BTF.ext of clang objects: func_info and line_info agree with llvm-objdump's view of the same object
// (symbols and DWARF line table). No root needed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { Btf, BtfError, BtfKind, parseBtfExt } from '../../src/btf/index.js';
import { compile, section } from '../fixtures/btf/build.js';

/** Per section: function symbols by instruction index, and the source line llvm-objdump prints before each insn. */
function objdump(object: string): Map<string, { funcs: Map<number, string>; lines: Map<number, { file: string; line: number }> }> {
  const out = execFileSync('llvm-objdump', ['-d', '-l', '--no-show-raw-insn', object], { maxBuffer: 1 << 26 }).toString();
  const sections = new Map<string, { funcs: Map<number, string>; lines: Map<number, { file: string; line: number }> }>();
  let cur: { funcs: Map<number, string>; lines: Map<number, { file: string; line: number }> } | undefined;
  let pending: { file: string; line: number } | undefined;
  for (const line of out.split('\n')) {
    let m = /^Disassembly of section (.*):$/.exec(line);
    if (m) { cur = { funcs: new Map(), lines: new Map() }; sections.set(m[1]!, cur); continue; }
    if (!cur) continue;
    m = /^([0-9a-f]{16}) <(.*)>:$/.exec(line);
    if (m) { if (!m[2]!.startsWith("LBB")) cur.funcs.set(parseInt(m[1]!, 16) / 8, m[2]!); continue; } // LBB: branch labels
    m = /^; (\/.*):(\d+)$/.exec(line);
    if (/^Disassembly|^[0-9a-f]{16} </.test(line)) pending = undefined;
    if (m) { pending = { file: m[1]!, line: Number(m[2]) }; continue; }
    m = /^\s*(\d+):\s/.exec(line);
    if (m && pending) cur.lines.set(Number(m[1]), pending); // the line stays in effect until the next annotation
  }
  return sections;
}

for (const name of ['kinds', 'core']) {
  test(`${name}.bpf.o: func_info and line_info match llvm-objdump`, () => {
    const object = compile(name);
    const btf = Btf.parse(section(object, '.BTF'));
    const ext = parseBtfExt(section(object, '.BTF.ext'), btf);
    const dump = objdump(object);
    assert.ok(ext.funcInfo.size > 0 && ext.lineInfo.size > 0);
    assert.equal(ext.funcInfoRecSize, 8);
    assert.equal(ext.lineInfoRecSize, 16);
    for (const [sec, infos] of ext.funcInfo) {
      const d = dump.get(sec);
      assert.ok(d, `llvm-objdump shows section ${sec}`);
      for (const fi of infos) {
        const fn = btf.type(fi.typeId);
        assert.equal(fn.kind, BtfKind.FUNC);
        assert.equal(d.funcs.get(fi.insn), fn.name, `${sec}: function at insn ${fi.insn}`);
      }
      assert.equal(infos.length, d.funcs.size, `${sec}: one func_info per function`);
    }
    let checked = 0;
    for (const [sec, infos] of ext.lineInfo) {
      const d = dump.get(sec)!;
      for (const li of infos) {
        assert.ok(li.fileName.endsWith(`${name}.bpf.c`), li.fileName);
        assert.ok(li.column >= 0 && li.line >= 0);
        if (li.line === 0) continue; // compiler-generated code has no line
        const want = d.lines.get(li.insn);
        assert.ok(want, `${sec}: llvm-objdump has a line at insn ${li.insn} (${li.fileName}:${li.line})`);
        assert.equal(li.line, want.line, `${sec} insn ${li.insn}`);
        assert.equal(li.fileName, want.file);
        checked++;
      }
    }
    assert.ok(checked > 10, `checked ${checked} line records`);
    // The line text is the C source line.
    const sample = [...ext.lineInfo.values()][0]![0]!;
    const src = execFileSync('sed', ['-n', `${sample.line}p`, sample.fileName]).toString().trimEnd();
    assert.equal(sample.lineText.trim(), src.trim());
  });
}

test('core_relo records name their type and access path', () => {
  const object = compile('core');
  const btf = Btf.parse(section(object, '.BTF'));
  const ext = parseBtfExt(section(object, '.BTF.ext'), btf);
  const relos = ext.coreRelos.get('raw_tp/sys_enter')!;
  assert.ok(relos.length >= 20, `${relos.length} relocations`);
  const first = relos[0]!;
  assert.equal(btf.nameOf(first.typeId), 'task_struct');
  const rp = btf.memberOffset(first.typeId, 'real_parent')!;
  const idx = (btf.type(first.typeId) as { members: { name: string }[] }).members.findIndex((m) => m.name === 'real_parent');
  assert.equal(first.accessStr, `0:${idx}`);
  assert.ok(rp.byteOffset > 0);
});

test('rejects malformed .BTF.ext', () => {
  const object = compile('kinds');
  const btf = Btf.parse(section(object, '.BTF'));
  const good = section(object, '.BTF.ext');
  assert.throws(() => parseBtfExt(good.subarray(0, 10), btf), BtfError);
  assert.throws(() => parseBtfExt(good.subarray(0, good.length - 4), btf), /past/);
  const bad = good.slice();
  bad[0] = 0;
  assert.throws(() => parseBtfExt(bad, btf), /magic/);
});
