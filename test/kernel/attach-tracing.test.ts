// Tracing attachments that this kernel supports, each fired by a trigger the test makes and counted through a map,
// filtered by the test's own pid (or its child's): tracepoint, raw_tp, tp_btf, cpu-clock sampling, iter/task.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BtfKind, vmlinuxNames } from '../../src/btf/vmlinux-names.js';
import { FP, program, R0, R1, R2, R3, R4, R6, R7 } from '../../src/isa/builder.js';
import { Helper } from '../../src/isa/helpers.js';
import type { Instruction } from '../../src/isa/instruction.js';
import { iter, iterTarget } from '../../src/kernel/attach/iter.js';
import { perfEvent } from '../../src/kernel/attach/perf-event.js';
import { rawTracepoint } from '../../src/kernel/attach/raw-tracepoint.js';
import { tpBtf, tpBtfTarget } from '../../src/kernel/attach/tp-btf.js';
import { tracepoint } from '../../src/kernel/attach/tracepoint.js';
import { u32, u64n } from '../../src/kernel/codec.js';
import { LinkType } from '../../src/kernel/link.js';
import { BpfMap } from '../../src/kernel/map.js';
import { Program } from '../../src/kernel/program.js';
import { MapType, ProgType } from '../../src/sys/constants.js';
import type { ProgramSpec } from '../../src/spec/collection.js';
import { kernelTest } from '../helpers/kernel.js';

/** bpf_seq_write (not yet in the Helper enum). */
const SEQ_WRITE = 127;

/** counts[0] += 1 when the current process is `tgid`. */
function countOwnTgid(tgid: number): Instruction[] {
  return program()
    .call(Helper.get_current_pid_tgid)
    .rsh(R0, 32)
    .jne(R0, tgid, 'out')
    .st('w', FP, -4, 0)
    .loadMap(R1, 'counts')
    .mov(R2, FP).add(R2, -4)
    .call(Helper.map_lookup_elem)
    .jeq(R0, 0, 'out')
    .mov(R1, 1)
    .atomic('dw', 'add', R0, 0, R1)
    .label('out').mov(R0, 0).exit()
    .build();
}

/** execs[current tgid] = 1: the exec'ing process is the child, whose pid the test learns from spawnSync. */
function recordExecingTgid(): Instruction[] {
  return program()
    .call(Helper.get_current_pid_tgid)
    .rsh(R0, 32)
    .stx('w', FP, -4, R0)
    .st('w', FP, -8, 1)
    .loadMap(R1, 'execs')
    .mov(R2, FP).add(R2, -4)
    .mov(R3, FP).add(R3, -8)
    .mov(R4, 0)
    .call(Helper.map_update_elem)
    .mov(R0, 0).exit()
    .build();
}

const counterMap = () => BpfMap.create({ name: 'counts', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 }, { key: u32, value: u64n });
const execMap = () => BpfMap.create({ name: 'execs', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 4096 }, { key: u32, value: u32 });

function spawnTrue(): number {
  const r = spawnSync('/bin/true');
  assert.equal(r.status, 0);
  return r.pid!;
}

