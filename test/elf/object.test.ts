// The ELF object reader on clang-built fixtures: programs, subprogram linking, maps, global data, both byte orders.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { BtfMapSpec } from '../../src/elf/btf-maps.js';
import { readObject, readObjectFile, type ObjectSpec } from '../../src/elf/object.js';
import { classifySection } from '../../src/elf/sections.js';
import { JmpOp, Class, PseudoLoad, isWide } from '../../src/isa/opcodes.js';
import { AttachType, MapFlags, MapType, ProgType } from '../../src/sys/constants.js';
import { compileBpf } from '../fixtures/bpf/build.js';

const CALL = Class.JMP | JmpOp.CALL;

function slotOf(spec: ObjectSpec['programs'][string], index: number): number {
  let s = 0;
  for (let i = 0; i < index; i++) s += isWide(spec.instructions[i]!.opcode) ? 2 : 1;
  return s;
}

test('legacy maps section: definitions, map relocations, license and version', () => {
  const spec = readObjectFile(compileBpf('legacy'));
  assert.deepEqual(Object.keys(spec.programs).sort(), ['accept_all', 'count_packets']);
  assert.deepEqual(spec.maps.counts, { name: 'counts', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 });
  assert.equal(spec.maps.lengths!.type, MapType.HASH);
  assert.equal(spec.maps.lengths!.flags, MapFlags.NO_PREALLOC);
  assert.equal(spec.license, 'GPL');
  assert.equal(spec.kernelVersion, 0x060c00);
  const xdp = spec.programs.count_packets!;
  assert.equal(xdp.type, ProgType.XDP);
  assert.equal(xdp.expectedAttachType, AttachType.XDP);
  assert.equal(xdp.sectionName, 'xdp');
  const mapLoads = xdp.instructions.filter((i) => isWide(i.opcode) && i.src === PseudoLoad.MAP_FD).map((i) => i.reference);
  assert.deepEqual(mapLoads, ['counts', 'lengths']);
  assert.equal(spec.programs.accept_all!.type, ProgType.SOCKET_FILTER);
});

test('global data: one map per data section, variables with offsets, .rodata frozen and read-only to programs', () => {
  const spec = readObjectFile(compileBpf('globals'));
  assert.deepEqual(Object.keys(spec.dataSections).sort(), ['.bss', '.data', '.data.custom', '.rodata']);
  const rodata = spec.maps['.rodata']!;
  assert.equal(rodata.type, MapType.ARRAY);
  assert.equal(rodata.maxEntries, 1);
  assert.equal(rodata.freeze, true);
  assert.equal(rodata.flags! & MapFlags.RDONLY_PROG, MapFlags.RDONLY_PROG);
  assert.equal(spec.maps['.bss']!.flags! & MapFlags.MMAPABLE, MapFlags.MMAPABLE);
  assert.deepEqual(spec.variables.verdict, { name: 'verdict', section: '.rodata', offset: 0, size: 4, global: true });
  assert.equal(spec.variables.calls!.global, false);
  assert.equal(spec.variables.tag!.section, '.data.custom');
  assert.equal(new TextDecoder().decode(spec.dataSections['.data.custom']!.data.subarray(0, 6)), 'custom');
  // Every data access became a map-value load naming its section, with the variable's offset in the high half.
  const prog = spec.programs.xdp_globals!;
  const loads = prog.instructions.filter((i) => isWide(i.opcode) && i.src === PseudoLoad.MAP_VALUE);
  assert.ok(loads.length >= 5);
  const targets = new Set(loads.map((i) => `${i.reference}+${Number((i.constant ?? 0n) >> 32n)}`));
  for (const name of ['packets', 'bytes_seen', 'step', 'tag', 'verdict', 'add_length']) {
    const v = spec.variables[name]!;
    assert.ok(targets.has(`${v.section}+${v.offset}`), `a load of ${name} (${v.section}+${v.offset}) in ${[...targets].join(' ')}`);
  }
});

