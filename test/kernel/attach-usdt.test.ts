// USDT on the gcc-built victim: args read from pt_regs and user memory, semaphores bumped only while attached.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { FP, program, R0, R1, R2, R3, R4, R6, R7, R8 } from '../../src/isa/builder.js';
import { Helper } from '../../src/isa/helpers.js';
import { findUsdtProbe, loadUsdtArgN, usdt, type UsdtSite } from '../../src/kernel/attach/usdt.js';
import { bytes, u32, u64 } from '../../src/kernel/codec.js';
import { BpfMap } from '../../src/kernel/map.js';
import { Program } from '../../src/kernel/program.js';
import { AttachType, MapType, ProgType } from '../../src/sys/constants.js';
import { buildVictims, Victim, type Victims } from '../fixtures/uprobe/victim.js';
import { kernelTest } from '../helpers/kernel.js';

const N = 6;
const STR = 16;

let victims: Victims;
before(() => {
  victims = buildVictims();
});
after(() => victims?.cleanup());

/**
 * For the victim only: strs[arg0] = string at arg1 (probe_read_user_str), or with one argument strs[arg0] = "";
 * count[0]++.
 */
function usdtProgram(site: UsdtSite, pid: number, name: string, attach?: AttachType) {
  const b = program().mov(R6, R1)
    .call(Helper.get_current_pid_tgid).rsh(R0, 32).jne(R0, pid, 'out');
  loadUsdtArgN(b, site, 0, { dst: R7, ctx: R6, stackOffset: -8 });
  b.stx('dw', FP, -8, R7);
  // Zero the string buffer at fp-24..fp-8.
  b.st('dw', FP, -24, 0).st('dw', FP, -16, 0);
  if (site.args.length > 1) {
    loadUsdtArgN(b, site, 1, { dst: R8, ctx: R6, stackOffset: -32 });
    b.mov(R1, FP).add(R1, -24).mov(R2, STR).mov(R3, R8).call(Helper.probe_read_user_str);
  }
  b.loadMap(R1, 'strs').mov(R2, FP).add(R2, -8).mov(R3, FP).add(R3, -24).mov(R4, 0).call(Helper.map_update_elem)
    .st('w', FP, -28, 0).loadMap(R1, 'count').mov(R2, FP).add(R2, -28).call(Helper.map_lookup_elem)
    .jeq(R0, 0, 'out').mov(R1, 1).atomic('dw', 'add', R0, 0, R1)
    .label('out').mov(R0, 0).exit();
  return { name, type: ProgType.KPROBE, license: 'GPL', instructions: b.build(), ...(attach !== undefined ? { expectedAttachType: attach } : {}) };
}

function maps() {
  const strs = BpfMap.create({ name: 'strs', type: MapType.HASH, keySize: 8, valueSize: STR, maxEntries: 64 }, { key: u64, value: bytes(STR) });
  const count = BpfMap.create({ name: 'count', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 }, { key: u32, value: u64 });
  return {
    strs, count,
    [Symbol.dispose]() {
      strs.close();
      count.close();
    },
  };
}

const cstr = (b: Uint8Array) => Buffer.from(b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0))).toString();
const strings = (m: BpfMap<bigint, Uint8Array>) => [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, v]) => [k, cstr(v)]);

for (const variant of ['pie', 'nopie'] as const) {
  kernelTest(`usdt victim:tick reads arg0 (i, from the stack) and arg1 (a user string) (${variant})`, async () => {
    const victim = await Victim.start(victims[variant], N);
    try {
      const { sites } = findUsdtProbe(victims[variant], 'victim', 'tick');
      assert.equal(sites.length, 1);
      using m = maps();
      using prog = Program.load(usdtProgram(sites[0]!, victim.pid, 'usdt_tick'), { maps: m });
      using link = usdt(prog, { binary: victims[variant], provider: 'victim', name: 'tick' });
      assert.equal(link.sites.length, 1);
      await victim.round();
      assert.equal(m.count.lookup(0), BigInt(N));
      assert.deepEqual(strings(m.strs), Array.from({ length: N }, (_, i) => [BigInt(i), 'hello usdt']));
    } finally {
      await victim.stop();
    }
  });
}

kernelTest('a semaphore-gated usdt probe fires only while attached (kernel bumps the semaphore)', async () => {
  const victim = await Victim.start(victims.pie, N);
  try {
    const before = await victim.round();
    assert.deepEqual([before.gated, before.sem], [0, 0], 'not attached: semaphore 0, probe skipped');
    const { sites } = findUsdtProbe(victims.pie, 'victim', 'withsem');
    assert.notEqual(sites[0]!.semaphoreOffset, 0n);
    using m = maps();
    using prog = Program.load(usdtProgram(sites[0]!, victim.pid, 'usdt_sem'), { maps: m });
    const link = usdt(prog, { binary: victims.pie, provider: 'victim', name: 'withsem', pid: victim.pid });
    let during;
    try {
      during = await victim.round();
    } finally {
      link.close();
    }
    assert.equal(during.sem, 1);
    assert.equal(during.gated, N);
    assert.equal(m.count.lookup(0), BigInt(N));
    assert.deepEqual(strings(m.strs).map(([k]) => k), Array.from({ length: N }, (_, i) => BigInt(i)));
    const afterDetach = await victim.round();
    assert.deepEqual([afterDetach.gated, afterDetach.sem], [0, 0], 'detached: semaphore back to 0');
    assert.equal(m.count.lookup(0), BigInt(N));
  } finally {
    await victim.stop();
  }
});

kernelTest('usdt through one uprobe_multi link, semaphore included', async () => {
  const victim = await Victim.start(victims.nopie, N);
  try {
    const { sites } = findUsdtProbe(victims.nopie, 'victim', 'withsem');
    using m = maps();
    using prog = Program.load(usdtProgram(sites[0]!, victim.pid, 'usdt_multi', AttachType.TRACE_UPROBE_MULTI), { maps: m });
    using link = usdt(prog, { binary: victims.nopie, provider: 'victim', name: 'withsem', multi: true });
    assert.equal(link.links.length, 1);
    const r = await victim.round();
    assert.equal(r.gated, N);
    assert.equal(m.count.lookup(0), BigInt(N));
  } finally {
    await victim.stop();
  }
});