kernelTest('tracepoint syscalls:sys_enter_openat counts our own opens, and stops when the link closes', () => {
  using counts = counterMap();
  using prog = Program.load({ name: 'tp_openat', type: ProgType.TRACEPOINT, license: 'GPL', instructions: countOwnTgid(process.pid) }, { maps: { counts } });
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-tp-'));
  try {
    const file = join(dir, `unique-${process.pid}-${Date.now()}`);
    closeSync(openSync(file, 'w'));
    const opens = 25;
    {
      const t0 = performance.now();
      using link = tracepoint(prog, 'syscalls', 'sys_enter_openat');
      const attachMs = performance.now() - t0;
      assert.equal(link.info().type, LinkType.PERF_EVENT);
      for (let i = 0; i < opens; i++) closeSync(openSync(file, 'r'));
      const seen = counts.lookup(0)!;
      assert.ok(seen >= opens, `counted ${seen} openat calls from pid ${process.pid}, expected at least ${opens}`);
      assert.ok(seen < opens + 50, `counted ${seen}: far more opens than the test made`);
      const t1 = performance.now();
      link.close();
      console.log(`# tracepoint attach ${attachMs.toFixed(2)} ms, detach ${(performance.now() - t1).toFixed(1)} ms`);
    }
    const after = counts.lookup(0)!;
    for (let i = 0; i < opens; i++) closeSync(openSync(file, 'r'));
    assert.equal(counts.lookup(0), after, 'no counting after the link closed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Attaches with `attach`, execs /bin/true, checks the child was recorded; closes and checks the next one is not. */
function checkExecCounting(spec: Omit<ProgramSpec, 'instructions' | 'license'>, attach: (prog: Program) => { close(): void }): void {
  using execs = execMap();
  using prog = Program.load({ ...spec, license: 'GPL', instructions: recordExecingTgid() }, { maps: { execs } });
  const link = attach(prog);
  let child: number;
  try {
    child = spawnTrue();
    assert.equal(execs.lookup(child), 1, `exec of child ${child} was not seen`);
  } finally {
    link.close();
  }
  const next = spawnTrue();
  assert.equal(execs.lookup(next), undefined, `exec of child ${next} was seen after the link closed`);
}

kernelTest('tracepoint sched:sched_process_exec sees the exec of our child', () => {
  checkExecCounting({ name: 'tp_exec', type: ProgType.TRACEPOINT }, (p) => tracepoint(p, 'sched', 'sched_process_exec'));
});

kernelTest('tracepoint attached the legacy way (PERF_EVENT_IOC_SET_BPF) fires too, and detaches on close', () => {
  checkExecCounting({ name: 'tp_exec_ioctl', type: ProgType.TRACEPOINT }, (p) => {
    const link = tracepoint(p, 'sched', 'sched_process_exec', { ioctl: true });
    assert.equal(link.fd, null);
    return link;
  });
});

kernelTest('raw_tp sched_process_exec sees the exec of our child', () => {
  checkExecCounting({ name: 'raw_exec', type: ProgType.RAW_TRACEPOINT }, (p) => {
    const link = rawTracepoint(p, 'sched_process_exec');
    assert.equal(link.info().type, LinkType.RAW_TRACEPOINT);
    return link;
  });
});

kernelTest('tp_btf sched_process_exec (attach_btf_id of btf_trace_sched_process_exec) sees the exec of our child', () => {
  const target = tpBtfTarget('sched_process_exec');
  assert.equal(target.attachBtfId, vmlinuxNames()!.find(BtfKind.TYPEDEF, 'btf_trace_sched_process_exec'));
  checkExecCounting({ name: 'btf_exec', ...target }, (p) => tpBtf(p, 'sched_process_exec'));
});

function busy(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  return x;
}

kernelTest('cpu-clock sampling on every CPU counts samples of our busy loop, and stops when closed', () => {
  using counts = counterMap();
  using prog = Program.load({ name: 'cpu_clock', type: ProgType.PERF_EVENT, license: 'GPL', instructions: countOwnTgid(process.pid) }, { maps: { counts } });
  const links = perfEvent(prog, { frequency: 997 });
  try {
    assert.ok(links.links.length >= 1);
    busy(300);
    const seen = counts.lookup(0)!;
    // ~300 samples expected at 997 Hz; leave room for a loaded machine.
    assert.ok(seen >= 30, `only ${seen} cpu-clock samples of pid ${process.pid} in 300 ms at 997 Hz`);
  } finally {
    links.close();
  }
  assert.ok(links.closed);
  const after = counts.lookup(0)!;
  busy(100);
  assert.equal(counts.lookup(0), after, 'no samples after the links closed');
});

kernelTest('cpu-clock sampling by pid follows our process', () => {
  using counts = counterMap();
  using prog = Program.load({ name: 'cpu_clock_pid', type: ProgType.PERF_EVENT, license: 'GPL', instructions: countOwnTgid(process.pid) }, { maps: { counts } });
  {
    using links = perfEvent(prog, { period: 1_000_000, pid: process.pid }); // every 1 ms of our CPU time
    assert.equal(links.links.length, 1);
    busy(200);
    const seen = counts.lookup(0)!;
    assert.ok(seen >= 20, `only ${seen} samples in 200 ms of busy time at a 1 ms period`);
  }
  const after = counts.lookup(0)!;
  busy(50);
  assert.equal(counts.lookup(0), after);
});

kernelTest('iter/task lists our own process through bpf_seq_write', () => {
  const names = vmlinuxNames()!;
  const taskStruct = names.find(BtfKind.STRUCT, 'task_struct')!;
  const pidOff = names.memberOffset(taskStruct, 'pid')!;
  const tgidOff = names.memberOffset(taskStruct, 'tgid')!;
  // ctx is struct bpf_iter__task { struct bpf_iter_meta *meta; struct task_struct *task; }; meta->seq is first.
  const insns = program()
    .mov(R6, R1)
    .ldx('dw', R7, R6, 8)
    .jeq(R7, 0, 'out')
    .ldx('w', R2, R7, pidOff).stx('w', FP, -8, R2)
    .ldx('w', R2, R7, tgidOff).stx('w', FP, -4, R2)
    .ldx('dw', R1, R6, 0).ldx('dw', R1, R1, 0)
    .mov(R2, FP).add(R2, -8)
    .mov(R3, 8)
    .call(SEQ_WRITE)
    .label('out').mov(R0, 0).exit()
    .build();
  using prog = Program.load({ name: 'iter_task', license: 'GPL', instructions: insns, ...iterTarget('task') });
  using link = iter(prog, { target: 'task' });
  assert.equal(link.info().type, LinkType.ITER);
  for (let pass = 0; pass < 2; pass++) {
    const out = link.readAll();
    assert.equal(out.byteLength % 8, 0);
    const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
    const tasks: Array<{ pid: number; tgid: number }> = [];
    for (let o = 0; o < out.byteLength; o += 8) tasks.push({ pid: v.getUint32(o, true), tgid: v.getUint32(o + 4, true) });
    assert.ok(tasks.length > 10, `only ${tasks.length} tasks listed`);
    assert.ok(tasks.some((t) => t.pid === process.pid && t.tgid === process.pid), `pid ${process.pid} not among ${tasks.length} tasks`);
    // Kernel threads are tasks too (kthreadd is pid 2 everywhere; this kernel's iterator does not list pid 1).
    assert.ok(tasks.some((t) => t.pid === 2), `kthreadd (pid 2) not among ${tasks.length} tasks`);
  }
});
