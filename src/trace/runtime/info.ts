// `bpfkit trace --info`: the kernel and what bpfkit found it supports, in bpftrace 0.17's --info layout.
import { machine, release, type, version } from 'node:os';
import { features } from '../../kernel/features.js';
import { BpfMap } from '../../kernel/map.js';
import { helperId } from '../../isa/helpers.js';
import { MapType, ProgType } from '../../sys/constants.js';

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

/** Whether BPF_MAP_LOOKUP_BATCH works on a hash map. */
function mapBatch(): boolean {
  try {
    using map = BpfMap.create({ name: 'info_batch', type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 1 });
    map.lookupBatch(undefined, 1);
    return true;
  } catch {
    return false;
  }
}

function helper(name: string): boolean {
  const id = helperId(name);
  if (id === undefined) return false;
  try {
    return features.helper(ProgType.TRACEPOINT, id);
  } catch {
    return false;
  }
}

function safe(probe: () => boolean): boolean {
  try {
    return probe();
  } catch {
    return false;
  }
}

export function infoText(bpfkitVersion: string): string {
  const section = (title: string, rows: Array<[string, string]>) =>
    `${title}\n${rows.map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`;
  const helpers: Array<[string, string]> = [
    ['probe_read', 'probe_read'], ['probe_read_str', 'probe_read_str'], ['probe_read_user', 'probe_read_user'],
    ['probe_read_user_str', 'probe_read_user_str'], ['probe_read_kernel', 'probe_read_kernel'],
    ['probe_read_kernel_str', 'probe_read_kernel_str'], ['get_current_cgroup_id', 'get_current_cgroup_id'],
    ['send_signal', 'send_signal'], ['override_return', 'override_return'], ['get_boot_ns', 'ktime_get_boot_ns'],
    ['dpath', 'd_path'], ['skboutput', 'skb_output'],
  ];
  return [
    section('System', [['OS', `${type()} ${release()} ${version()}`], ['Arch', machine()]]),
    section('Build', [['version', `bpfkit ${bpfkitVersion}`], ['compiler', 'TypeScript (no LLVM)'], ['unsafe uprobe', 'no'],
      ['bfd', 'no'], ['libdw (DWARF support)', 'no']]),
    section('Kernel helpers', helpers.map(([label, name]) => [label, yesNo(helper(name))])),
    section('Kernel features', [['Instruction limit', '1000000'], ['Loop support', 'yes'],
      ['btf', yesNo(safe(features.vmlinuxBtf))], ['map batch', yesNo(mapBatch())], ['ring buffer', yesNo(safe(features.ringbuf))]]),
    section('Map types', [['hash', MapType.HASH], ['percpu hash', MapType.PERCPU_HASH], ['array', MapType.ARRAY],
      ['percpu array', MapType.PERCPU_ARRAY], ['stack_trace', MapType.STACK_TRACE], ['perf_event_array', MapType.PERF_EVENT_ARRAY],
      ['ringbuf', MapType.RINGBUF]].map(([k, t]) => [k as string, yesNo(safe(() => features.mapType(t as MapType)))])),
    section('Probe types', [
      ['kprobe', yesNo(safe(features.kprobes))],
      ['tracepoint', yesNo(safe(() => features.programType(ProgType.TRACEPOINT)))],
      ['perf_event', yesNo(safe(() => features.programType(ProgType.PERF_EVENT)))],
      ['kfunc', yesNo(safe(features.fentry))],
      ['iter:task', yesNo(safe(features.iter))],
      ['iter:task_file', yesNo(safe(features.iter))],
      ['kprobe_multi', yesNo(safe(features.kprobeMulti))],
      ['uprobe', yesNo(safe(features.uprobes))],
      ['uprobe_multi', yesNo(safe(features.uprobeMulti))],
      ['raw_tp_special', yesNo(safe(features.rawTracepoint))],
    ]),
  ].join('\n');
}
