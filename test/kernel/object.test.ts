// Objects compiled by clang in the test run, loaded into this kernel: maps, global data, subprograms, and
// tracing programs attached by section name observing this process's own events.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { loadVmlinuxBtf } from '../../src/btf/parse.js';
import { readObjectFile } from '../../src/elf/object.js';
import { ObjectCollection } from '../../src/kernel/object.js';
import { RingBufferReader } from '../../src/kernel/readers/ringbuf.js';
import type { Link } from '../../src/kernel/link.js';
import { compileBpf } from '../fixtures/bpf/build.js';
import { udpSender } from '../fixtures/bpf/udp.js';
import { buildVictims, Victim } from '../fixtures/uprobe/victim.js';
import { kernelTest } from '../helpers/kernel.js';
import { createNetns } from '../helpers/netns.js';

const XDP_DROP = 1;
const XDP_PASS = 2;
const packet = () => new Uint8Array(64);
const u64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true);
const u32le = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);

kernelTest('legacy map definitions: programs load and update the maps they name', () => {
  using obj = ObjectCollection.loadFile(compileBpf('legacy'));
  assert.equal(obj.program('count_packets').testRun({ data: packet() }).retval, XDP_PASS);
  obj.program('count_packets').testRun({ data: new Uint8Array(80) });
  assert.equal(u64(obj.map('counts').lookup(u32le(0))!), 2n);
  assert.deepEqual([...obj.map('lengths').keys()].map((k) => new DataView(k.buffer, k.byteOffset).getUint32(0, true)).sort(), [64, 80]);
  assert.equal(obj.program('accept_all').testRun({ data: packet() }).retval, 50); // skb->len after the Ethernet header
  assert.equal(u64(obj.map('counts').lookup(u32le(1))!), 1n);
});

kernelTest('.rodata set from TypeScript before load changes behaviour; .bss/.data read and written while loaded', () => {
  const spec = readObjectFile(compileBpf('globals'));
  {
    using pass = ObjectCollection.load(spec);
    assert.equal(pass.program('xdp_globals').testRun({ data: packet() }).retval, XDP_PASS);
    assert.equal(pass.variable('bytes_seen').get(), 0n); // add_length is false by default
  }
  using obj = ObjectCollection.load(spec, { constants: { verdict: XDP_DROP, add_length: true } });
  const prog = obj.program('xdp_globals');
  assert.equal(prog.testRun({ data: packet() }).retval, XDP_DROP);
  assert.equal(obj.variable('verdict').get(), XDP_DROP);
  assert.throws(() => obj.variable('verdict').set(XDP_PASS), /frozen/);
  prog.testRun({ data: packet(), repeat: 4 });
  assert.equal(obj.variable('packets').get(), 5n);
  assert.equal(obj.variable('calls').get(), 5); // static variable
  assert.equal(obj.variable('bytes_seen').get(), 5n * 64n);
  obj.variable('step').set(100); // .data, written while loaded
  prog.testRun({ data: packet() });
  assert.equal(obj.variable('packets').get(), 105n);
  obj.variable('packets').set(0n);
  prog.testRun({ data: packet() });
  assert.equal(obj.variable('packets').get(), 100n);
  obj.variable('tag').set(new TextEncoder().encode('x')); // .data.custom: program now aborts
  assert.equal(prog.testRun({ data: packet() }).retval, 0);
  assert.throws(() => ObjectCollection.load(spec, { constants: { nope: 1 } }), /no global variable/);
});

kernelTest('subprograms shared across sections compute the same results in every program', () => {
  using obj = ObjectCollection.loadFile(compileBpf('subprogs'));
  assert.equal(obj.program('xdp_first').testRun({ data: packet() }).retval, XDP_PASS);
  assert.equal(obj.program('xdp_second').testRun({ data: packet() }).retval, XDP_DROP);
  obj.program('sock_third').testRun({ data: packet() });
  const results = obj.map('results');
  assert.equal(u64(results.lookup(u32le(0))!), 25n);
  assert.equal(u64(results.lookup(u32le(1))!), 49n);
  assert.equal(u64(results.lookup(u32le(2))!), 50n * 50n + 1n);
});

interface Event { tgid: number; kind: number; value: bigint }
function drain(reader: RingBufferReader): Event[] {
  const out: Event[] = [];
  reader.readAvailable((r) => {
    const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
    out.push({ tgid: v.getUint32(0, true), kind: v.getUint32(4, true), value: v.getBigInt64(8, true) });
  });
  return out;
}

kernelTest('tracepoint, raw_tp and tp_btf programs attached by section name see this process call getppid()', () => {
  using obj = ObjectCollection.loadFile(compileBpf('tracing'), {
    constants: { target_tgid: process.pid }, programs: ['tp_getppid', 'raw_sys_enter', 'btf_sys_enter'],
  });
  const links: Link[] = [];
  try {
    for (const name of Object.keys(obj.programs)) links.push(obj.attach(name));
    using reader = new RingBufferReader(obj.map('events'));
    for (let i = 0; i < 3; i++) assert.ok(process.ppid > 0);
    const events = drain(reader);
    assert.ok(events.every((e) => e.tgid === process.pid), JSON.stringify(events.slice(0, 3), (_, v) => typeof v === 'bigint' ? String(v) : v));
    for (const kind of [1, 2, 3]) {
      assert.ok(events.filter((e) => e.kind === kind).length >= 3, `kind ${kind}: ${events.filter((e) => e.kind === kind).length}`);
    }
    assert.ok(events.filter((e) => e.kind === 2).every((e) => e.value === 110n));
    assert.ok((obj.variable('total').get() as bigint) >= 9n);
  } finally {
    for (const l of links) l.close();
  }
});

