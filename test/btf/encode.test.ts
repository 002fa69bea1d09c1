// encode → parse gives the same types; sanitised BTF uses only the kinds a feature set allows; the kernel
// accepts what we encode (BPF_BTF_LOAD).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { Btf, BtfKind, encodeBtf, encodeBtfSubset, encodeTypes, fixupDatasecs, typeList, loadVmlinuxBtf, VMLINUX_PATH, type BtfFeatures } from '../../src/btf/index.js';
import { btfLoadAttr, bpfRaw } from '../../src/sys/bpf.js';
import { BpfCmd } from '../../src/sys/constants.js';
import { native } from '../../src/sys/native.js';
import { compile, section } from '../fixtures/btf/build.js';
import { kernelTest } from '../helpers/kernel.js';

const json = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
const NONE: BtfFeatures = { datasec: false, func: false, globalFunc: false, float: false, declTag: false, typeTag: false, enum64: false };

test('object BTF round-trips with identical types and string offsets', () => {
  for (const target of ['bpf', 'bpfeb'] as const) {
    const btf = Btf.parse(section(compile('kinds', target), '.BTF'));
    const again = Btf.parse(encodeBtf(btf, { littleEndian: btf.littleEndian }));
    assert.equal(again.typeCount, btf.typeCount);
    for (const id of btf.ids()) assert.equal(json(again.type(id)), json(btf.type(id)), `${target} type ${id}`);
    assert.deepEqual(again.strings, btf.strings, 'string section kept, so line_info offsets stay valid');
  }
});

test('vmlinux BTF round-trips', { skip: !existsSync(VMLINUX_PATH) && 'no kernel BTF' }, () => {
  const btf = loadVmlinuxBtf();
  const t0 = performance.now();
  const bytes = encodeBtf(btf);
  console.log(`# encoded vmlinux BTF in ${(performance.now() - t0).toFixed(0)} ms`);
  const again = Btf.parse(bytes);
  assert.equal(again.typeCount, btf.typeCount);
  for (let id = 1; id < btf.typeCount; id += 97) assert.equal(json(again.type(id)), json(btf.type(id)), `type ${id}`);
});

test('sanitising rewrites kinds the feature set lacks and keeps ids', () => {
  const btf = Btf.parse(section(compile('kinds'), '.BTF'));
  const clean = Btf.parse(encodeBtf(btf, { features: NONE }));
  const kinds = new Set([...clean.types()].map((t) => t.kind));
  for (const k of [BtfKind.VAR, BtfKind.DATASEC, BtfKind.FUNC, BtfKind.FUNC_PROTO, BtfKind.FLOAT, BtfKind.DECL_TAG, BtfKind.TYPE_TAG, BtfKind.ENUM64]) {
    assert.ok(!kinds.has(k), `no ${BtfKind[k]} left`);
  }
  assert.equal(clean.typeCount, btf.typeCount, 'ids stay stable');
  const outer = btf.typeByName('outer', BtfKind.STRUCT)!;
  assert.equal(json(clean.type(outer.id)), json(outer), 'untouched kinds are unchanged');
  assert.equal(clean.type(btf.typeByName('helper', BtfKind.FUNC)!.id).kind, BtfKind.TYPEDEF);
  assert.equal(clean.type(btf.typeByName('float', BtfKind.FLOAT)!.id).kind, BtfKind.STRUCT);
  const sec = clean.type(btf.typeByName('.rodata', BtfKind.DATASEC)!.id);
  assert.ok(sec.kind === BtfKind.STRUCT && sec.name === '_rodata');
  // Only what is missing changes: with func support, FUNC stays.
  const partial = Btf.parse(encodeBtf(btf, { features: { float: false } }));
  assert.equal(partial.type(btf.typeByName('helper', BtfKind.FUNC)!.id).kind, BtfKind.FUNC);
  assert.equal(partial.type(btf.typeByName('float', BtfKind.FLOAT)!.id).kind, BtfKind.STRUCT);
});

test('subset encoding keeps what the roots reach, renumbered', () => {
  const btf = Btf.parse(section(compile('kinds'), '.BTF'));
  const outer = btf.typeByName('outer', BtfKind.STRUCT)!;
  const { bytes, ids } = encodeBtfSubset(btf, [outer.id]);
  const sub = Btf.parse(bytes);
  assert.ok(sub.typeCount < btf.typeCount);
  const mapped = sub.type(ids.get(outer.id)!);
  assert.equal(mapped.name, 'outer');
  assert.equal(sub.format(ids.get(outer.id)!), 'struct outer');
  assert.equal(sub.sizeOf(mapped.id), btf.sizeOf(outer.id));
  assert.equal(sub.typeByName('prog'), undefined, 'unreached FUNC left out');
});

/** The object's BTF with DATASEC sizes and offsets filled from llvm-readelf (what the ELF loader does). */
function loadableBtf(object: string): Btf {
  const btf = Btf.parse(section(object, '.BTF'));
  const sections = execFileSync('llvm-readelf', ['-S', '-W', object]).toString();
  const symbols = execFileSync('llvm-readelf', ['-s', '-W', object]).toString();
  const sectionIndex = new Map<string, number>();
  const sizes = new Map<string, number>();
  for (const m of sections.matchAll(/^\s*\[\s*(\d+)\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)/gm)) {
    sectionIndex.set(m[2]!, Number(m[1])); sizes.set(m[2]!, parseInt(m[3]!, 16));
  }
  const offsets = new Map<string, number>();
  for (const m of symbols.matchAll(/^\s*\d+:\s+([0-9a-f]+)\s+\d+\s+OBJECT\s+\S+\s+\S+\s+(\d+)\s+(\S+)$/gm)) {
    offsets.set(`${m[2]}:${m[3]}`, parseInt(m[1]!, 16));
  }
  const fixed = fixupDatasecs(typeList(btf), (n) => sizes.get(n), (sec, v) => offsets.get(`${sectionIndex.get(sec)}:${v}`));
  return Btf.parse(encodeTypes(fixed, { strings: btf.strings }));
}

function btfLoad(bytes: Uint8Array): { fd: number; log: string } {
  const log = new Uint8Array(1 << 16);
  const fd = bpfRaw(BpfCmd.BTF_LOAD, btfLoadAttr(bytes, log, 1));
  return { fd, log: Buffer.from(log).toString('utf8').replace(/\0.*$/s, '') };
}

kernelTest('the kernel loads encoded object BTF, full and sanitised', () => {
  for (const name of ['kinds', 'core']) {
    const btf = loadableBtf(compile(name));
    for (const features of [undefined, NONE, { typeTag: false, declTag: false }]) {
      const { fd, log } = btfLoad(encodeBtf(btf, features ? { features } : {}));
      try {
        assert.ok(fd >= 0, `${name} ${json(features)}: BPF_BTF_LOAD failed (${fd}):\n${log.trimEnd().split("\n").slice(-4).join("\n")}`);
      } finally {
        if (fd >= 0) native.syscall(3 /* close */, fd);
      }
    }
  }
  // And rejects garbage with a verifier log, so the check above means something.
  const bad = encodeBtf(loadableBtf(compile('kinds'))).slice();
  new DataView(bad.buffer).setUint32(24 + 8, 0xffff, true); // first type's referenced id out of range
  const { fd } = btfLoad(bad);
  assert.ok(fd < 0, 'corrupted BTF is refused');
});
