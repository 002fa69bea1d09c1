// CO-RE relocation of a clang-built program against the running kernel's BTF: values agree with bpftool's raw
// dump of vmlinux and with libbpf's own decisions (bpftool -d prog loadall prints them), and unsatisfiable
// relocations poison their instruction.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { test } from 'node:test';
import {
  applyCoreRelocation, Btf, BtfKind, CoreReloKind, essentialName, loadVmlinuxBtf, parseBtfExt, POISON_HELPER_ID,
  VMLINUX_PATH, type CoreRelo, type CoreRelocationResult,
} from '../../src/btf/index.js';
import { decode, type Instruction } from '../../src/isa/instruction.js';
import { compile, section } from '../fixtures/btf/build.js';
import { kernelTest } from '../helpers/kernel.js';

const haveBtf = existsSync(VMLINUX_PATH);
const SEC = 'raw_tp/sys_enter';

function relocateAll(): { relos: CoreRelo[]; results: CoreRelocationResult[]; local: Btf; slots: Map<number, Instruction> } {
  const object = compile('core');
  const local = Btf.parse(section(object, '.BTF'));
  const ext = parseBtfExt(section(object, '.BTF.ext'), local);
  const insns = decode(section(object, SEC));
  const slots = new Map<number, Instruction>();
  let slot = 0;
  for (const insn of insns) {
    slots.set(slot, insn);
    slot += insn.opcode === 0x18 ? 2 : 1;
  }
  const relos = ext.coreRelos.get(SEC)!;
  const target = loadVmlinuxBtf();
  const results = relos.map((r) => applyCoreRelocation(slots.get(r.insn)!, r, local, target));
  return { relos, results, local, slots };
}

let raw: string | undefined;
function rawMember(struct: string, field: string): number {
  raw ??= execFileSync('bpftool', ['btf', 'dump', 'file', VMLINUX_PATH, 'format', 'raw'], { maxBuffer: 1 << 29 }).toString();
  const start = raw.search(new RegExp(`^\\[\\d+\\] STRUCT '${struct}'`, 'm'));
  const m = new RegExp(`^\\t'${field}' type_id=\\d+ bits_offset=(\\d+)`, 'm').exec(raw.slice(start));
  assert.ok(m, `${struct}.${field} in bpftool dump`);
  return Number(m[1]) / 8;
}

