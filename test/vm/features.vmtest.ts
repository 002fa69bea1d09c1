// The feature probes on Debian's 6.1 kernel: kprobes and trampolines exist here (they do not on the host), and
// kprobe_multi does not (Debian's 6.1 has no fprobe). Run by scripts/test-vm.sh.
import assert from 'node:assert/strict';
import { kprobeMulti } from '../../src/kernel/attach/kprobe.js';
import { features } from '../../src/kernel/features.js';
import { Program } from '../../src/kernel/program.js';
import { program, R0 } from '../../src/isa/builder.js';
import { AttachType, ProgType } from '../../src/sys/constants.js';
import { NotSupportedError } from '../../src/sys/errors.js';
import { kernelTest } from '../helpers/kernel.js';

kernelTest('feature probes report kprobes, fentry, fexit and BPF LSM as available', () => {
  const probes = { kprobes: features.kprobes, fentry: features.fentry, fexit: features.fexit, lsm: features.lsm };
  for (const [key, probe] of Object.entries(probes)) {
    assert.equal(probe(), true, `${key}: ${features.explain(key)}`);
  }
});

kernelTest('kprobe_multi is reported missing and its attach says so without trying', () => {
  assert.equal(features.kprobeMulti(), false, features.explain('kprobe_multi'));
  using prog = Program.load({
    name: 'kpm', type: ProgType.KPROBE, license: 'GPL', expectedAttachType: AttachType.TRACE_KPROBE_MULTI,
    instructions: program().mov(R0, 0).exit().build(),
  });
  assert.throws(() => kprobeMulti(prog, { symbols: ['do_sys_openat2'] }),
    (err: unknown) => err instanceof NotSupportedError && /fprobe/.test(err.message));
});