kernelTest('uprobe, uretprobe and USDT programs attached by section name see the victim', async () => {
  const victims = buildVictims();
  try {
    await using victim = await Victim.start(victims.pie, 3);
    using obj = ObjectCollection.loadFile(compileBpf('tracing', { defines: [`VICTIM="${victims.pie}"`] }), {
      programs: ['victim_add_entry', 'victim_add_return', 'victim_tick'],
    });
    const links = Object.keys(obj.programs).map((name) => obj.attach(name, { pid: victim.pid }));
    try {
      using reader = new RingBufferReader(obj.map('events'));
      await victim.round();
      const events = drain(reader).filter((e) => e.tgid === victim.pid);
      const values = (kind: number) => events.filter((e) => e.kind === kind).map((e) => e.value);
      // victim_add(i + 1, 100 + i) for i = 0..2
      assert.deepEqual(values(4), [101n, 103n, 105n]);
      assert.deepEqual(values(5), [101n, 103n, 105n]);
      assert.equal(values(6).length, 3);
    } finally {
      for (const l of links) l.close();
    }
  } finally {
    victims.cleanup();
  }
});

kernelTest('XDP program attached by section name to lo in a netns counts UDP packets to the port set before load', () => {
  using ns = createNetns('xdpobj');
  const port = 40000 + (process.pid % 20000);
  using obj = ObjectCollection.loadFile(compileBpf('xdp_port'), { constants: { port, drop: false } });
  using link = obj.attach('xdp_udp_port', { iface: 'lo', netns: ns.name, xdpMode: 'generic' });
  assert.ok(!link.closed);
  const send = (p: number, n: number) => execFileSync('ip', ['netns', 'exec', ns.name, process.execPath, '-e', udpSender(p, n, 10)]);
  send(port, 4);
  send(port + 1, 2);
  assert.equal(obj.variable('matched').get(), 4n);
  // eth 14 + ip 20 + udp 8 + 10 bytes of payload
  assert.equal(u64(obj.map('bytes').lookup(u32le(0))!), 4n * 52n);
});

kernelTest('CO-RE: task_struct reads, field existence, enum values and type sizes resolve against this kernel', () => {
  using obj = ObjectCollection.loadFile(compileBpf('core'), { constants: { target_tgid: process.pid } });
  assert.equal(obj.btfError, undefined);
  using link = obj.attach('core_getppid');
  const ppid = process.ppid;
  assert.ok(!link.closed);
  assert.ok((obj.variable('runs').get() as number) >= 1);
  assert.equal(obj.variable('own_tgid').get(), process.pid);
  assert.equal(obj.variable('parent_tgid').get(), ppid);
  assert.equal(obj.variable('has_real_parent').get(), 1);
  assert.equal(obj.variable('has_made_up_field').get(), 0);
  assert.equal(obj.variable('ringbuf_type').get(), 27n);
  assert.equal(obj.variable('enum_missing_exists').get(), 0);
  const kernelTaskSize = BigInt(loadVmlinuxBtf().sizeOf(loadVmlinuxBtf().typeByName('task_struct', 4)!.id));
  assert.equal(obj.variable('task_size').get(), kernelTaskSize);
  const report = obj.core.core_getppid!;
  assert.ok(report.some((r) => r.kind === 'FIELD_EXISTS' && r.targetValue === '0'));
  assert.ok(report.some((r) => r.kind === 'FIELD_BYTE_OFFSET' && r.local.includes('real_parent')));
});

kernelTest('BTF map definitions load: map-in-map with its inner template, per-CPU, bloom filter, prog array', () => {
  using obj = ObjectCollection.loadFile(compileBpf('mapdefs'));
  assert.equal(obj.btfError, undefined);
  assert.deepEqual(Object.keys(obj.maps).sort(), ['bloom', 'jumps', 'outer', 'pinned_hash', 'sized']);
  const info = (name: string) => JSON.parse(execFileSync('bpftool', ['-j', 'map', 'show', 'id', String(obj.map(name).info().id)], { encoding: 'utf8' })) as
    { type: string; bytes_key: number; bytes_value: number; max_entries: number; flags: number; btf_id?: number };
  assert.equal(info('outer').type, 'array_of_maps');
  assert.equal(info('sized').bytes_value, 24);
  assert.equal(info('pinned_hash').flags, 1);
  assert.ok(info('pinned_hash').btf_id! > 0, 'the hash map carries BTF key/value types');
  assert.equal(obj.program('xdp_maps').testRun({ data: new Uint8Array(64) }).retval, 2); // sized hit + bloom miss
});

kernelTest('extern __kconfig variables hold the running kernel\'s version and config', () => {
  using obj = ObjectCollection.loadFile(compileBpf('kconfig'));
  assert.equal(obj.btfError, undefined);
  obj.program('xdp_kconfig').testRun({ data: packet() });
  const [major, minor, patch] = release().split(/[.-]/).map(Number);
  assert.equal(obj.variable('version').get(), (major! << 16) + (minor! << 8) + Math.min(patch!, 255));
  const config = gunzipSync(readFileSync('/proc/config.gz')).toString();
  assert.equal(obj.variable('bpf_syscall').get(), /^CONFIG_BPF_SYSCALL=y$/m.test(config) ? 1 : 0);
  assert.equal(obj.variable('kprobes').get(), /^CONFIG_KPROBES=y$/m.test(config) ? 1 : 0); // off on this kernel
  assert.equal(obj.variable('hz').get(), Number(/^CONFIG_HZ=(\d+)$/m.exec(config)?.[1] ?? 0));
});
