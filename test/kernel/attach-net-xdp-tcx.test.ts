// XDP (generic and native) and tcx links on a veth pair between two throwaway network namespaces: real UDP
// datagrams from a to b, counted by the programs, dropped by them, and flowing again once the link is closed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unpin } from '../../src/kernel/pin.js';
import { ensureBpffs } from '../../src/kernel/mounts.js';
import { Link } from '../../src/kernel/link.js';
import { tcx, TcxAction } from '../../src/kernel/attach/tcx.js';
import { xdp, type XdpMode } from '../../src/kernel/attach/xdp.js';
import { InterfaceNotFoundError } from '../../src/kernel/attach/net-common.js';
import { LinkType, ProgType } from '../../src/sys/constants.js';
import { NotSupportedError } from '../../src/sys/errors.js';
import {
  counterMap, loadUdpPortProgram, read, resetCounters, TC_LAYOUT, XDP_LAYOUT, type Counter,
} from '../fixtures/net/programs.js';
import { receive, sleep, UdpSocket, waitFor } from '../fixtures/net/sockets.js';
import { createVethRig, listTestNetns, xdpAttachMode, type VethRig } from '../helpers/netns.js';
import { kernelTest } from '../helpers/kernel.js';

const XDP_DROP = 1;
const XDP_PASS = 2;
const N = 5;

/** Sends N datagrams a → b and reports how many the program counted (slot) and how many b received. */
async function exchange(rig: VethRig, rx: UdpSocket, tx: UdpSocket, counter: Counter | null, slot = 0) {
  for (let i = 0; i < N; i++) assert.ok(tx.sendTo(rig.b.ip, rx.port) > 0, 'sendto failed');
  const counted = counter ? await waitFor(() => read(counter, slot), N) : 0;
  // With a counter, the program has already seen every datagram: what is going to arrive has arrived or is close.
  const received = await receive(rx, N, counter ? 200 : 1000);
  return { counted, received: received + rx.drain() };
}

function sockets(rig: VethRig) {
  const rx = new UdpSocket(rig.b.netns).bind(rig.b.ip);
  const tx = new UdpSocket(rig.a.netns);
  return { rx, tx, [Symbol.dispose]: () => (rx.close(), tx.close()) };
}

for (const mode of ['generic', 'native'] as XdpMode[]) {
  kernelTest(`xdp ${mode}: counts datagrams from the peer, XDP_DROP stops them, closing the link restores them`, async () => {
    using rig = createVethRig();
    using s = sockets(rig);
    using counter = counterMap();
    // The rig itself delivers before anything is attached.
    assert.equal((await exchange(rig, s.rx, s.tx, null)).received, N);

    {
      using prog = loadUdpPortProgram(counter, 'xdp_pass', ProgType.XDP, XDP_LAYOUT, s.rx.port, XDP_PASS, XDP_PASS);
      using link = xdp(prog, rig.b.ifname, { mode, netns: rig.b.netns });
      const info = link.info();
      assert.equal(info.type, LinkType.XDP);
      assert.equal(info.extra.getUint32(0, true), rig.b.ifindex);
      assert.match(link.description, new RegExp(`xdp \\(${mode}\\) on ${rig.b.ifname}`));
      assert.equal(xdpAttachMode(rig.b), mode, 'iproute2 sees the mode that was asked for');
      assert.deepEqual(await exchange(rig, s.rx, s.tx, counter), { counted: N, received: N });
    }
    resetCounters(counter);
    {
      using prog = loadUdpPortProgram(counter, 'xdp_drop', ProgType.XDP, XDP_LAYOUT, s.rx.port, XDP_DROP, XDP_PASS);
      using _link = xdp(prog, rig.b.ifindex, { mode, netns: rig.b.netns });
      assert.deepEqual(await exchange(rig, s.rx, s.tx, counter), { counted: N, received: 0 });
    }
    // Link closed: nothing left on the interface.
    assert.equal(xdpAttachMode(rig.b), undefined);
    const after = await exchange(rig, s.rx, s.tx, null);
    assert.equal(after.received, N);
    assert.equal(read(counter), N);
  });
}

kernelTest('xdp: an unknown interface and a wrong program type are reported clearly', () => {
  using rig = createVethRig();
  using counter = counterMap();
  using prog = loadUdpPortProgram(counter, 'xdp_pass', ProgType.XDP, XDP_LAYOUT, 9, XDP_PASS, XDP_PASS);
  assert.throws(() => xdp(prog, 'nosuchif0', { netns: rig.a.netns }), (e: unknown) =>
    e instanceof InterfaceNotFoundError && /no network interface 'nosuchif0' in network namespace/.test(e.message));
  // The veth lives in the rig's namespace only; from ours it does not exist.
  assert.throws(() => xdp(prog, rig.a.ifname), InterfaceNotFoundError);
  using tc = loadUdpPortProgram(counter, 'tc', ProgType.SCHED_CLS, TC_LAYOUT, 9, 0, 0);
  assert.throws(() => xdp(tc, rig.a.ifname, { netns: rig.a.netns }), /xdp takes XDP programs; 'tc' is SCHED_CLS/);
  assert.throws(() => xdp(prog, rig.a.ifname, { mode: 'turbo' as XdpMode }), /generic, native or auto/);
  // One XDP program per interface; the kernel's bare errnos come back with the likely reason.
  {
    using _held = xdp(prog, rig.a.ifname, { mode: 'native', netns: rig.a.netns });
    assert.throws(() => xdp(prog, rig.a.ifname, { mode: 'native', netns: rig.a.netns }), /EBUSY .*another link or through netlink/);
    assert.throws(() => xdp(prog, rig.a.ifname, { mode: 'generic', netns: rig.a.netns }), /EEXIST .*native and generic exclude/);
  }
  assert.throws(() => xdp(prog, 'lo', { mode: 'native', netns: rig.a.netns }), (e: unknown) =>
    e instanceof NotSupportedError && /lo \(ifindex 1\).*use mode 'generic'/.test(e.message));
});

