// Btf.parse against the running kernel's BTF (checked with bpftool's raw dump), clang objects of both byte
// orders, and hand-made blobs. No root needed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Btf, BtfError, BtfKind, encodeTypes, loadVmlinuxBtf, VMLINUX_PATH, type BtfTypeSpec } from '../../src/btf/index.js';
import { compile, section } from '../fixtures/btf/build.js';

const haveBtf = existsSync(VMLINUX_PATH);
const json = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

let rawDump: string | undefined;
function bpftoolRaw(): string {
  rawDump ??= execFileSync('bpftool', ['btf', 'dump', 'file', VMLINUX_PATH, 'format', 'raw'], { maxBuffer: 1 << 29 }).toString();
  return rawDump;
}

/** `[id] KIND 'name' size=N ...` plus its member lines, from bpftool's raw dump. */
function rawType(kind: string, name: string): { id: number; size?: number; members: Map<string, { type: number; bits: number }> } {
  const dump = bpftoolRaw();
  const m = new RegExp(`^\\[(\\d+)\\] ${kind} '${name}'(?: size=(\\d+))?.*$`, 'm').exec(dump);
  assert.ok(m, `bpftool lists ${kind} ${name}`);
  const members = new Map<string, { type: number; bits: number }>();
  const rest = dump.slice(m.index + m[0].length + 1).split('\n');
  for (const line of rest) {
    const mm = /^\t'([^']*)' type_id=(\d+) bits_offset=(\d+)/.exec(line);
    if (!mm) break;
    members.set(mm[1]!, { type: Number(mm[2]), bits: Number(mm[3]) });
  }
  return { id: Number(m[1]), size: m[2] ? Number(m[2]) : undefined, members };
}

test('parses vmlinux BTF lazily in tens of ms', { skip: !haveBtf && 'no kernel BTF' }, () => {
  const bytes = readFileSync(VMLINUX_PATH);
  globalThis.gc?.();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const btf = Btf.parse(bytes);
  const ms = performance.now() - t0;
  const after = process.memoryUsage();
  const mib = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20;
  const t1 = performance.now();
  const task = btf.typeByName('task_struct', BtfKind.STRUCT);
  const lookupMs = performance.now() - t1;
  console.log(`# vmlinux BTF: ${btf.typeCount - 1} types, ${(bytes.length / 2 ** 20).toFixed(1)} MiB; parse ${ms.toFixed(1)} ms, ` +
    `+${mib.toFixed(1)} MiB; first name lookup ${lookupMs.toFixed(2)} ms`);
  assert.ok(ms < 500, `parse took ${ms} ms`);
  assert.ok(task);
  assert.equal(btf.typeCount - 1, (bpftoolRaw().match(/^\[\d+\]/gm) ?? []).length);
});

