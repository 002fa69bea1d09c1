// uprobe, uretprobe and uprobe_multi on a gcc-built victim and on libc: exact args, return values and counts.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { FP, program, R0, R1, R2, R3, R4, R6, R7, type ProgramBuilder } from '../../src/isa/builder.js';
import { Helper } from '../../src/isa/helpers.js';
import { argOffset, RETURN_VALUE_OFFSET, uprobe, uprobeMulti, uretprobe } from '../../src/kernel/attach/uprobe.js';
import { u32, u64 } from '../../src/kernel/codec.js';
import { BpfMap } from '../../src/kernel/map.js';
import { Program } from '../../src/kernel/program.js';
import { AttachType, MapType, ProgType } from '../../src/sys/constants.js';
import { buildVictims, expected, Victim, type Victims } from '../fixtures/uprobe/victim.js';
import { kernelTest } from '../helpers/kernel.js';

const N = 7;
const GET_ATTACH_COOKIE = 174; // bpf_get_attach_cookie

let victims: Victims;
before(() => {
  victims = buildVictims();
});
after(() => victims?.cleanup());

/** Exits early unless the current process is `pid` (0: no filter). ctx must already be saved in R6. */
function onlyPid(b: ProgramBuilder, pid: number): ProgramBuilder {
  if (pid === 0) return b;
  return b.call(Helper.get_current_pid_tgid).rsh(R0, 32).jne(R0, pid, 'out');
}

/** Adds 1 to count[0]. */
function countOne(b: ProgramBuilder): ProgramBuilder {
  return b.st('w', FP, -20, 0).loadMap(R1, 'count').mov(R2, FP).add(R2, -20).call(Helper.map_lookup_elem)
    .jeq(R0, 0, 'out').mov(R1, 1).atomic('dw', 'add', R0, 0, R1);
}

/** seen[*(u64 *)(ctx + keyOff)] = *(u64 *)(ctx + valueOff); count[0]++ — for the victim only. */
function recordProgram(pid: number, keyOff: number, valueOff: number, name: string, attach?: AttachType) {
  const b = program().mov(R6, R1);
  onlyPid(b, pid);
  b.ldx('dw', R7, R6, keyOff).stx('dw', FP, -8, R7).ldx('dw', R7, R6, valueOff).stx('dw', FP, -16, R7)
    .loadMap(R1, 'seen').mov(R2, FP).add(R2, -8).mov(R3, FP).add(R3, -16).mov(R4, 0).call(Helper.map_update_elem);
  countOne(b).label('out').mov(R0, 0).exit();
  return { name, type: ProgType.KPROBE, license: 'GPL', instructions: b.build(), ...(attach !== undefined ? { expectedAttachType: attach } : {}) };
}

/** byCookie[bpf_get_attach_cookie(ctx)] += 1 — for the victim only. */
function cookieProgram(pid: number, name: string, attach?: AttachType) {
  const b = program().mov(R6, R1);
  onlyPid(b, pid);
  b.mov(R1, R6).call(GET_ATTACH_COOKIE).stx('dw', FP, -8, R0).st('dw', FP, -16, 0)
    .loadMap(R1, 'seen').mov(R2, FP).add(R2, -8).mov(R3, FP).add(R3, -16).mov(R4, 1).call(Helper.map_update_elem) // NOEXIST
    .loadMap(R1, 'seen').mov(R2, FP).add(R2, -8).call(Helper.map_lookup_elem).jeq(R0, 0, 'out')
    .mov(R1, 1).atomic('dw', 'add', R0, 0, R1);
  countOne(b).label('out').mov(R0, 0).exit();
  return { name, type: ProgType.KPROBE, license: 'GPL', instructions: b.build(), ...(attach !== undefined ? { expectedAttachType: attach } : {}) };
}

function maps() {
  const seen = BpfMap.create({ name: 'seen', type: MapType.HASH, keySize: 8, valueSize: 8, maxEntries: 256 }, { key: u64, value: u64 });
  const count = BpfMap.create({ name: 'count', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 }, { key: u32, value: u64 });
  return {
    seen, count,
    [Symbol.dispose]() {
      seen.close();
      count.close();
    },
  };
}

const sortedEntries = (m: BpfMap<bigint, bigint>) => [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));

for (const variant of ['pie', 'nopie'] as const) {
  kernelTest(`uprobe and uretprobe on victim_add see exact args and return values (${variant})`, async () => {
    const victim = await Victim.start(victims[variant], N);
    try {
      using entry = maps();
      using ret = maps();
      using entryProg = Program.load(recordProgram(victim.pid, argOffset(0), argOffset(1), 'up_add'), { maps: entry });
      using retProg = Program.load(recordProgram(victim.pid, RETURN_VALUE_OFFSET, RETURN_VALUE_OFFSET, 'uret_add'), { maps: ret });
      using l1 = uprobe(entryProg, { binary: victims[variant], symbol: 'victim_add' });
      using l2 = uretprobe(retProg, { binary: victims[variant], symbol: 'victim_add' });
      assert.match(l1.description, /^uprobe .*victim_add$/);
      assert.equal(l1.info().type, 7 /* PERF_EVENT link */);
      await victim.round();
      assert.equal(entry.count.lookup(0), BigInt(N));
      assert.equal(ret.count.lookup(0), BigInt(N));
      const args = Array.from({ length: N }, (_, i) => [...expected.addArgs(i)]);
      assert.deepEqual(sortedEntries(entry.seen), args);
      const rets = Array.from({ length: N }, (_, i) => [expected.addReturn(i), expected.addReturn(i)]);
      assert.deepEqual(sortedEntries(ret.seen), rets);
    } finally {
      await victim.stop();
    }
  });
}

