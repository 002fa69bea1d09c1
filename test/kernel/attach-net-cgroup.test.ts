// cgroup links on a throwaway cgroup v2: connect4 sees the port and can refuse the connect, cgroup_skb egress
// counts and drops datagrams, and a sysctl program sees and can refuse a read of kernel/ostype. The actions run
// in child processes placed in the cgroup; the test process itself stays outside and is not affected.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { FP, program, R0, R1, R2, R3, R4, R6, R7 } from '../../src/isa/builder.js';
import { Helper } from '../../src/isa/helpers.js';
import { cgroup } from '../../src/kernel/attach/cgroup.js';
import { u32, u64 } from '../../src/kernel/codec.js';
import { BpfMap } from '../../src/kernel/map.js';
import { Program } from '../../src/kernel/program.js';
import { AttachType, LinkType, MapType, ProgType } from '../../src/sys/constants.js';
import { CGROUP_SKB_LAYOUT, counterMap, countInto, loadUdpPortProgram, read, wirePort } from '../fixtures/net/programs.js';
import { receive, UdpSocket, waitFor } from '../fixtures/net/sockets.js';
import { createCgroup } from '../helpers/cgroup.js';
import { kernelTest } from '../helpers/kernel.js';

const child = fileURLToPath(new URL('../fixtures/net/child.js', import.meta.url));
const SYSCTL_GET_NAME = 101; // bpf_sysctl_get_name
const N = 4;

function listen(): Promise<Server> {
  const server = createServer((sock) => sock.destroy());
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
const portOf = (s: Server) => (s.address() as { port: number }).port;

function tcpConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.on('connect', () => (s.destroy(), resolve('ok')));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
}

kernelTest('cgroup connect4: sees the destination port and returning 0 fails connect with EPERM', async () => {
  using cg = createCgroup();
  const allowed = await listen();
  const denied = await listen();
  try {
    // seen[user_port] += 1; deny when user_port == the denied server's port (both in network byte order).
    using seen = BpfMap.create({ name: 'seen', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 64 }, { key: u32, value: u64 });
    const b = program().mov(R6, R1).ldx('w', R7, R6, 24) // bpf_sock_addr.user_port
      .stx('w', FP, -4, R7).st('dw', FP, -16, 1)
      .loadMap(R1, 'seen').mov(R2, FP).add(R2, -4).mov(R3, FP).add(R3, -16).mov(R4, 1).call(Helper.map_update_elem) // NOEXIST
      .jeq(R0, 0, 'decide')
      .loadMap(R1, 'seen').mov(R2, FP).add(R2, -4).call(Helper.map_lookup_elem).jeq(R0, 0, 'decide')
      .mov(R1, 1).atomic('dw', 'add', R0, 0, R1)
      .label('decide').jeq(R7, wirePort(portOf(denied)), 'deny').mov(R0, 1).exit()
      .label('deny').mov(R0, 0).exit();
    using prog = Program.load({
      name: 'connect4', type: ProgType.CGROUP_SOCK_ADDR, expectedAttachType: AttachType.CGROUP_INET4_CONNECT,
      license: 'GPL', instructions: b.build(),
    }, { maps: { seen } });
    using link = cgroup(prog, cg.path, 'connect4');
    assert.equal(link.info().type, LinkType.CGROUP);

    const ok = await cg.runNode(child, ['tcp-connect', '127.0.0.1', String(portOf(allowed))]);
    const refused = await cg.runNode(child, ['tcp-connect', '127.0.0.1', String(portOf(denied))]);
    assert.deepEqual(JSON.parse(ok.stdout), { ok: true }, ok.stderr);
    assert.deepEqual(JSON.parse(refused.stdout), { error: 'EPERM' }, refused.stderr);
    assert.equal(seen.lookup(wirePort(portOf(allowed))), 1n);
    assert.equal(seen.lookup(wirePort(portOf(denied))), 1n);
    // This process is not in the cgroup: the same connect works and is not seen.
    assert.equal(await tcpConnect(portOf(denied)), 'ok');
    assert.equal(seen.lookup(wirePort(portOf(denied))), 1n);
    link.close();
    const afterClose = await cg.runNode(child, ['tcp-connect', '127.0.0.1', String(portOf(denied))]);
    assert.deepEqual(JSON.parse(afterClose.stdout), { ok: true }, 'closing the link detaches the program');
  } finally {
    allowed.close();
    denied.close();
  }
});

