// Hash, array, their per-CPU and LRU forms, and LPM tries: values written from TypeScript are read by a loaded
// program, and values a program writes are read back from TypeScript.
import assert from 'node:assert/strict';
import { u32, u64 } from '../../src/kernel/codec.js';
import {
  arrayMap, cidr4, cidr6, hashMap, lpmTrie, lruHashMap, lruPercpuHashMap, percpuArrayMap, percpuHashMap,
} from '../../src/kernel/maps/index.js';
import type { BpfMap } from '../../src/kernel/map.js';
import { kernelTest } from '../helpers/kernel.js';
import { le32, le64, loadFilter, MISSING, perCpuReaderProgram, readerProgram, run, writerProgram, adderProgram } from './maps-common.js';

const keyedFactories = { hash: hashMap, lru_hash: lruHashMap } as const;

for (const [kind, make] of Object.entries(keyedFactories)) {
  kernelTest(`${kind}: TS writes, program reads; program writes, TS reads`, () => {
    using map = make({ name: `t_${kind}`, key: u32, value: u64, maxEntries: 16 });
    map.update(7, 1234n);
    using reader = loadFilter('rd', readerProgram('m', le32(7)), { m: map });
    assert.equal(run(reader), 1234);
    using absent = loadFilter('rd_absent', readerProgram('m', le32(9)), { m: map });
    assert.equal(run(absent), MISSING);

    using writer = loadFilter('wr', writerProgram('m', le32(8), le64(5678n)), { m: map });
    assert.equal(run(writer), 0);
    assert.equal(map.lookup(8), 5678n);
    assert.deepEqual([...map.keys()].sort(), [7, 8]);
  });
}

kernelTest('array: TS writes, program reads; program writes, TS reads', () => {
  using map = arrayMap({ name: 't_array', value: u64, maxEntries: 8 });
  map.update(3, 4242n);
  using reader = loadFilter('rd', readerProgram('m', le32(3)), { m: map });
  assert.equal(run(reader), 4242);
  using writer = loadFilter('wr', writerProgram('m', le32(5), le64(99n)), { m: map });
  assert.equal(run(writer), 0);
  assert.equal(map.lookup(5), 99n);
  assert.equal(map.lookup(0), 0n, 'array slots exist from the start, zeroed');
});

const perCpuKeyed = { percpu_hash: percpuHashMap, lru_percpu_hash: lruPercpuHashMap } as const;

function checkPerCpu(map: BpfMap<number, bigint>, key: number): void {
  // One value per possible CPU: 1000 + cpu. The program returns its CPU's value minus its CPU number.
  const values = Array.from({ length: map.cpuSlots }, (_, cpu) => 1000n + BigInt(cpu));
  map.updatePerCpu(key, values);
  assert.deepEqual(map.lookupPerCpu(key), values);
  using reader = loadFilter('rd', perCpuReaderProgram('m', le32(key)), { m: map });
  assert.equal(run(reader), 1000, 'the program saw its own CPU slot');

  // The program adds 5 to its CPU's slot, ten times: the slots grow by 50 in all.
  using adder = loadFilter('add', adderProgram('m', le32(key), 5), { m: map });
  assert.equal(run(adder, 10), 0);
  const after = map.lookupPerCpu(key)!;
  const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
  assert.equal(sum(after) - sum(values), 50n);
  assert.throws(() => map.lookup(key), TypeError, 'single-value lookup on a per-CPU map is refused');
}

for (const [kind, make] of Object.entries(perCpuKeyed)) {
  kernelTest(`${kind}: per-CPU values both ways`, () => {
    using map = make({ name: `t_${kind}`, key: u32, value: u64, maxEntries: 16 });
    assert.ok(map.cpuSlots >= 1);
    checkPerCpu(map, 11);
    // A program creating a new element sets only its own CPU's slot.
    using writer = loadFilter('wr', writerProgram('m', le32(12), le64(42n)), { m: map });
    assert.equal(run(writer), 0);
    const slots = map.lookupPerCpu(12)!;
    assert.equal(slots.reduce((a, b) => a + b, 0n), 42n);
    assert.equal(slots.filter((v) => v !== 0n).length, 1);
  });
}