test('relocations resolve to the offsets and values in vmlinux BTF', { skip: !haveBtf && 'no kernel BTF' }, () => {
  const { relos, results, local } = relocateAll();
  const vmlinux = loadVmlinuxBtf();
  const pick = (kind: CoreReloKind, typeName: string, field?: string) => {
    const i = relos.findIndex((r, j) => r.kind === kind && local.nameOf(r.typeId) === typeName
      && (field === undefined || results[j]!.local.includes(`.${field} `)));
    assert.ok(i >= 0, `a ${CoreReloKind[kind]} relocation on ${typeName}.${field ?? ''}`);
    return results[i]!;
  };
  const realParent = rawMember('task_struct', 'real_parent');
  const tgid = rawMember('task_struct', 'tgid');
  const pid = rawMember('task_struct', 'pid');
  assert.equal(pick(CoreReloKind.FIELD_BYTE_OFFSET, 'task_struct', 'real_parent').instruction.imm, realParent);
  assert.equal(pick(CoreReloKind.FIELD_BYTE_OFFSET, 'task_struct', 'tgid').instruction.imm, tgid);
  // The flavour with three fields relocates onto the real task_struct.
  const flavour = pick(CoreReloKind.FIELD_BYTE_OFFSET, 'task_struct___flavour', 'real_parent');
  assert.equal(flavour.localValue, 8n);
  assert.equal(flavour.instruction.imm, realParent);
  assert.equal(pick(CoreReloKind.FIELD_BYTE_OFFSET, 'task_struct___flavour', 'pid').instruction.imm, pid);
  assert.equal(pick(CoreReloKind.FIELD_EXISTS, 'task_struct', 'pid').instruction.imm, 1);
  assert.equal(pick(CoreReloKind.FIELD_BYTE_SIZE, 'task_struct', 'comm').instruction.imm, 16);
  assert.equal(pick(CoreReloKind.FIELD_SIGNED, 'task_struct', 'pid').instruction.imm, 1);
  const task = vmlinux.typeByName('task_struct', BtfKind.STRUCT)!;
  assert.equal(pick(CoreReloKind.TYPE_SIZE, 'task_struct').instruction.imm, vmlinux.sizeOf(task.id));
  assert.equal(pick(CoreReloKind.TYPE_ID_TARGET, 'task_struct').instruction.constant, BigInt(task.id));
  assert.equal(pick(CoreReloKind.TYPE_ID_LOCAL, 'task_struct').instruction.constant, BigInt(local.typeByName('task_struct', BtfKind.STRUCT)!.id));
  assert.equal(pick(CoreReloKind.TYPE_EXISTS, 'task_struct').instruction.imm, 1);
  assert.equal(pick(CoreReloKind.TYPE_EXISTS, 'no_such_type_xyz').instruction.imm, 0);
  const ringbuf = (vmlinux.typeByName('bpf_map_type', BtfKind.ENUM) as { values: { name: string; value: bigint }[] })
    .values.find((v) => v.name === 'BPF_MAP_TYPE_RINGBUF')!.value;
  assert.equal(pick(CoreReloKind.ENUMVAL_VALUE, 'bpf_map_type').instruction.constant, ringbuf);
  assert.equal(pick(CoreReloKind.ENUMVAL_EXISTS, 'bpf_map_type___local').instruction.constant, 0n);
  // Bitfield: offset/size/shifts extract exactly the bit the kernel's layout says.
  const bitOff = vmlinux.memberOffset(task.id, 'sched_reset_on_fork')!.bitOffset;
  const byteOff = pick(CoreReloKind.FIELD_BYTE_OFFSET, 'task_struct', 'sched_reset_on_fork').instruction.imm;
  const byteSize = pick(CoreReloKind.FIELD_BYTE_SIZE, 'task_struct', 'sched_reset_on_fork').instruction.imm;
  const lshift = pick(CoreReloKind.FIELD_LSHIFT_U64, 'task_struct', 'sched_reset_on_fork').instruction.imm;
  assert.equal(pick(CoreReloKind.FIELD_RSHIFT_U64, 'task_struct', 'sched_reset_on_fork').instruction.imm, 63);
  assert.equal(64 - lshift, bitOff + 1 - byteOff * 8, 'lshift leaves the bit at the top of the word');
  assert.ok(byteOff * 8 <= bitOff && bitOff < (byteOff + byteSize) * 8);
  // The missing field: existence 0, the guarded read poisoned.
  const missing = results.filter((_, i) => local.nameOf(relos[i]!.typeId) === 'task_struct___missing');
  assert.ok(missing.some((r) => relos[results.indexOf(r)]!.kind === CoreReloKind.FIELD_EXISTS && r.instruction.imm === 0));
  const poisoned = missing.filter((r) => r.poisoned);
  assert.equal(poisoned.length, 1);
  assert.equal(poisoned[0]!.instruction.opcode, 0x85);
  assert.equal(poisoned[0]!.instruction.imm, POISON_HELPER_ID);
  assert.match(poisoned[0]!.reason!, /no_such_field_xyz/);
  assert.equal(results.filter((r) => r.poisoned).length, 1, 'only the missing field is poisoned');
});