kernelTest('cgroup_skb egress: counts datagrams a process in the cgroup sends, and can drop them', async () => {
  using cg = createCgroup();
  using rx = new UdpSocket().bind('127.0.0.1');
  using counter = counterMap();
  {
    using prog = loadUdpPortProgram(counter, 'skb_count', ProgType.CGROUP_SKB, CGROUP_SKB_LAYOUT, rx.port, 1, 1, 0, AttachType.CGROUP_INET_EGRESS);
    using _link = cgroup(prog, cg.path, AttachType.CGROUP_INET_EGRESS);
    const r = await cg.runNode(child, ['udp-send', '127.0.0.1', String(rx.port), String(N)]);
    assert.deepEqual(JSON.parse(r.stdout), { sent: N, errors: [] }, r.stderr);
    assert.equal(await receive(rx, N), N);
    assert.equal(read(counter, 0), N);
    // Our own sends are outside the cgroup and not counted.
    rx.sendTo('127.0.0.1', rx.port);
    assert.equal(await receive(rx, 1), 1);
    assert.equal(read(counter, 0), N);
  }
  {
    using prog = loadUdpPortProgram(counter, 'skb_drop', ProgType.CGROUP_SKB, CGROUP_SKB_LAYOUT, rx.port, 0, 1, 1, AttachType.CGROUP_INET_EGRESS);
    using _link = cgroup(prog, cg.path, 'egress');
    const r = await cg.runNode(child, ['udp-send', '127.0.0.1', String(rx.port), String(N)]);
    const out = JSON.parse(r.stdout) as { sent: number; errors: string[] };
    assert.equal(read(counter, 1), N);
    assert.equal(rx.drain(), 0, 'dropped datagrams never arrive');
    assert.deepEqual(out.errors, Array(N).fill('EPERM'));
  }
});

/** Matches bpf_sysctl_get_name() == "kernel/ostype" on reads; counts into count[0]; returns `verdict`. */
function sysctlProgram(name: string, verdict: number) {
  const word = (s: string) => new DataView(new TextEncoder().encode(s.padEnd(8, '\0')).buffer).getBigUint64(0, true);
  const b = program().mov(R6, R1)
    .ldx('w', R7, R6, 0).jne(R7, 0, 'out') // bpf_sysctl.write: reads only
    .st('dw', FP, -24, 0).st('dw', FP, -16, 0).st('dw', FP, -8, 0)
    .mov(R1, R6).mov(R2, FP).add(R2, -24).mov(R3, 24).mov(R4, 0).call(SYSCTL_GET_NAME)
    .jne(R0, 13, 'out') // strlen("kernel/ostype")
    .ldx('dw', R7, FP, -24).lddw(R1, word('kernel/o')).jne(R7, R1, 'out')
    .ldx('dw', R7, FP, -16).lddw(R1, word('stype')).jne(R7, R1, 'out');
  countInto(b, 0).label('out').mov(R0, verdict).exit();
  return { name, type: ProgType.CGROUP_SYSCTL, expectedAttachType: AttachType.CGROUP_SYSCTL, license: 'GPL', instructions: b.build() };
}

kernelTest('cgroup sysctl: sees a read of kernel/ostype by a process in the cgroup, and can refuse it', async () => {
  using cg = createCgroup();
  using counter = counterMap();
  using allow = Program.load(sysctlProgram('sysctl_allow', 1), { maps: { count: counter } });
  using _link = cgroup(allow, cg.path, 'sysctl');
  const r = await cg.runNode(child, ['read', '/proc/sys/kernel/ostype']);
  assert.deepEqual(JSON.parse(r.stdout), { text: 'Linux\n' }, r.stderr);
  const seen = read(counter);
  assert.ok(seen >= 1, `the read was seen (${seen} sysctl calls)`);
  readFileSync('/proc/sys/kernel/ostype'); // outside the cgroup: not counted
  assert.equal(read(counter), seen);
  {
    using counter2 = counterMap();
    using deny = Program.load(sysctlProgram('sysctl_deny', 0), { maps: { count: counter2 } });
    using _deny = cgroup(deny, cg.path, 'sysctl'); // several links on one hook all run; any 0 refuses
    const refused = await cg.runNode(child, ['read', '/proc/sys/kernel/ostype']);
    assert.deepEqual(JSON.parse(refused.stdout), { error: 'EPERM' });
    assert.ok(read(counter2) >= 1);
  }
  const again = await cg.runNode(child, ['read', '/proc/sys/kernel/ostype']);
  assert.deepEqual(JSON.parse(again.stdout), { text: 'Linux\n' }, 'the refusing link is gone');
});

kernelTest('cgroup: bad paths, hooks and program types are reported clearly', () => {
  using cg = createCgroup();
  using counter = counterMap();
  using prog = Program.load(sysctlProgram('sysctl_allow', 1), { maps: { count: counter } });
  assert.throws(() => cgroup(prog, `${cg.path}/nope`, 'sysctl'), /open cgroup .*nope: ENOENT/);
  assert.throws(() => cgroup(prog, cg.path, 'connect4'), /cgroup connect4 takes CGROUP_SOCK_ADDR programs/);
  assert.throws(() => cgroup(prog, cg.path, 'bogus' as 'sysctl'), /'bogus' is not a cgroup attach type/);
  assert.throws(() => cgroup(prog, '/tmp', 'sysctl'), /not a cgroup v2 directory/);
});
