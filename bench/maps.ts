// Map lookup/update: bpfkit's BpfMap against raw bpf() syscalls in C, array and hash maps, same keys and values.
// Times are CPU time of the measuring process (the machine is shared and wall time is noisy); C and Node trials
// alternate and each side keeps its best trial.
import { spawnSync } from 'node:child_process';
import { u32, u64n } from '../src/kernel/codec.js';
import { BpfMap } from '../src/kernel/map.js';
import { bpfRaw, mapElemAttr } from '../src/sys/bpf.js';
import { BpfCmd, MapType } from '../src/sys/constants.js';
import { cpuNs, min, type Row } from './report.js';

const KEYS = 256;
// Many short alternating trials: on a busy machine the best trial of each side is the least disturbed one.
const ITERATIONS = 25_000;
const TRIALS_PER_ROUND = 2;
const ROUNDS = 20;

type Op = 'lookup' | 'update';

function cTrials(binary: string, kind: 'array' | 'hash', op: Op): number[] {
  const r = spawnSync(binary, [kind, op, String(ITERATIONS), String(KEYS), String(TRIALS_PER_ROUND)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench: C map baseline failed: ${r.stderr}`);
  return r.stdout.trim().split(/\s+/).map(Number);
}

function nodeTrials(map: BpfMap<number, number>, op: Op): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let t = 0; t < TRIALS_PER_ROUND; t++) {
    const start = cpuNs();
    if (op === 'lookup') {
      for (let i = 0; i < ITERATIONS; i++) sum += map.lookup(i & (KEYS - 1))!;
    } else {
      for (let i = 0; i < ITERATIONS; i++) map.update(i & (KEYS - 1), i);
    }
    out.push((cpuNs() - start) / ITERATIONS);
  }
  if (Number.isNaN(sum)) throw new Error('bench: lookup returned a missing key');
  return out;
}

/** The floor under bpfkit: native.bpf() with a prebuilt attr and nothing else (N-API + syscall). */
function floorTrials(map: BpfMap<number, number>, op: Op): number[] {
  const key = new Uint8Array(4);
  const value = new Uint8Array(8);
  const attr = mapElemAttr(map.fd.value, key, value);
  const cmd = op === 'lookup' ? BpfCmd.MAP_LOOKUP_ELEM : BpfCmd.MAP_UPDATE_ELEM;
  const out: number[] = [];
  for (let t = 0; t < TRIALS_PER_ROUND; t++) {
    const start = cpuNs();
    for (let i = 0; i < ITERATIONS; i++) {
      key[0] = i & (KEYS - 1);
      bpfRaw(cmd, attr);
    }
    out.push((cpuNs() - start) / ITERATIONS);
  }
  return out;
}

export interface MapBenchResult {
  rows: Row[];
  notes: string[];
}

export function benchMaps(cBinary: string): MapBenchResult {
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const kind of ['array', 'hash'] as const) {
    using map = BpfMap.create(
      { name: `bench_${kind}`, type: kind === 'array' ? MapType.ARRAY : MapType.HASH, keySize: 4, valueSize: 8, maxEntries: KEYS },
      { key: u32, value: u64n },
    );
    for (let k = 0; k < KEYS; k++) map.update(k, k);
    for (const op of ['lookup', 'update'] as const) {
      nodeTrials(map, op); // warm the JIT
      const c: number[] = [];
      const node: number[] = [];
      const floor: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        c.push(...cTrials(cBinary, kind, op));
        node.push(...nodeTrials(map, op));
        floor.push(...floorTrials(map, op));
      }
      const ratio = min(node) / min(c);
      rows.push({
        operation: `${kind} map ${op}`, bpfkit: `${min(node).toFixed(0)} ns/op`, c: `${min(c).toFixed(0)} ns/op`,
        ratio, goal: '<= 1.10', met: ratio <= 1.1,
      });
      notes.push(`${kind} ${op}: native.bpf() floor ${min(floor).toFixed(0)} ns/op (N-API + syscall), BpfMap adds ${(min(node) - min(floor)).toFixed(0)} ns`);
    }
  }
  return { rows, notes };
}