test('subprograms in .text are appended to every program that calls them and calls point at them', () => {
  const spec = readObjectFile(compileBpf('subprogs'));
  assert.deepEqual(Object.keys(spec.programs).sort(), ['sock_third', 'xdp_first', 'xdp_second']);
  const first = spec.programs.xdp_first!;
  assert.deepEqual(first.functions.map((f) => f.name).sort(), ['square', 'store', 'sum_squares', 'xdp_first']);
  assert.equal(first.functions[0]!.name, 'xdp_first');
  assert.deepEqual(spec.programs.xdp_second!.functions.map((f) => f.name).sort(), ['square', 'store', 'xdp_second']);
  for (const prog of Object.values(spec.programs)) {
    const starts = new Map(prog.functions.map((f) => [f.name, f.slot]));
    prog.instructions.forEach((insn, i) => {
      if (insn.opcode !== CALL || insn.src !== 1) return;
      const target = slotOf(prog, i) + 1 + insn.imm;
      assert.equal(target, starts.get(insn.reference!), `${prog.name}: call ${insn.reference}`);
    });
    const total = prog.functions.reduce((n, f) => n + f.slots, 0);
    assert.equal(slotOf(prog, prog.instructions.length), total);
  }
});

test('big-endian objects read the same as little-endian ones', () => {
  for (const name of ['legacy', 'globals', 'subprogs']) {
    const le = readObjectFile(compileBpf(name));
    const be = readObjectFile(compileBpf(name, { target: 'bpfeb' }));
    assert.equal(be.littleEndian, false);
    assert.deepEqual(be.maps, Object.fromEntries(Object.entries(le.maps).map(([k, m]) => [k, be.maps[k] && m.contents
      ? { ...m, contents: be.maps[k]!.contents } : m])));
    assert.deepEqual(be.variables, le.variables);
    assert.equal(be.license, le.license);
    for (const [pname, p] of Object.entries(le.programs)) {
      const q = be.programs[pname]!;
      assert.deepEqual(q.functions, p.functions);
      // Same shape instruction by instruction (immediates of data stay in the object's byte order, registers not).
      assert.deepEqual(q.instructions.map((i) => [i.opcode, i.dst, i.src, i.offset, i.reference]),
        p.instructions.map((i) => [i.opcode, i.dst, i.src, i.offset, i.reference]));
    }
  }
  assert.equal(readObjectFile(compileBpf('legacy', { target: 'bpfeb' })).kernelVersion, 0x060c00);
});

test('section names map to program types and attach targets the libbpf way', () => {
  const cases: Array<[string, ProgType, AttachType | undefined, string | undefined]> = [
    ['tracepoint/syscalls/sys_enter_openat', ProgType.TRACEPOINT, undefined, 'syscalls/sys_enter_openat'],
    ['tp/sched/sched_switch', ProgType.TRACEPOINT, undefined, 'sched/sched_switch'],
    ['raw_tp/sys_enter', ProgType.RAW_TRACEPOINT, undefined, 'sys_enter'],
    ['tp_btf/sched_process_exec', ProgType.TRACING, AttachType.TRACE_RAW_TP, 'sched_process_exec'],
    ['uprobe//usr/bin/x:main', ProgType.KPROBE, undefined, '/usr/bin/x:main'],
    ['uretprobe/libc.so.6:malloc', ProgType.KPROBE, undefined, 'libc.so.6:malloc'],
    ['usdt/./victim:victim:tick', ProgType.KPROBE, undefined, './victim:victim:tick'],
    ['kprobe/do_unlinkat', ProgType.KPROBE, undefined, 'do_unlinkat'],
    ['fentry/do_unlinkat', ProgType.TRACING, AttachType.TRACE_FENTRY, 'do_unlinkat'],
    ['perf_event', ProgType.PERF_EVENT, undefined, undefined],
    ['xdp', ProgType.XDP, AttachType.XDP, undefined],
    ['tcx/ingress', ProgType.SCHED_CLS, AttachType.TCX_INGRESS, undefined],
    ['tc/egress', ProgType.SCHED_CLS, AttachType.TCX_EGRESS, undefined],
    ['cgroup_skb/egress', ProgType.CGROUP_SKB, AttachType.CGROUP_INET_EGRESS, undefined],
    ['cgroup/connect4', ProgType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_CONNECT, undefined],
    ['socket', ProgType.SOCKET_FILTER, undefined, undefined],
    ['sk_lookup', ProgType.SK_LOOKUP, AttachType.SK_LOOKUP, undefined],
    ['netfilter', ProgType.NETFILTER, AttachType.NETFILTER, undefined],
    ['iter/task', ProgType.TRACING, AttachType.TRACE_ITER, 'task'],
    ['lsm/file_open', ProgType.LSM, AttachType.LSM_MAC, 'file_open'],
    ['struct_ops/init', ProgType.STRUCT_OPS, undefined, 'init'],
  ];
  for (const [section, type, attach, target] of cases) {
    const k = classifySection(section);
    assert.ok(k, section);
    assert.equal(k.type, type, section);
    assert.equal(k.expectedAttachType, attach, section);
    assert.equal(k.attachTo, target, section);
  }
  assert.equal(classifySection('uprobe.s/x:y')?.flags, 16);
  assert.equal(classifySection('xdpfoo'), undefined);
  assert.equal(classifySection('tracepoint'), undefined);
});