test('agrees with bpftool on ids, sizes and member offsets', { skip: !haveBtf && 'no kernel BTF' }, () => {
  const btf = loadVmlinuxBtf();
  const raw = rawType('STRUCT', 'task_struct');
  const task = btf.typeByName('task_struct', BtfKind.STRUCT)!;
  assert.equal(task.id, raw.id);
  assert.equal(btf.sizeOf(task.id), raw.size);
  for (const field of ['pid', 'tgid', 'real_parent', 'parent', 'comm', 'mm', 'cred']) {
    const want = raw.members.get(field);
    assert.ok(want, `bpftool lists task_struct.${field}`);
    const got = btf.memberOffset(task.id, field)!;
    assert.equal(got.bitOffset, want.bits, field);
    assert.equal(got.member.type, want.type, field);
  }
  assert.equal(btf.format(btf.memberOffset(task.id, 'real_parent')!.member.type), 'struct task_struct *');
  assert.equal(btf.format(btf.memberOffset(task.id, 'comm')!.member.type), 'char [16]');
  for (const [kind, name, k] of [['STRUCT', 'sk_buff', BtfKind.STRUCT], ['STRUCT', 'list_head', BtfKind.STRUCT],
    ['UNION', 'bpf_attr', BtfKind.UNION], ['TYPEDEF', 'u64', BtfKind.TYPEDEF], ['INT', 'int', BtfKind.INT],
    ['ENUM', 'bpf_map_type', BtfKind.ENUM], ['FUNC', 'do_sys_openat2', BtfKind.FUNC]] as const) {
    const r = rawType(kind, name);
    const t = btf.typeByName(name, k);
    assert.ok(t, `${kind} ${name}`);
    assert.equal(t.id, r.id, `${kind} ${name} id`);
    if (r.size !== undefined) assert.equal(btf.sizeOf(t.id), r.size, `${kind} ${name} size`);
  }
  assert.equal(btf.sizeOf(btf.typeByName('u64', BtfKind.TYPEDEF)!.id), 8);
  assert.equal(btf.resolve(btf.typeByName('u64', BtfKind.TYPEDEF)!.id).kind, BtfKind.INT);
  assert.equal(btf.alignOf(task.id), 8, 'natural alignment (BTF does not record __aligned)');
  assert.equal(btf.alignOf(btf.typeByName('list_head', BtfKind.STRUCT)!.id), 8);
  // A member reached through an anonymous union: sk_buff.len sits past the anonymous head.
  const skb = btf.typeByName('sk_buff', BtfKind.STRUCT)!;
  assert.equal(btf.memberOffset(skb.id, 'len')!.bitOffset, rawType('STRUCT', 'sk_buff').members.get('len')!.bits);
  assert.ok(btf.memberOffset(skb.id, 'next'), 'next lives in an anonymous union/struct');
  assert.equal(btf.typeByName('task_struct', BtfKind.FUNC), undefined);
  assert.equal(btf.typeByName('no_such_type_xyz'), undefined);
  assert.deepEqual(btf.typesByName('task_struct').map((t) => t.id), btf.idsByName('task_struct'));
  assert.throws(() => btf.type(btf.typeCount), BtfError);
});

test('reads big-endian objects the same as little-endian ones', () => {
  const le = Btf.parse(section(compile('kinds', 'bpf'), '.BTF'));
  const be = Btf.parse(section(compile('kinds', 'bpfeb'), '.BTF'));
  assert.equal(le.littleEndian, true);
  assert.equal(be.littleEndian, false);
  assert.equal(be.typeCount, le.typeCount);
  for (const id of le.ids()) assert.equal(json(be.type(id)), json(le.type(id)), `type ${id}`);
});

test('decodes every kind clang emits', () => {
  const btf = Btf.parse(section(compile('kinds'), '.BTF'));
  const kinds = new Set([...btf.types()].map((t) => t.kind));
  for (const k of [BtfKind.INT, BtfKind.PTR, BtfKind.ARRAY, BtfKind.STRUCT, BtfKind.UNION, BtfKind.ENUM, BtfKind.FWD,
    BtfKind.TYPEDEF, BtfKind.VOLATILE, BtfKind.CONST, BtfKind.FUNC, BtfKind.FUNC_PROTO, BtfKind.VAR, BtfKind.DATASEC,
    BtfKind.FLOAT, BtfKind.DECL_TAG, BtfKind.TYPE_TAG]) {
    assert.ok(kinds.has(k), `kind ${BtfKind[k]} present`);
  }
  const flags = btf.typeByName('flags', BtfKind.STRUCT)!;
  assert.ok(flags.kind === BtfKind.STRUCT && flags.bitfields);
  assert.deepEqual(flags.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize]), [['a', 0, 3], ['b', 3, 5], ['c', 8, 7], ['d', 64, 0]]);
  const color = btf.typeByName('color', BtfKind.ENUM)!;
  assert.ok(color.kind === BtfKind.ENUM);
  // clang 14 does not mark signed enums (kind_flag); newer clangs do.
  assert.deepEqual(color.values.map((v) => [v.name, v.value]), [['RED', 0n], ['GREEN', 5n], ['BLUE', color.signed ? -1n : 0xffffffffn]]);
  const outer = btf.typeByName('outer', BtfKind.STRUCT)!;
  assert.equal(btf.memberOffset(outer.id, 'y')!.byteOffset, 4, 'y through the anonymous struct');
  assert.equal(btf.format(btf.memberOffset(outer.id, 'callback')!.member.type), 'int (*)(int, void *)');
  assert.equal(btf.format(btf.memberOffset(outer.id, 'matrix')!.member.type), 'int [2][3]');
  assert.equal(btf.format(btf.memberOffset(outer.id, 'cv')!.member.type), 'const volatile int');
  assert.equal(btf.sizeOf(btf.memberOffset(outer.id, 'matrix')!.member.type), 24);
  assert.equal(btf.sizeOf(outer.id), outer.kind === BtfKind.STRUCT ? outer.size : -1);
  assert.equal(btf.alignOf(outer.id), 8);
  const helper = btf.typeByName('helper', BtfKind.FUNC)!;
  assert.equal(btf.format(helper.id), 'int helper(struct outer *o, int n)');
  const tag = btf.typesByName('helper_tag', BtfKind.DECL_TAG)[0]!;
  assert.ok(tag.kind === BtfKind.DECL_TAG && tag.type === helper.id && tag.componentIdx === -1);
  const rodata = btf.typeByName('.rodata', BtfKind.DATASEC)!;
  assert.ok(rodata.kind === BtfKind.DATASEC && rodata.vars.length === 1);
  assert.equal(btf.nameOf(rodata.vars[0]!.type), 'target_pid');
  assert.match(btf.formatDefinition(outer.id), /struct outer \{\n\tstruct \{\.\.\.\}; \/\* offset 0 \*\/\n\tunion either e;/);
});

