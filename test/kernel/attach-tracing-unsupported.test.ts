// Attach types this kernel lacks fail with a typed NotSupportedError in plain words, and bad names are caught
// with errors that name them. Listing tracepoints by glob.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { iterTarget } from '../../src/kernel/attach/iter.js';
import { kprobe, kprobeMulti, kretprobe } from '../../src/kernel/attach/kprobe.js';
import { rawTracepoint } from '../../src/kernel/attach/raw-tracepoint.js';
import { tpBtfTarget } from '../../src/kernel/attach/tp-btf.js';
import { globToRegExp, listTracepoints, tracepoint, TracepointNotFoundError } from '../../src/kernel/attach/tracepoint.js';
import { fentryTarget, fexitTarget, fmodRetTarget, FunctionNotFoundError, lsmTarget, type TrampolineKind } from '../../src/kernel/attach/tracing.js';
import { features } from '../../src/kernel/features.js';
import { ensureTracefs } from '../../src/kernel/mounts.js';
import { Program } from '../../src/kernel/program.js';
import { AttachType, ProgType } from '../../src/sys/constants.js';
import { NotSupportedError } from '../../src/sys/errors.js';
import type { Instruction } from '../../src/isa/instruction.js';
import { kernelTest } from '../helpers/kernel.js';
import { test } from 'node:test';

const RETURN_ZERO: Instruction[] = [
  { opcode: 0xb7, dst: 0, src: 0, offset: 0, imm: 0 },
  { opcode: 0x95, dst: 0, src: 0, offset: 0, imm: 0 },
];

const load = (name: string, type: ProgType, extra: Partial<Parameters<typeof Program.load>[0]> = {}) =>
  Program.load({ name, type, license: 'GPL', instructions: RETURN_ZERO, ...extra });

kernelTest('kprobe and kretprobe say plainly that this kernel has no kprobes', (t) => {
  if (features.kprobes()) return t.skip('this kernel has kprobes');
  using prog = load('kp', ProgType.KPROBE);
  for (const attach of [() => kprobe(prog, 'do_unlinkat'), () => kretprobe(prog, 'do_unlinkat')]) {
    assert.throws(attach, (err: unknown) => err instanceof NotSupportedError
      && /this kernel has no kprobes \(CONFIG_KPROBES is off\)/.test(err.message) && /k(ret)?probe do_unlinkat/.test(err.message));
  }
});

kernelTest('kprobe_multi says plainly that this kernel has no fprobe', (t) => {
  if (features.kprobeMulti()) return t.skip('this kernel has kprobe_multi');
  using prog = load('kpm', ProgType.KPROBE, { expectedAttachType: AttachType.TRACE_KPROBE_MULTI });
  assert.throws(() => kprobeMulti(prog, { symbols: ['do_unlinkat', 'vfs_read'] }),
    (err: unknown) => err instanceof NotSupportedError && /no fprobe \(CONFIG_FPROBE is off\)/.test(err.message));
});

kernelTest('fentry, fexit, fmod_ret and lsm programs are refused at load with NotSupportedError', (t) => {
  if (features.fentry()) return t.skip('this kernel runs fentry programs');
  const cases: Array<[TrampolineKind, ReturnType<typeof fentryTarget>]> = [
    ['fentry', fentryTarget('do_unlinkat')], ['fexit', fexitTarget('do_unlinkat')],
    ['fmod_ret', fmodRetTarget('__x64_sys_getpgid')], ['lsm', lsmTarget('file_open')],
  ];
  for (const [kind, target] of cases) {
    assert.ok(target.attachBtfId > 0);
    assert.throws(() => load(kind, target.type, target), (err: unknown) => err instanceof NotSupportedError
      && err.errno === 1 && /function trampolines are disabled/.test(err.message), kind);
  }
});

kernelTest('unknown targets are named in typed errors', () => {
  using tp = load('tp', ProgType.TRACEPOINT);
  assert.throws(() => tracepoint(tp, 'syscalls', 'sys_enter_opnat'), (err: unknown) => err instanceof TracepointNotFoundError
    && /tracepoint syscalls:sys_enter_opnat does not exist/.test(err.message) && /did you mean syscalls:sys_enter_openat\?/.test(err.message));
  assert.throws(() => tracepoint(tp, 'no_such_category', 'x'), TracepointNotFoundError);
  assert.throws(() => tracepoint(tp, '..', 'id'), TypeError);
  using raw = load('raw', ProgType.RAW_TRACEPOINT);
  assert.throws(() => rawTracepoint(raw, 'no_such_event_xyz'), (err: unknown) => err instanceof TracepointNotFoundError && /no_such_event_xyz/.test(err.message));
  assert.throws(() => tracepoint(raw, 'syscalls', 'sys_enter_openat'), /runs TRACEPOINT programs/);
  assert.throws(() => tpBtfTarget('no_such_event_xyz'), (err: unknown) => err instanceof TracepointNotFoundError && /btf_trace_no_such_event_xyz/.test(err.message));
  assert.throws(() => fentryTarget('no_such_function_xyz'), FunctionNotFoundError);
  assert.throws(() => iterTarget('no_such_iter'), FunctionNotFoundError);
});

kernelTest('listTracepoints matches globs against tracefs', () => {
  const enters = listTracepoints('syscalls:sys_enter_*');
  assert.ok(enters.some((t) => t.name === 'sys_enter_openat'));
  assert.ok(enters.every((t) => t.category === 'syscalls' && t.name.startsWith('sys_enter_')));
  const onDisk = readdirSync(`${ensureTracefs()}/events/syscalls`).filter((n) => n.startsWith('sys_enter_'));
  assert.equal(enters.length, onDisk.length);
  const sched = listTracepoints('sched:sched_process_[ef]x*');
  assert.deepEqual(sched.map((t) => t.name), ['sched_process_exec', 'sched_process_exit']);
  assert.ok(listTracepoints('sched_switch').some((t) => t.category === 'sched'));
  assert.equal(listTracepoints('nothing:here*').length, 0);
});

test('globToRegExp handles *, ? and classes', () => {
  assert.ok(globToRegExp('sys_enter_*').test('sys_enter_openat'));
  assert.ok(!globToRegExp('sys_enter_*').test('xsys_enter_openat'));
  assert.ok(globToRegExp('a?c').test('abc'));
  assert.ok(globToRegExp('[!x]b').test('ab'));
  assert.ok(!globToRegExp('[!x]b').test('xb'));
  assert.ok(globToRegExp('a.b').test('a.b') && !globToRegExp('a.b').test('axb'));
});