test('the reader does not depend on the file: bytes from a Buffer view at an offset read the same', () => {
  const raw = readFileSync(compileBpf('subprogs'));
  const padded = new Uint8Array(raw.length + 3);
  padded.set(raw, 3);
  const spec = readObject(padded.subarray(3));
  assert.equal(Object.keys(spec.programs).length, 3);
});

test('BTF map definitions: map-in-map inner definitions, pinning, flags, explicit sizes, map_extra', () => {
  const spec = readObjectFile(compileBpf('mapdefs'));
  const outer = spec.maps.outer!;
  assert.equal(outer.type, MapType.ARRAY_OF_MAPS);
  assert.equal(outer.keySize, 4);
  assert.equal(outer.valueSize, 4);
  assert.equal(outer.maxEntries, 2);
  assert.equal(outer.innerMap?.type, MapType.ARRAY);
  assert.equal(outer.innerMap?.valueSize, 8);
  assert.equal(outer.innerMap?.maxEntries, 4);
  const hash = spec.maps.pinned_hash as BtfMapSpec;
  assert.equal(hash.pinning, 1);
  assert.equal(hash.flags, MapFlags.NO_PREALLOC);
  assert.equal(hash.keySize, 8);
  assert.equal(hash.valueSize, 8); // struct { u32; u16 } padded
  assert.equal(spec.btfTypes!.format(hash.valueTypeId!).startsWith('struct'), true);
  assert.deepEqual([spec.maps.sized!.keySize, spec.maps.sized!.valueSize, spec.maps.sized!.type], [4, 24, MapType.PERCPU_ARRAY]);
  assert.equal(spec.maps.bloom!.mapExtra, 3n);
  assert.equal(spec.maps.bloom!.keySize, 0);
  assert.equal(spec.maps.jumps!.type, MapType.PROG_ARRAY);
  assert.deepEqual(spec.btfMapNames.sort(), ['bloom', 'jumps', 'outer', 'pinned_hash', 'sized']);
});

test('func_info, line_info and CO-RE records move with their functions into each linked program', () => {
  const spec = readObjectFile(compileBpf('subprogs'));
  for (const p of Object.values(spec.programs)) {
    assert.deepEqual(p.funcInfo.map((f) => f.insn), p.functions.map((f) => f.slot));
    assert.ok(p.lineInfo.length > 0);
    assert.ok(p.lineInfo.every((l) => l.fileName.endsWith('subprogs.bpf.c')));
  }
  const first = spec.programs.xdp_first!;
  const square = first.functions.find((f) => f.name === 'square')!;
  const insn = first.instructions.find((i) => i.symbol === 'square')!;
  assert.match(insn.source!.text!, /square|return x \* x/);
  assert.ok(first.lineInfo.some((l) => l.insn === square.slot));
  const core = readObjectFile(compileBpf('core')).programs.core_getppid!;
  assert.ok(core.coreRelos.length >= 7);
});