test('split BTF continues ids and strings after its base', () => {
  const base = Btf.parse(encodeTypes([{ kind: BtfKind.INT, name: 'int', size: 4, encoding: 1, signed: true, bitOffset: 0, bits: 32 }]));
  // A split blob: one PTR to base type 1, named with a string at offset base.stringsLength + 1.
  const strings = new TextEncoder().encode('\0p_t\0');
  const types = new Uint32Array([base.stringsLength + 1, 8 << 24, 1, 0, 2 << 24, 2]);
  const b = new Uint8Array(24 + types.byteLength + strings.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, 0xeb9f, true); v.setUint8(2, 1); v.setUint32(4, 24, true);
  v.setUint32(12, types.byteLength, true); v.setUint32(16, types.byteLength, true); v.setUint32(20, strings.length, true);
  b.set(new Uint8Array(types.buffer), 24); b.set(strings, 24 + types.byteLength);
  const split = Btf.parse(b, { base });
  assert.equal(split.firstId, 2);
  assert.equal(split.typeCount, 4);
  assert.equal(split.format(2), 'p_t');
  assert.equal(split.format(3), 'p_t *');
  assert.equal(split.resolve(2).name, 'int');
  assert.equal(split.typeByName('int')!.id, 1);
  assert.equal(split.typeByName('p_t')!.id, 2);
});

test('hand-made types: sizes, alignment, packed structs, qualifiers', () => {
  const types: BtfTypeSpec[] = [
    { kind: BtfKind.INT, name: 'int', size: 4, encoding: 1, signed: true, bitOffset: 0, bits: 32 },       // 1
    { kind: BtfKind.INT, name: 'char', size: 1, encoding: 2, signed: false, bitOffset: 0, bits: 8 },      // 2
    { kind: BtfKind.STRUCT, name: 'packed', size: 5, bitfields: false, members: [                        // 3
      { name: 'c', type: 2, bitOffset: 0, bitfieldSize: 0 }, { name: 'i', type: 1, bitOffset: 8, bitfieldSize: 0 }] },
    { kind: BtfKind.CONST, name: '', type: 5 },                                                          // 4
    { kind: BtfKind.PTR, name: '', type: 2 },                                                            // 5
    { kind: BtfKind.TYPEDEF, name: 'loop_t', type: 7 },                                                  // 6
    { kind: BtfKind.TYPEDEF, name: 'loop2_t', type: 6 },                                                 // 7
    { kind: BtfKind.FUNC_PROTO, name: '', returnType: 0, params: [{ name: 'fmt', type: 2 }], variadic: true }, // 8
  ];
  const btf = Btf.parse(encodeTypes(types));
  assert.equal(btf.sizeOf(3), 5);
  assert.equal(btf.alignOf(3), 1, 'packed');
  assert.equal(btf.sizeOf(4), 8);
  assert.equal(btf.format(4), 'char *const');
  assert.equal(btf.format(4, 'p'), 'char *const p');
  assert.throws(() => btf.resolve(6), /loop/);
  assert.throws(() => btf.sizeOf(6), BtfError);
  assert.throws(() => btf.sizeOf(8), /no size/);
  assert.equal(btf.format(8), 'void (char fmt, ...)');
  assert.throws(() => btf.type(99), BtfError);
});
