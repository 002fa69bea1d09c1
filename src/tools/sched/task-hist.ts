// What runqlat and cpudist share: a start-time map keyed by thread id, log2 histograms keyed by "everything",
// process, thread or pid namespace (each with the comm of the first task counted), and the libbpf-tools printout.
import { FP, R0, R1, R2, R3, R4, R7, R8, type ProgramBuilder, type Register } from '../../isa/builder.js';
import { Helper } from '../../isa/helpers.js';
import type { MapSpec } from '../../spec/collection.js';
import { MapType, UpdateFlags } from '../../sys/constants.js';
import type { BpfMap } from '../../kernel/map.js';
import { comm, clockNow } from '../framework/format.js';
import { formatLog2Hist, log2HistJson, MAX_SLOTS } from '../framework/histogram.js';
import { kernelOffset } from '../framework/kernel-types.js';
import { emitLog2Slot } from '../framework/kit.js';
import type { ToolContext } from '../framework/tool.js';

/** What one histogram stands for. */
export type HistKey = 'all' | 'pid' | 'tid' | 'pidns';

const COMM_AT = MAX_SLOTS * 8;
/** Value of the hists map: u64 slots[MAX_SLOTS], char comm[16]. */
const HIST_SIZE = COMM_AT + 16;

export function taskHistMaps(): Record<string, MapSpec> {
  return {
    start: { name: 'start', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 10240 },
    hists: { name: 'hists', type: MapType.HASH, keySize: 4, valueSize: HIST_SIZE, maxEntries: 10240 },
    // One all-zero histogram: the initial value when a key is first seen (the stack is too small to build one).
    zero_hist: { name: 'zero_hist', type: MapType.ARRAY, keySize: 4, valueSize: HIST_SIZE, maxEntries: 1 },
  };
}

/** Offsets in this kernel's task_struct (read at start-up from BTF). */
function task() {
  return { pid: kernelOffset('task_struct', 'pid'), tgid: kernelOffset('task_struct', 'tgid'), comm: kernelOffset('task_struct', 'comm') };
}

let uniq = 0;

export interface TaskFilter {
  /** Only tasks of this process (tgid). */
  tgid?: number;
  /** Leave out the idle tasks (pid 0). */
  skipIdle?: boolean;
}

/**
 * start[task->pid] = now. `task` is a BTF task_struct pointer; clobbers R0-R5 and the stack at FP-16..FP-1.
 */
export function emitStoreStart(b: ProgramBuilder, taskReg: Register, now: Register, filter: TaskFilter): void {
  const t = task();
  const skip = `store_skip_${uniq++}`;
  if (filter.tgid !== undefined) b.ldx('w', R1, taskReg, t.tgid).jne(R1, filter.tgid, skip);
  b.ldx('w', R1, taskReg, t.pid);
  if (filter.skipIdle) b.jeq(R1, 0, skip);
  b.stx('w', FP, -8, R1).stx('dw', FP, -16, now);
  b.loadMap(R1, 'start').mov(R2, FP).add(R2, -8).mov(R3, FP).add(R3, -16).mov(R4, UpdateFlags.ANY).call(Helper.map_update_elem);
  b.label(skip);
}

/**
 * If start[task->pid] is set: counts now - start (in usecs, or msecs) in the histogram `key` picks for the task,
 * and forgets the start. `taskReg` and `now` must be R6 or R9 (kept across calls); clobbers R0-R5, R7, R8.
 */
