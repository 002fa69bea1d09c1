// tcpretrans: real retransmits across a veth pair between two throwaway network namespaces. A blackhole route in
// the far namespace swallows its replies, so the near side retransmits: its SYN (state SYN_SENT) when connecting,
// or, on an established connection, a tail loss probe first and then RTO retransmits.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { kernelTest } from '../helpers/kernel.js';
import { createVethRig, type VethRig } from '../helpers/netns.js';
import { startTool, type ToolRun } from './run-tool.js';

function blackhole(rig: VethRig, action: 'add' | 'del'): void {
  execFileSync('ip', ['-n', rig.b.netns, 'route', action, 'blackhole', `${rig.a.ip}/32`]);
}

/** Connects from namespace a to b.ip:port; with the blackhole, it times out after retransmitting the SYN. */
function connectFromA(rig: VethRig, port: number, timeoutSec: number): void {
  const script = `import socket, sys
s = socket.socket()
s.settimeout(${timeoutSec})
try:
    s.connect(('${rig.b.ip}', ${port}))
except OSError:
    pass
`;
  spawnSync('ip', ['netns', 'exec', rig.a.netns, 'python3', '-c', script], { timeout: 10000 });
}

async function stopOk(run: ToolRun): Promise<string> {
  const r = await run.stop();
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

kernelTest('tcpretrans shows a SYN retransmit (SYN_SENT) and -c counts it per flow', { timeout: 30000 }, async () => {
  const rig = createVethRig();
  const port = 4242;
  const trace = startTool('tcpretrans');
  const count = startTool('tcpretrans', ['-c']);
  const json = startTool('tcpretrans', ['--json', '-s', '-4']);
  try {
    blackhole(rig, 'add');
    await trace.waitFor(/^TIME\s+PID\s+IP\s+LADDR:LPORT\s+T> RADDR:RPORT\s+STATE$/m);
    await count.waitFor(/^Tracing retransmits \.\.\. Hit Ctrl-C to end$/m);
    await new Promise((r) => setTimeout(r, 1000)); // the JSON run has no header to wait for
    connectFromA(rig, port, 1.8); // the first SYN retransmit goes out after 1 s
    const a = rig.a.ip.replace(/\./g, '\\.');
    const b = rig.b.ip.replace(/\./g, '\\.');
    const row = await trace.waitFor(new RegExp(`^\\d\\d:\\d\\d:\\d\\d \\d+\\s+4\\s+${a}:(\\d+)\\s+R> ${b}:${port}\\s+SYN_SENT$`, 'm'));
    const localPort = Number(row[1]);
    await json.waitFor(new RegExp(`"rport":${port}`));
    const flows = await stopOk(count);
    const flow = new RegExp(`^${a}:${localPort}\\s+<-> ${b}:${port}\\s+(\\d+)$`, 'm').exec(flows);
    assert.ok(flow, `no count row for the flow:\n${flows}`);
    assert.ok(Number(flow[1]) >= 1);
    const records = (await stopOk(json)).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.rport === port);
    assert.ok(records.length >= 1);
    assert.equal(records[0]!.raddr, rig.b.ip);
    assert.equal(records[0]!.laddr, rig.a.ip);
    assert.equal(records[0]!.lport, localPort);
    assert.equal(records[0]!.state, 'SYN_SENT');
    assert.equal(records[0]!.type, 'retransmit');
    assert.equal(typeof records[0]!.seq, 'number');
  } finally {
    for (const run of [trace, count, json]) await run.stop();
    rig.close();
  }
});

// The peer listens; once the connection is up its ACKs are blackholed and the client sends one more segment:
// with nothing new to send, the loss-probe timer resends that last segment (a TLP) before the RTO does.
const SERVER = `import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 4343))
s.listen()
print('listening', flush=True)
c, _ = s.accept()
while c.recv(65536):
    pass
`;

const CLIENT = `import socket, subprocess, sys, time
peer, netns, blackhole = sys.argv[1], sys.argv[2], sys.argv[3]
c = socket.create_connection((peer, 4343), timeout=5)
c.sendall(b'hello')
time.sleep(0.3)
subprocess.run(['ip', '-n', netns, 'route', 'add', 'blackhole', blackhole], check=True)
c.sendall(b'x' * 1000)
time.sleep(1.2)
subprocess.run(['ip', '-n', netns, 'route', 'del', 'blackhole', blackhole], check=True)
print(c.getsockname()[1], flush=True)
c.close()
`;

kernelTest('tcpretrans -l marks the tail loss probe L>, plain tcpretrans leaves it out', { timeout: 30000 }, async () => {
  const rig = createVethRig();
  const server = spawn('ip', ['netns', 'exec', rig.b.netns, 'python3', '-c', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const withProbes = startTool('tcpretrans', ['-l']);
  const plain = startTool('tcpretrans');
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
      server.on('exit', () => reject(new Error('the server in the namespace exited')));
    });
    await withProbes.waitFor(/^TIME\s+PID/m);
    await plain.waitFor(/^TIME\s+PID/m);
    const client = spawnSync('ip', ['netns', 'exec', rig.a.netns, 'python3', '-c', CLIENT, rig.b.ip, rig.b.netns, `${rig.a.ip}/32`], { encoding: 'utf8', timeout: 10000 });
    assert.equal(client.status, 0, client.stderr);
    const flow = `${rig.a.ip}:${client.stdout.trim()}`.replace(/\./g, '\\.');
    const b = `${rig.b.ip}:4343`.replace(/\./g, '\\.');
    await withProbes.waitFor(new RegExp(`${flow}\\s+R> ${b}\\s+ESTABLISHED$`, 'm'));
    const probes = await stopOk(withProbes);
    assert.match(probes, new RegExp(`^\\d\\d:\\d\\d:\\d\\d \\d+\\s+4\\s+${flow}\\s+L> ${b}\\s+ESTABLISHED$`, 'm'));
    // The first retransmit of the flow is the probe; the RTO retransmits follow.
    const types = probes.split('\n').filter((l) => new RegExp(`${flow}\\s`).test(l)).map((l) => /([RL])> /.exec(l)?.[1]);
    assert.equal(types[0], 'L', probes);
    const others = await stopOk(plain);
    const plainTypes = others.split('\n').filter((l) => new RegExp(`${flow}\\s`).test(l)).map((l) => /([RL])> /.exec(l)?.[1]);
    assert.ok(plainTypes.length >= 1 && plainTypes.every((t) => t === 'R'), others);
    assert.equal(plainTypes.length, types.length - 1, `plain run should show the same retransmits minus the probe:\n${others}\n${probes}`);
  } finally {
    await withProbes.stop();
    await plain.stop();
    server.kill();
    rig.close();
  }
});