kernelTest('percpu_array: per-CPU values both ways', () => {
  using map = percpuArrayMap({ name: 't_pcpu_array', value: u64, maxEntries: 4 });
  checkPerCpu(map, 2);
  assert.deepEqual(map.lookupPerCpu(3), new Array(map.cpuSlots).fill(0n));
});

kernelTest('lru_hash: 25 inserts into max 8 keep only the newest (7-8)', () => {
  using map = lruHashMap({ name: 't_lru_evict', key: u32, value: u32, maxEntries: 8 });
  for (let i = 0; i < 25; i++) map.update(i, i * 10);
  // The kernel evicts in small batches, so between max-1 and max entries remain (7 measured here): the newest.
  const keys = [...map.keys()].sort((a, b) => a - b);
  assert.ok(keys.length >= 7 && keys.length <= 8, `LRU kept ${keys.length} entries`);
  assert.deepEqual(keys, Array.from({ length: keys.length }, (_, i) => 25 - keys.length + i));
  assert.equal(map.lookup(24), 240);
});

/** IPv4 lookup key for a program: prefixlen 32 then the address bytes in network order. */
function ipv4Key(addr: string): Uint8Array {
  const out = new Uint8Array(8);
  cidr4.encode(`${addr}/32`, out);
  return out;
}

kernelTest('lpm_trie (IPv4): longest-prefix match from a program, and program inserts read by TS', () => {
  using trie = lpmTrie({ name: 't_lpm4', key: cidr4, value: u32, maxEntries: 16 });
  trie.update('10.0.0.0/8', 1);
  trie.update('10.1.0.0/16', 2);
  trie.update('10.1.2.0/24', 3);
  const cases: Array<[string, number]> = [['10.1.2.3', 3], ['10.1.9.9', 2], ['10.200.0.1', 1], ['11.0.0.1', MISSING]];
  for (const [addr, want] of cases) {
    using prog = loadFilter('lpm_rd', readerProgram('t', ipv4Key(addr)), { t: trie });
    assert.equal(run(prog), want, `program lookup of ${addr}`);
  }
  // User-space lookups match longest prefixes too.
  assert.equal(trie.lookup('10.1.2.200'), 3);

  const key = new Uint8Array(8);
  cidr4.encode('192.168.1.0/24', key);
  using writer = loadFilter('lpm_wr', writerProgram('t', key, le32(77)), { t: trie });
  assert.equal(run(writer), 0);
  assert.equal(trie.lookup('192.168.1.0/24'), 77);
  assert.equal(trie.lookup('192.168.1.99'), 77);
  assert.deepEqual([...trie.keys()].sort(), ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '192.168.1.0/24']);
});

kernelTest('lpm_trie (IPv6): TS inserts a /32, a program matches a /128 inside it', () => {
  using trie = lpmTrie({ name: 't_lpm6', key: cidr6, value: u32, maxEntries: 16 });
  trie.update('2001:db8::/32', 6);
  trie.update('2001:db8:1::/48', 48);
  const key = new Uint8Array(20);
  cidr6.encode('2001:db8:1::42', key);
  using prog = loadFilter('lpm6', readerProgram('t', key), { t: trie });
  assert.equal(run(prog), 48);
  cidr6.encode('2001:db8:2::1', key);
  using prog2 = loadFilter('lpm6b', readerProgram('t', key), { t: trie });
  assert.equal(run(prog2), 6);

  cidr6.encode('fe80::/10', key);
  using writer = loadFilter('lpm6_wr', writerProgram('t', key, le32(10)), { t: trie });
  assert.equal(run(writer), 0);
  assert.equal(trie.lookup('fe80::1'), 10);
  assert.ok([...trie.keys()].includes('fe80::/10'));
});