kernelTest('the pid option limits a uprobe to one process, and closing the link stops counting', async () => {
  const a = await Victim.start(victims.pie, N);
  const b = await Victim.start(victims.pie, N);
  try {
    using m = maps();
    // No pid check in the program: only the kernel-side pid filter separates a from b.
    using prog = Program.load(recordProgram(0, argOffset(0), argOffset(1), 'up_pid'), { maps: m });
    const link = uprobe(prog, { binary: victims.pie, symbol: 'victim_add', pid: a.pid });
    try {
      await Promise.all([a.round(), b.round()]);
      assert.equal(m.count.lookup(0), BigInt(N));
    } finally {
      link.close();
    }
    assert.equal(link.closed, true);
    await a.round();
    assert.equal(m.count.lookup(0), BigInt(N), 'no hits after detach');
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

kernelTest('libc uprobe by bare name counts the victim\'s getpid calls (ld.so.cache and /proc/PID/maps)', async () => {
  const victim = await Victim.start(victims.nopie, N);
  try {
    using byCache = maps();
    using byMaps = maps();
    using p1 = Program.load(recordProgram(victim.pid, argOffset(0), argOffset(0), 'libc_cache'), { maps: byCache });
    using p2 = Program.load(recordProgram(victim.pid, argOffset(0), argOffset(0), 'libc_maps'), { maps: byMaps });
    using l1 = uprobe(p1, { binary: 'libc.so.6', symbol: 'getpid' });
    using l2 = uprobe(p2, { binary: 'libc.so.6', symbol: 'getpid', pid: victim.pid });
    assert.match(l1.description, /\/libc\.so\.6:getpid$/);
    assert.match(l2.description, /\/libc\.so\.6:getpid \(pid \d+\)$/);
    await victim.round();
    assert.equal(byCache.count.lookup(0), BigInt(N));
    assert.equal(byMaps.count.lookup(0), BigInt(N));
  } finally {
    await victim.stop();
  }
});

kernelTest('uprobe_multi on victim_add and victim_mul with per-site cookies, and a perf-link cookie', async () => {
  const victim = await Victim.start(victims.pie, N);
  try {
    using multi = maps();
    using single = maps();
    using multiProg = Program.load(cookieProgram(victim.pid, 'upm_cookie', AttachType.TRACE_UPROBE_MULTI), { maps: multi });
    using singleProg = Program.load(cookieProgram(victim.pid, 'up_cookie'), { maps: single });
    using l1 = uprobeMulti(multiProg, { binary: victims.pie, symbols: ['victim_add', 'victim_mul'], cookies: [11, 22] });
    using l2 = uprobe(singleProg, { binary: victims.pie, symbol: 'victim_mul', retprobe: true, cookie: 0xfeedn });
    assert.equal(l1.info().type, 12 /* UPROBE_MULTI link */);
    await victim.round();
    assert.deepEqual(sortedEntries(multi.seen), [[11n, BigInt(N)], [22n, BigInt(N)]]);
    assert.equal(multi.count.lookup(0), BigInt(2 * N));
    assert.deepEqual(sortedEntries(single.seen), [[0xfeedn, BigInt(N)]]);
  } finally {
    await victim.stop();
  }
});

kernelTest('uretprobe_multi sees return values of both functions', async () => {
  const victim = await Victim.start(victims.nopie, N);
  try {
    using m = maps();
    using prog = Program.load(recordProgram(victim.pid, RETURN_VALUE_OFFSET, RETURN_VALUE_OFFSET, 'uretm', AttachType.TRACE_UPROBE_MULTI), { maps: m });
    using link = uprobeMulti(prog, { binary: victims.nopie, symbols: ['victim_add', 'victim_mul'], retprobe: true, pid: victim.pid });
    assert.match(link.description, /^uretprobe_multi .*victim_add,victim_mul \(pid \d+\)$/);
    await victim.round();
    assert.equal(m.count.lookup(0), BigInt(2 * N));
    const want = new Set<bigint>();
    for (let i = 0; i < N; i++) want.add(expected.addReturn(i)).add(BigInt(i * 3));
    assert.deepEqual(new Set(sortedEntries(m.seen).map(([k]) => k)), want);
  } finally {
    await victim.stop();
  }
});

kernelTest('bad uprobe requests fail with clear errors', () => {
  using m = maps();
  using prog = Program.load(recordProgram(0, argOffset(0), argOffset(1), 'up_bad'), { maps: m });
  assert.throws(() => uprobe(prog, { binary: victims.pie, symbol: 'no_such_fn' }), /symbol 'no_such_fn' not found/);
  assert.throws(() => uprobe(prog, { binary: '/nonexistent/bin', symbol: 'x' }), /no such file/);
  assert.throws(() => uprobe(prog, { binary: 'libnothing.so.9', symbol: 'x' }), /library libnothing\.so\.9 not found/);
  assert.throws(() => uprobe(prog, { binary: victims.pie }), /give a symbol or a file offset/);
  assert.throws(() => uprobeMulti(prog, { binary: victims.pie, symbols: ['victim_add'] }), /attach uprobe_multi/);
});
