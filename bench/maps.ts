// Map lookup/update: bpfkit's BpfMap against raw bpf() syscalls in C, array and hash maps. The C program gets the
// very map bpfkit uses (as fd 3), so both sides look up the same keys in the same kernel map with the same attr
// size. Times are CPU time of the measuring thread/process (the machine may be shared); C and Node trials
// alternate, and each side reports the median of its trials.
import { spawnSync } from 'node:child_process';
import { u32, u64n } from '../src/kernel/codec.js';
import { BpfMap } from '../src/kernel/map.js';
import { mapElemAttr } from '../src/sys/bpf.js';
import { BpfCmd, MapType } from '../src/sys/constants.js';
import { native } from '../src/sys/native.js';
import { cpuNs, median, type Row } from './report.js';

const KEYS = 256;
const ITERATIONS = 25_000;
const TRIALS_PER_ROUND = 2;
const ROUNDS = 15;
const INVALID_CMD = 9999;
const SYS_getpid = 39;

type Op = 'lookup' | 'update';
type COp = Op | 'bpf-invalid' | 'getpid';

function cTrials(binary: string, op: COp, mapFd: number): number[] {
  const r = spawnSync(binary, [op, String(ITERATIONS), String(KEYS), String(TRIALS_PER_ROUND)], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', mapFd],
  });
  if (r.status !== 0) throw new Error(`bench: C map baseline failed: ${r.stderr}`);
  return r.stdout.trim().split(/\s+/).map(Number);
}

function timed(body: () => void): number[] {
  const out: number[] = [];
  for (let t = 0; t < TRIALS_PER_ROUND; t++) {
    const start = cpuNs();
    body();
    out.push((cpuNs() - start) / ITERATIONS);
  }
  return out;
}

// Like the C loop: lookups sum the values read, updates write value i under key i % KEYS.
function nodeTrials(map: BpfMap<number, number>, op: Op): number[] {
  let sum = 0;
  const out = op === 'lookup'
    ? timed(() => {
      for (let i = 0; i < ITERATIONS; i++) sum += map.lookup(i & (KEYS - 1))!;
    })
    : timed(() => {
      for (let i = 0; i < ITERATIONS; i++) map.update(i & (KEYS - 1), i);
    });
  if (Number.isNaN(sum)) throw new Error('bench: lookup returned a missing key');
  return out;
}

/** The floor under bpfkit: a bound native bpf() call on a prebuilt attr, nothing else (N-API + syscall). */
function floorTrials(map: BpfMap<number, number>, op: Op): number[] {
  const key = new Uint8Array(4);
  const value = new Uint8Array(8);
  const attr = mapElemAttr(map.fd.value, key, value);
  const call = native.bpfBind(op === 'lookup' ? BpfCmd.MAP_LOOKUP_ELEM : BpfCmd.MAP_UPDATE_ELEM, attr.bytes);
  return timed(() => {
    for (let i = 0; i < ITERATIONS; i++) {
      key[0] = i & (KEYS - 1);
      call();
    }
  });
}

/** The cost of crossing into native code: the same syscalls from Node and from C. */
function crossingNotes(cBinary: string, mapFd: number): string[] {
  const attr = new Uint8Array(32);
  const bound = native.bpfBind(INVALID_CMD, attr);
  const node = { bpf: [] as number[], bound: [] as number[], getpid: [] as number[] };
  const c = { bpf: [] as number[], getpid: [] as number[] };
  for (let round = 0; round < 5; round++) {
    c.bpf.push(...cTrials(cBinary, 'bpf-invalid', mapFd));
    c.getpid.push(...cTrials(cBinary, 'getpid', mapFd));
    node.bpf.push(...timed(() => {
      for (let i = 0; i < ITERATIONS; i++) native.bpf(INVALID_CMD, attr);
    }));
    node.bound.push(...timed(() => {
      for (let i = 0; i < ITERATIONS; i++) bound();
    }));
    node.getpid.push(...timed(() => {
      for (let i = 0; i < ITERATIONS; i++) native.syscall(SYS_getpid);
    }));
  }
  const ns = (xs: number[]) => `${median(xs).toFixed(0)} ns`;
  return [
    `bpf(invalid cmd): C ${ns(c.bpf)}, native.bpf() ${ns(node.bpf)}, bound native.bpfBind() ${ns(node.bound)}`,
    `getpid: C ${ns(c.getpid)}, native.syscall() ${ns(node.getpid)}`,
  ];
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
    if (kind === 'array') notes.push(...crossingNotes(cBinary, map.fd.value));
    for (const op of ['lookup', 'update'] as const) {
      nodeTrials(map, op); // warm the JIT
      floorTrials(map, op);
      const c: number[] = [];
      const node: number[] = [];
      const floor: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        c.push(...cTrials(cBinary, op, map.fd.value));
        node.push(...nodeTrials(map, op));
        floor.push(...floorTrials(map, op));
      }
      const ratio = median(node) / median(c);
      rows.push({
        operation: `${kind} map ${op}`, bpfkit: `${median(node).toFixed(0)} ns/op`, c: `${median(c).toFixed(0)} ns/op`,
        ratio, goal: '<= 1.10', met: ratio <= 1.1,
      });
      notes.push(`${kind} ${op}: bound native bpf() floor ${median(floor).toFixed(0)} ns/op (N-API + syscall), BpfMap adds ${(median(node) - median(floor)).toFixed(0)} ns`);
    }
  }
  return { rows, notes };
}
