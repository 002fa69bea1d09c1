// Socket filters on a UDP socket, sk_lookup on a throwaway network namespace, and netfilter LOCAL_OUT counting the
// datagrams a process in a throwaway namespace sends (that process is started with `ip netns exec`; the library
// itself attaches from outside through the `netns` option).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { program, R0, R1, R6, R7 } from '../../src/isa/builder.js';
import { netfilter, NfVerdict } from '../../src/kernel/attach/netfilter.js';
import { SkAction, skLookup } from '../../src/kernel/attach/sk-lookup.js';
import { socketFilter } from '../../src/kernel/attach/socket-filter.js';
import { Program } from '../../src/kernel/program.js';
import { AttachType, LinkType, ProgType } from '../../src/sys/constants.js';
import { counterMap, countInto, loadCountAll, read, type Counter } from '../fixtures/net/programs.js';
import { receive, sleep, UdpSocket, waitFor } from '../fixtures/net/sockets.js';
import { createNetns } from '../helpers/netns.js';
import { kernelTest } from '../helpers/kernel.js';

const child = fileURLToPath(new URL('../fixtures/net/child.js', import.meta.url));
const N = 3;

function sendN(tx: UdpSocket, port: number, n = N): number[] {
  return Array.from({ length: n }, () => tx.sendTo('127.0.0.1', port));
}

/** count[0]++ and keep the whole packet (return skb->len), or drop it (return 0). */
function loadFilter(counter: Counter, keep: boolean): Program {
  const b = program().mov(R6, R1);
  countInto(b, 0);
  if (keep) b.ldx('w', R0, R6, 0); // __sk_buff.len
  else b.mov(R0, 0);
  return Program.load({ name: keep ? 'sf_keep' : 'sf_drop', type: ProgType.SOCKET_FILTER, license: 'GPL', instructions: b.exit().build() }, { maps: { count: counter } });
}

kernelTest('socket filter: a UDP socket drops what the filter rejects and accepts what it keeps', async () => {
  using netns = createNetns('sf');
  using rx = new UdpSocket(netns.name).bind('127.0.0.1');
  using tx = new UdpSocket(netns.name);
  using counter = counterMap();
  {
    using drop = loadFilter(counter, false);
    using link = socketFilter(drop, rx.fd);
    assert.equal(link.fd, null);
    assert.throws(() => link.pin('/sys/fs/bpf/x'), /not a bpf_link/);
    assert.ok(sendN(tx, rx.port).every((r) => r > 0));
    assert.equal(await waitFor(() => read(counter), N), N);
    assert.equal(rx.drain(), 0);
  }
  // Link closed: the filter is detached and everything arrives, uncounted.
  sendN(tx, rx.port);
  assert.equal(await receive(rx, N), N);
  assert.equal(read(counter), N);
  {
    using keep = loadFilter(counter, true);
    using _link = socketFilter(keep, rx.fd);
    sendN(tx, rx.port);
    assert.equal(await receive(rx, N), N);
    assert.equal(read(counter), 2 * N);
  }
});

kernelTest('socket filter: a non-socket fd and a wrong program type are reported clearly', () => {
  using counter = counterMap();
  using prog = loadFilter(counter, true);
  const fd = openSync('/dev/null', 'r');
  try {
    assert.throws(() => socketFilter(prog, fd), /is not a socket/);
  } finally {
    closeSync(fd);
  }
  assert.throws(() => socketFilter(prog, -1), RangeError);
  using xdpProg = loadCountAll(counter, 'x', ProgType.XDP, 2);
  using rx = new UdpSocket();
  assert.throws(() => socketFilter(xdpProg, rx.fd), /socket filter takes SOCKET_FILTER programs/);
});

/** Counts lookups for UDP to `port` (local_port is host order) into count[0]; returns `verdict`. */
function loadSkLookup(counter: Counter, port: number, verdict: number): Program {
  const b = program().mov(R6, R1)
    .ldx('w', R7, R6, 12).jne(R7, 17, 'out') // protocol
    .ldx('w', R7, R6, 60).jne(R7, port, 'out'); // local_port
  countInto(b, 0).label('out').mov(R0, verdict).exit();
  return Program.load({
    name: 'sk_lookup', type: ProgType.SK_LOOKUP, expectedAttachType: AttachType.SK_LOOKUP, license: 'GPL',
    instructions: b.build(),
  }, { maps: { count: counter } });
}