kernelTest('every relocation agrees with libbpf (bpftool -d prog loadall)', { timeout: 60_000 }, () => {
  const { relos, results } = relocateAll();
  const pin = `/sys/fs/bpf/bpfkit-btf-core-${process.pid}`;
  try {
    const r = spawnSync('bpftool', ['-d', 'prog', 'loadall', compile('core'), pin], { encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, `bpftool loadall failed:\n${r.stderr.slice(-2000)}`);
    const libbpf = new Map<number, { insn: number; value?: bigint; poison?: boolean }>();
    for (const line of r.stderr.split('\n')) {
      let m = /relo #(\d+): patched insn #(\d+) \([^)]*\) (?:imm|off|imm64) (-?\d+) -> (-?\d+)/.exec(line);
      if (m) { libbpf.set(Number(m[1]), { insn: Number(m[2]), value: BigInt(m[4]!) }); continue; }
      m = /relo #(\d+): substituting insn #(\d+) w\/ invalid insn/.exec(line);
      if (m) libbpf.set(Number(m[1]), { insn: Number(m[2]), poison: true });
    }
    assert.equal(libbpf.size, relos.length, 'libbpf reports every relocation');
    relos.forEach((relo, i) => {
      const lib = libbpf.get(i)!;
      const ours = results[i]!;
      const what = `relo #${i} ${CoreReloKind[relo.kind]} ${ours.local}`;
      assert.equal(lib.insn, relo.insn, `${what}: insn`);
      if (lib.poison) {
        assert.ok(ours.poisoned, `${what}: libbpf poisons it`);
        return;
      }
      assert.ok(!ours.poisoned, `${what}: not poisoned`);
      const insn = ours.instruction;
      const cls = insn.opcode & 7;
      const value = insn.opcode === 0x18 ? insn.constant! : BigInt(cls === 1 || cls === 2 || cls === 3 ? insn.offset : insn.imm);
      assert.equal(BigInt.asUintN(32, value), BigInt.asUintN(32, lib.value!), what);
    });
  } finally {
    rmSync(pin, { recursive: true, force: true });
  }
});

/** A tiny local BTF, encoded by hand, for relocation kinds clang 14 cannot emit. */
function localBtf(): Btf {
  const strings = ['', 'int', 'task_struct___m', 'pid', 'tgid', 'comm', 'char', 'no_such_struct'];
  const off = (s: string) => strings.slice(0, strings.indexOf(s)).reduce((n, x) => n + Buffer.byteLength(x) + 1, 0);
  const words = [
    off('int'), 1 << 24, 4, (1 << 24) | 32,                                      // [1] int
    off('task_struct___m'), (4 << 24) | 2, 8, off('pid'), 1, 0, off('tgid'), 1, 32, // [2] struct { int pid, tgid }
    off('task_struct___m'), (4 << 24) | 1, 4, off('pid'), 4, 0,                       // [3] struct { char pid }
    off('char'), 1 << 24, 1, 8,                                                  // [4] char
    off('no_such_struct'), (4 << 24) | 0, 4,                                      // [5] struct no_such_struct {}
  ];
  const str = Buffer.from(strings.join('\0') + '\0');
  const b = Buffer.alloc(24 + words.length * 4 + str.length);
  b.writeUInt16LE(0xeb9f, 0); b.writeUInt8(1, 2); b.writeUInt32LE(24, 4);
  b.writeUInt32LE(words.length * 4, 12); b.writeUInt32LE(words.length * 4, 16); b.writeUInt32LE(str.length, 20);
  words.forEach((w, i) => b.writeUInt32LE(w >>> 0, 24 + i * 4));
  str.copy(b, 24 + words.length * 4);
  return Btf.parse(b);
}

test('TYPE_MATCHES, essential names, load size adjustment', { skip: !haveBtf && 'no kernel BTF' }, () => {
  const local = localBtf();
  const vmlinux = loadVmlinuxBtf();
  assert.equal(essentialName('task_struct___m'), 'task_struct');
  assert.equal(essentialName('a___b___c'), 'a___b');
  assert.equal(essentialName('____x'), '____x');
  const mov = (imm: number): Instruction => ({ opcode: 0xb7, dst: 1, src: 0, offset: 0, imm });
  const relo = (typeId: number, accessStr: string, kind: CoreReloKind): CoreRelo =>
    ({ insnOff: 0, insn: 0, typeId, accessStr, accessStrOff: 0, kind });
  // struct { int pid; int tgid; } matches task_struct (a subset with matching types).
  assert.equal(applyCoreRelocation(mov(1), relo(2, '0', CoreReloKind.TYPE_MATCHES), local, vmlinux).instruction.imm, 1);
  // struct { char pid; } does not: pid is an int in the kernel.
  assert.equal(applyCoreRelocation(mov(1), relo(3, '0', CoreReloKind.TYPE_MATCHES), local, vmlinux).instruction.imm, 0);
  assert.equal(applyCoreRelocation(mov(1), relo(5, '0', CoreReloKind.TYPE_EXISTS), local, vmlinux).instruction.imm, 0);
  // A 1-byte load of pid (local char) cannot become a 4-byte load: the field is a signed int, so it is poisoned.
  const ldxb: Instruction = { opcode: 0x71, dst: 1, src: 2, offset: 0, imm: 0 };
  const adjusted = applyCoreRelocation(ldxb, relo(3, '0:0', CoreReloKind.FIELD_BYTE_OFFSET), local, vmlinux);
  assert.ok(adjusted.poisoned, 'signed field of a different size cannot be reloaded safely');
  // Same field, same size: plain offset patch of an LDX.
  const ldxw: Instruction = { opcode: 0x61, dst: 1, src: 2, offset: 4, imm: 0 };
  const patched = applyCoreRelocation(ldxw, relo(2, '0:1', CoreReloKind.FIELD_BYTE_OFFSET), local, vmlinux);
  assert.equal(patched.instruction.offset, rawMember('task_struct', 'tgid'));
  assert.equal(patched.instruction.opcode, 0x61);
  // An instruction that does not hold the local value is refused, as libbpf does.
  assert.throws(() => applyCoreRelocation({ ...ldxw, offset: 12 }, relo(2, '0:1', CoreReloKind.FIELD_BYTE_OFFSET), local, vmlinux), /expected 4/);
  assert.throws(() => applyCoreRelocation(ldxw, relo(2, '0:9', CoreReloKind.FIELD_BYTE_OFFSET), local, vmlinux), /out of range/);
  // Type relocations of a missing type give 0 rather than poison.
  const lddw: Instruction = { opcode: 0x18, dst: 1, src: 0, offset: 0, imm: 4, constant: 4n };
  const p = applyCoreRelocation(lddw, relo(5, '0', CoreReloKind.TYPE_SIZE), local, vmlinux);
  assert.equal(p.poisoned, false, 'TYPE_SIZE of a missing type is 0, not poison');
  assert.equal(p.instruction.constant, 0n);
});

test('a poisoned lddw keeps its two slots', { skip: !haveBtf && 'no kernel BTF' }, () => {
  const local = localBtf();
  const lddw: Instruction = { opcode: 0x18, dst: 1, src: 0, offset: 0, imm: 0, constant: 0n };
  // pid of struct { char pid } is at 0 locally; ask for FIELD_BYTE_OFFSET of a member the target lacks by
  // relocating against a BTF that has no task_struct at all.
  const empty = Btf.parse(Buffer.from([0x9f, 0xeb, 1, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]));
  const r = applyCoreRelocation(lddw, { insnOff: 0, insn: 0, typeId: 3, accessStr: '0:0', accessStrOff: 0, kind: CoreReloKind.FIELD_BYTE_OFFSET }, local, empty);
  assert.ok(r.poisoned);
  assert.equal(r.instructions.length, 2);
  assert.ok(r.instructions.every((i) => i.opcode === 0x85 && i.imm === POISON_HELPER_ID));
});