kernelTest('tcx: ingress counts and drops, egress counts and passes, links detach on close', async () => {
  using rig = createVethRig();
  using s = sockets(rig);
  using counter = counterMap();
  {
    using drop = loadUdpPortProgram(counter, 'tcx_drop', ProgType.SCHED_CLS, TC_LAYOUT, s.rx.port, TcxAction.DROP, TcxAction.NEXT, 0);
    using pass = loadUdpPortProgram(counter, 'tcx_count', ProgType.SCHED_CLS, TC_LAYOUT, s.rx.port, TcxAction.NEXT, TcxAction.NEXT, 1);
    using ingress = tcx(drop, rig.b.ifname, 'ingress', { netns: rig.b.netns });
    using _egress = tcx(pass, rig.a.ifindex, 'egress', { netns: rig.a.netns });
    assert.equal(ingress.info().type, LinkType.TCX);
    assert.equal(ingress.info().extra.getUint32(0, true), rig.b.ifindex);
    const r = await exchange(rig, s.rx, s.tx, counter, 0);
    assert.equal(r.received, 0);
    assert.equal(r.counted, N);
    assert.equal(read(counter, 1), N); // egress on a saw every datagram leave
  }
  const after = await exchange(rig, s.rx, s.tx, null);
  assert.equal(after.received, N);
  assert.equal(read(counter, 0), N);
  assert.equal(read(counter, 1), N);
});

kernelTest('tcx: before/after anchors order programs on one hook', async () => {
  using rig = createVethRig();
  using s = sockets(rig);
  using counter = counterMap();
  const port = s.rx.port;
  using drop = loadUdpPortProgram(counter, 'tcx_drop', ProgType.SCHED_CLS, TC_LAYOUT, port, TcxAction.DROP, TcxAction.NEXT, 0);
  using early = loadUdpPortProgram(counter, 'tcx_early', ProgType.SCHED_CLS, TC_LAYOUT, port, TcxAction.NEXT, TcxAction.NEXT, 1);
  using late = loadUdpPortProgram(counter, 'tcx_late', ProgType.SCHED_CLS, TC_LAYOUT, port, TcxAction.NEXT, TcxAction.NEXT, 2);
  using first = loadUdpPortProgram(counter, 'tcx_first', ProgType.SCHED_CLS, TC_LAYOUT, port, TcxAction.NEXT, TcxAction.NEXT, 3);
  const at = { netns: rig.b.netns };
  using dropLink = tcx(drop, rig.b.ifname, 'ingress', at);
  using _early = tcx(early, rig.b.ifname, 'ingress', { ...at, before: dropLink });
  using _late = tcx(late, rig.b.ifname, 'ingress', { ...at, after: drop });
  using _first = tcx(first, rig.b.ifname, 'ingress', { ...at, before: 'all' });
  const r = await exchange(rig, s.rx, s.tx, counter, 0);
  assert.equal(r.received, 0);
  assert.equal(r.counted, N);
  assert.equal(read(counter, 1), N, 'the program placed before the dropper runs');
  assert.equal(read(counter, 3), N, "the program placed before 'all' runs");
  await sleep(20);
  assert.equal(read(counter, 2), 0, 'the program placed after the dropper never runs');
  assert.throws(() => tcx(late, rig.b.ifname, 'ingress', { ...at, before: dropLink, after: dropLink }), /not both/);
});

kernelTest('xdp: auto mode picks native on veth; a link dies with its process unless pinned', () => {
  using rig = createVethRig();
  using counter = counterMap();
  using prog = loadUdpPortProgram(counter, 'xdp_pass', ProgType.XDP, XDP_LAYOUT, 9, XDP_PASS, XDP_PASS);
  {
    using _link = xdp(prog, rig.b.ifname, { netns: rig.b.netns });
    assert.equal(xdpAttachMode(rig.b), 'native');
  }
  // A process that attaches and exits without cleaning up leaves nothing behind.
  const script = fileURLToPath(new URL('../fixtures/net/attach-and-exit.js', import.meta.url));
  assert.equal(execFileSync(process.execPath, [script, rig.b.netns, rig.b.ifname], { encoding: 'utf8' }), 'attached\n');
  assert.equal(xdpAttachMode(rig.b), undefined);
  // A pinned link outlives its fd until the pin is removed.
  const pin = join(ensureBpffs(), `bpfkit-test-xdp-${process.pid}`);
  try {
    const link = xdp(prog, rig.b.ifname, { mode: 'generic', netns: rig.b.netns });
    link.pin(pin);
    link.close();
    assert.equal(xdpAttachMode(rig.b), 'generic');
    using reopened = Link.fromPin(pin);
    assert.equal(reopened.info().type, LinkType.XDP);
  } finally {
    if (existsSync(pin)) unpin(pin);
  }
  assert.equal(xdpAttachMode(rig.b), undefined);
});

kernelTest('the veth rig leaves no namespaces behind', () => {
  const rig = createVethRig();
  assert.equal(listTestNetns().length >= 2, true);
  rig.close();
  assert.deepEqual(listTestNetns(), []);
});
