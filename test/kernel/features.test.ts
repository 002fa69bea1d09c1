// Feature probes answer what kernel-caps.md documents for this VM (Linux 6.18 "-fc": no kprobes, no fprobe,
// trampolines refused at load; tracepoints, raw_tp, tp_btf, iter, perf links, BTF and the common maps work).
import assert from 'node:assert/strict';
import { Helper } from '../../src/isa/helpers.js';
import { features } from '../../src/kernel/features.js';
import { AttachType, MapType, ProgType } from '../../src/sys/constants.js';
import { kernelTest } from '../helpers/kernel.js';

kernelTest('tracing features match this kernel', () => {
  features.reset();
  assert.equal(features.perfLinks(), true);
  assert.equal(features.vmlinuxBtf(), true);
  assert.equal(features.btf(), true);
  assert.equal(features.rawTracepoint(), true);
  assert.equal(features.tpBtf(), true);
  assert.equal(features.iter(), true);
  assert.equal(features.uprobes(), true);
  assert.equal(features.uprobeMulti(), true);
  assert.equal(features.kprobes(), false);
  assert.match(features.explain('kprobes')!, /CONFIG_KPROBES is off/);
  assert.equal(features.kprobeMulti(), false);
  assert.match(features.explain('kprobe_multi')!, /EOPNOTSUPP/);
  for (const [probe, key] of [[features.fentry, 'fentry'], [features.fexit, 'fexit'], [features.fmodRet, 'fmod_ret'], [features.lsm, 'lsm']] as const) {
    assert.equal(probe(), false, key);
    assert.match(features.explain(key)!, /EPERM at load/);
  }
});

kernelTest('program, map and attach types match this kernel', () => {
  for (const t of [ProgType.SOCKET_FILTER, ProgType.KPROBE, ProgType.TRACEPOINT, ProgType.XDP, ProgType.PERF_EVENT,
    ProgType.CGROUP_SKB, ProgType.RAW_TRACEPOINT, ProgType.CGROUP_SOCK_ADDR, ProgType.TRACING, ProgType.SK_LOOKUP,
    ProgType.SYSCALL, ProgType.NETFILTER, ProgType.STRUCT_OPS]) {
    assert.equal(features.programType(t), true, ProgType[t]);
  }
  for (const t of [ProgType.LSM, ProgType.EXT, ProgType.LIRC_MODE2]) assert.equal(features.programType(t), false, ProgType[t]);
  for (const t of [MapType.HASH, MapType.ARRAY, MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_HASH,
    MapType.LPM_TRIE, MapType.RINGBUF, MapType.PERF_EVENT_ARRAY, MapType.PROG_ARRAY, MapType.STACK_TRACE,
    MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER, MapType.TASK_STORAGE, MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS]) {
    assert.equal(features.mapType(t), true, MapType[t]);
  }
  assert.equal(features.mapType(MapType.STRUCT_OPS), false); // not probed
  assert.equal(features.attachType(ProgType.TRACING, AttachType.TRACE_ITER), true);
  assert.equal(features.attachType(ProgType.TRACING, AttachType.TRACE_FENTRY), false);
  assert.equal(features.attachType(ProgType.CGROUP_SOCK_ADDR, AttachType.CGROUP_INET4_CONNECT), true);
});

kernelTest('helper probes tell available from forbidden helpers', () => {
  assert.equal(features.helper(ProgType.TRACEPOINT, Helper.get_current_pid_tgid), true);
  assert.equal(features.helper(ProgType.KPROBE, Helper.ringbuf_output), true);
  // override_return needs CONFIG_BPF_KPROBE_OVERRIDE; probe_write_user is refused under lockdown=integrity.
  assert.equal(features.helper(ProgType.KPROBE, 58), false);
  assert.match(features.explain(`helper:${ProgType.KPROBE}:58`)!, /cannot use helper bpf_override_return/);
  assert.equal(features.helper(ProgType.KPROBE, 36), false);
  assert.equal(features.helper(ProgType.SOCKET_FILTER, Helper.get_stackid), false);
  assert.equal(features.helper(ProgType.KPROBE, 100000), false);
});

kernelTest('summary lists every probe with a reason, quickly, and is cached', () => {
  features.reset();
  const t0 = performance.now();
  const first = features.summary();
  const cold = performance.now() - t0;
  const t1 = performance.now();
  const second = features.summary();
  const warm = performance.now() - t1;
  console.log(`# features.summary(): ${first.length} probes, cold ${cold.toFixed(1)} ms, cached ${warm.toFixed(2)} ms`);
  assert.deepEqual(second, first);
  assert.ok(first.every((r) => r.reason.length > 0), 'every answer has a reason');
  assert.ok(first.some((r) => r.feature === 'fentry' && !r.supported));
  assert.ok(warm < cold);
});
