// profile's kernel side: one PERF_EVENT program on cpu-clock samples. Each sample takes the interrupted task's
// kernel and user stack ids (bpf_get_stackid) and counts the sample in a hash keyed by pid, tid, the two stack ids
// and comm, as BCC's profile does; user space reads the counts and the stacks at the end.
import { program, R0, R1, R2, R3, R4, R6, R7, R8, R9, FP } from '../../isa/builder.js';
import { Helper } from '../../isa/helpers.js';
import { StackIdFlags, DEFAULT_STACK_DEPTH } from '../../kernel/maps/stack-trace.js';
import type { CollectionSpec } from '../../spec/collection.js';
import { MapType, ProgType, UpdateFlags } from '../../sys/constants.js';
import { LICENSE } from '../framework/session.js';

/** Count key: u32 pid, u32 tid, s32 kernel stack id, s32 user stack id, char comm[16]. */
export const KEY_SIZE = 32;
export const KEY = { pid: 0, tid: 4, kernelStack: 8, userStack: 12, comm: 16 } as const;

/** Stack id stored when that half of the stack was not asked for (-U / -K). */
export const STACK_NOT_TAKEN = -1;

export interface SamplerOptions {
  /** Only these processes (tgids). */
  pids?: readonly number[];
  /** Only these threads. */
  tids?: readonly number[];
  kernelStacks: boolean;
  userStacks: boolean;
  /** Keep samples of the idle task (pid 0). */
  includeIdle: boolean;
  /** Key samples by thread as well as process (with -L). */
  perThread: boolean;
  /** STACK_TRACE map size: unique stacks kept. */
  stackStorageSize: number;
  /** Count map size: unique (pid, stacks, comm) keys kept. */
  maxCounts: number;
}

export function samplerSpec(o: SamplerOptions): CollectionSpec {
  const b = program();
  const keyAt = -KEY_SIZE; // the key on the stack: fp-32 .. fp-1
  const zeroAt = keyAt - 8; // a u64 0 to create missing counts with
  b.mov(R6, R1);
  b.call(Helper.get_current_pid_tgid).mov(R7, R0).rsh(R7, 32); // r7 = tgid
  b.mov(R8, R0).lsh(R8, 32).rsh(R8, 32); // r8 = tid
  if (!o.includeIdle) b.jeq(R8, 0, 'out');
  if (o.pids?.length) {
    for (const pid of o.pids) b.jeq(R7, pid, 'pid_ok');
    b.ja('out');
    b.label('pid_ok');
  }
  if (o.tids?.length) {
    for (const tid of o.tids) b.jeq(R8, tid, 'tid_ok');
    b.ja('out');
    b.label('tid_ok');
  }
  for (let off = keyAt; off < 0; off += 8) b.st('dw', FP, off, 0);
  b.st('dw', FP, zeroAt, 0);
  b.stx('w', FP, keyAt + KEY.pid, R7);
  if (o.perThread) b.stx('w', FP, keyAt + KEY.tid, R8);
  b.mov(R1, FP).add(R1, keyAt + KEY.comm).mov(R2, 16).call(Helper.get_current_comm);
  const stackId = (taken: boolean, flags: number, off: number) => {
    if (!taken) {
      b.st('w', FP, keyAt + off, STACK_NOT_TAKEN);
      return;
    }
    b.mov(R1, R6).loadMap(R2, 'stacks').mov(R3, flags).call(Helper.get_stackid);
    b.stx('w', FP, keyAt + off, R0);
  };
  stackId(o.kernelStacks, 0, KEY.kernelStack);
  stackId(o.userStacks, StackIdFlags.USER_STACK, KEY.userStack);
  // counts[key] += 1, creating the entry at 0 first (NOEXIST keeps a concurrent creator's count).
  b.mov(R9, FP).add(R9, keyAt);
  b.loadMap(R1, 'counts').mov(R2, R9).mov(R3, FP).add(R3, zeroAt).mov(R4, UpdateFlags.NOEXIST).call(Helper.map_update_elem);
  b.loadMap(R1, 'counts').mov(R2, R9).call(Helper.map_lookup_elem);
  b.jeq(R0, 0, 'out');
  b.mov(R1, 1).atomic('dw', 'add', R0, 0, R1);
  b.label('out').mov(R0, 0).exit();
  return {
    maps: {
      stacks: { name: 'stacks', type: MapType.STACK_TRACE, keySize: 4, valueSize: DEFAULT_STACK_DEPTH * 8, maxEntries: o.stackStorageSize },
      counts: { name: 'counts', type: MapType.HASH, keySize: KEY_SIZE, valueSize: 8, maxEntries: o.maxCounts },
    },
    programs: { profile_sample: { name: 'profile_sample', type: ProgType.PERF_EVENT, instructions: b.build(), license: LICENSE } },
  };
}

/** One decoded count key. */
export interface SampleKey {
  pid: number;
  tid: number;
  kernelStackId: number;
  userStackId: number;
  comm: string;
}

const decoder = new TextDecoder();

export function decodeKey(bytes: Uint8Array): SampleKey {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const commBytes = bytes.subarray(KEY.comm, KEY.comm + 16);
  const nul = commBytes.indexOf(0);
  return {
    pid: v.getUint32(KEY.pid, true),
    tid: v.getUint32(KEY.tid, true),
    kernelStackId: v.getInt32(KEY.kernelStack, true),
    userStackId: v.getInt32(KEY.userStack, true),
    comm: decoder.decode(nul < 0 ? commBytes : commBytes.subarray(0, nul)),
  };
}