export function emitCountSinceStart(b: ProgramBuilder, taskReg: Register, now: Register, filter: TaskFilter, key: HistKey, ms: boolean): void {
  const t = task();
  const id = uniq++;
  const out = `count_out_${id}`;
  if (filter.tgid !== undefined) b.ldx('w', R1, taskReg, t.tgid).jne(R1, filter.tgid, out);
  b.ldx('w', R1, taskReg, t.pid).stx('w', FP, -8, R1);
  b.loadMap(R1, 'start').mov(R2, FP).add(R2, -8).call(Helper.map_lookup_elem).jeq(R0, 0, out);
  b.ldx('dw', R8, R0, 0);
  b.loadMap(R1, 'start').mov(R2, FP).add(R2, -8).call(Helper.map_delete_elem);
  // A start stamped on another CPU can be a hair later than our clock read: skip negative deltas.
  b.mov(R7, now).sub(R7, R8).jslt(R7, 0, out).mov(R8, R7).div(R8, ms ? 1_000_000 : 1000);
  emitHistKey(b, taskReg, key);
  b.stx('w', FP, -4, R1);
  b.loadMap(R1, 'hists').mov(R2, FP).add(R2, -4).call(Helper.map_lookup_elem).mov(R7, R0).jne(R0, 0, `count_have_${id}`);
  b.loadMap(R1, 'hists').mov(R2, FP).add(R2, -4).loadMapValue(R3, 'zero_hist').mov(R4, UpdateFlags.NOEXIST).call(Helper.map_update_elem);
  b.loadMap(R1, 'hists').mov(R2, FP).add(R2, -4).call(Helper.map_lookup_elem).jeq(R0, 0, out).mov(R7, R0);
  b.ldx('dw', R1, taskReg, t.comm).stx('dw', R7, COMM_AT, R1);
  b.ldx('dw', R1, taskReg, t.comm + 8).stx('dw', R7, COMM_AT + 8, R1);
  b.label(`count_have_${id}`);
  emitLog2Slot(b, R8, R1, R2);
  b.lsh(R2, 3).add(R7, R2).mov(R1, 1).atomic('dw', 'add', R7, 0, R1);
  b.label(out);
}

/** R1 = the histogram key of the task: 0 for all, its tgid, its pid, or its pid namespace's inode number. */
function emitHistKey(b: ProgramBuilder, taskReg: Register, key: HistKey): void {
  const t = task();
  if (key === 'all') b.mov(R1, 0);
  else if (key === 'pid') b.ldx('w', R1, taskReg, t.tgid);
  else if (key === 'tid') b.ldx('w', R1, taskReg, t.pid);
  else {
    b.ldx('dw', R1, taskReg, kernelOffset('task_struct', 'nsproxy'));
    b.ldx('dw', R1, R1, kernelOffset('nsproxy', 'pid_ns_for_children'));
    b.ldx('w', R1, R1, kernelOffset('pid_namespace', 'ns.inum'));
  }
}

export interface TaskHist {
  id: number;
  comm: string;
  slots: bigint[];
}

/** Takes every histogram out of the map (the next interval starts from zero), ordered by key. */
export function drainHists(map: BpfMap): TaskHist[] {
  const out: TaskHist[] = [];
  for (const [k, v] of map.drainBatched()) {
    const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
    const slots: bigint[] = [];
    for (let i = 0; i < MAX_SLOTS; i++) slots.push(view.getBigUint64(i * 8, true));
    out.push({ id: new DataView(k.buffer, k.byteOffset, 4).getUint32(0, true), comm: comm(view, COMM_AT), slots });
  }
  return out.sort((a, b) => a.id - b.id);
}

const LABEL: Record<HistKey, string> = { all: '', pid: 'pid', tid: 'tid', pidns: 'pidns' };

/** Prints one interval as libbpf-tools do: a blank line, the clock with -T, then each histogram. */
export function printHists(ctx: ToolContext, hists: TaskHist[], key: HistKey, unit: string, timestamp: boolean): void {
  if (ctx.json) {
    const time = Date.now() / 1000;
    if (key === 'all') ctx.writeJson({ time, ...log2HistJson(hists[0]?.slots ?? [], unit) });
    else {
      const histograms = hists.map((h) => ({ [LABEL[key]]: h.id, comm: h.comm, buckets: log2HistJson(h.slots, unit).buckets }));
      ctx.writeJson({ time, unit, histograms });
    }
    return;
  }
  let text = '\n';
  if (timestamp) text += `${clockNow().padEnd(8)}\n`;
  for (const h of hists) {
    if (key !== 'all') text += `\n${LABEL[key]} = ${h.id} ${h.comm}\n`;
    text += formatLog2Hist(h.slots, unit);
  }
  ctx.write(text);
}