kernelTest('sk_lookup: counts socket lookups in a throwaway netns; SK_DROP makes datagrams vanish', async () => {
  using netns = createNetns('skl');
  using rx = new UdpSocket(netns.name).bind('127.0.0.1');
  using tx = new UdpSocket(netns.name);
  using counter = counterMap();
  {
    using pass = loadSkLookup(counter, rx.port, SkAction.PASS);
    using link = skLookup(pass, netns.name);
    assert.equal(link.info().type, LinkType.NETNS);
    sendN(tx, rx.port);
    assert.equal(await receive(rx, N), N);
    assert.equal(read(counter), N);
  }
  {
    using drop = loadSkLookup(counter, rx.port, SkAction.DROP);
    using _link = skLookup(drop, netns.path);
    sendN(tx, rx.port);
    assert.equal(await waitFor(() => read(counter), 2 * N), 2 * N);
    await sleep(20);
    assert.equal(rx.drain(), 0);
  }
  // The host namespace never had the program: a lookup there is not counted.
  using hostRx = new UdpSocket().bind('127.0.0.1');
  using hostTx = new UdpSocket();
  sendN(hostTx, hostRx.port, 1);
  assert.equal(await receive(hostRx, 1), 1);
  assert.equal(read(counter), 2 * N);
  using unused = loadSkLookup(counter, 1, 1);
  assert.throws(() => skLookup(unused, '/run/netns/bpfkit-no-such-ns'), /open network namespace/);
  assert.throws(() => skLookup(unused, '/proc/self/stat'), /not a network namespace/);
});

function runInNetns(netns: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', netns, process.execPath, child, ...args], (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout));
  });
}

kernelTest('netfilter LOCAL_OUT: counts the datagrams a process in a throwaway netns sends; NF_DROP refuses them', async () => {
  using netns = createNetns('nf');
  using rx = new UdpSocket(netns.name).bind('127.0.0.1');
  using counter = counterMap();
  {
    using accept = loadCountAll(counter, 'nf_accept', ProgType.NETFILTER, NfVerdict.ACCEPT, AttachType.NETFILTER);
    using link = netfilter(accept, { pf: 'ipv4', hook: 'local_out', priority: -100, netns: netns.name });
    assert.equal(link.info().type, LinkType.NETFILTER);
    const out = JSON.parse(await runInNetns(netns.name, ['udp-send', '127.0.0.1', String(rx.port), String(N)]));
    assert.deepEqual(out, { sent: N, errors: [] });
    assert.equal(await receive(rx, N), N);
    // Nothing else runs in the namespace, so the count is exact.
    assert.equal(read(counter), N);
    // The hook is per namespace: traffic in ours is not counted.
    using hostRx = new UdpSocket().bind('127.0.0.1');
    hostRx.sendTo('127.0.0.1', hostRx.port);
    assert.equal(await receive(hostRx, 1), 1);
    assert.equal(read(counter), N);
  }
  {
    using drop = loadCountAll(counter, 'nf_drop', ProgType.NETFILTER, NfVerdict.DROP, AttachType.NETFILTER, 1);
    using _link = netfilter(drop, { pf: 'ipv4', hook: 'local_out', priority: 100, netns: netns.name });
    const out = JSON.parse(await runInNetns(netns.name, ['udp-send', '127.0.0.1', String(rx.port), String(N)]));
    assert.deepEqual(out.errors, Array(N).fill('EPERM'));
    assert.equal(read(counter, 1), N);
    assert.equal(rx.drain(), 0);
  }
  using again = loadCountAll(counter, 'nf_accept', ProgType.NETFILTER, NfVerdict.ACCEPT, AttachType.NETFILTER);
  assert.throws(() => netfilter(again, { pf: 'ipv4', hook: 'local_out', priority: 0x7fffffff }), /strictly between/);
  {
    using _held = netfilter(again, { pf: 'ipv4', hook: 'local_out', priority: 7, netns: netns.name });
    assert.throws(() => netfilter(again, { pf: 'ipv4', hook: 'local_out', priority: 7, netns: netns.name }), /EBUSY .*priority 7/);
  }
  assert.throws(() => netfilter(again, { pf: 'ipx' as 'ipv4', hook: 'local_out', priority: 1 }), /'ipv4' or 'ipv6'/);
});
