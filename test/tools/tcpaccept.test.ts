// tcpaccept: a listener process we start accepts a loopback connection; the tool names the accepting process
// (not whoever ran the handshake in softirq), the remote end (the client's ephemeral port) and the local port.
import assert from 'node:assert/strict';
import { kernelTest } from '../helpers/kernel.js';
import { connect, listen, SERVER_COMM } from './net/loopback.js';
import { startTool } from './run-tool.js';

const HEADER = /^PID\s+COMM\s+IP\s+RADDR\s+RPORT\s+LADDR\s+LPORT$/m;

kernelTest('tcpaccept shows the accepting pid, comm, remote port and local port; -P filters local ports', async () => {
  const wanted = await listen('127.0.0.1');
  const other = await listen('127.0.0.1');
  const run = startTool('tcpaccept', ['-P', String(wanted.port)]);
  try {
    await run.waitFor(HEADER);
    // The other listener accepts first: once the wanted accept shows, the other would have shown before it.
    const first = connect('127.0.0.1', [other.port]);
    await other.accepted();
    await first;
    const client = await connect('127.0.0.1', [wanted.port]);
    await wanted.accepted();
    const rport = client.localPorts[0];
    await run.waitFor(new RegExp(`^${wanted.pid}\\s+${SERVER_COMM}\\s+4\\s+127\\.0\\.0\\.1\\s+${rport}\\s+127\\.0\\.0\\.1\\s+${wanted.port}$`, 'm'));
    assert.doesNotMatch(run.stdout(), new RegExp(`\\s${other.port}$`, 'm'), 'an accept on a port outside -P was shown');
  } finally {
    wanted.kill();
    other.kill();
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('tcpaccept -6 -p PID --json reports an IPv6 accept', async () => {
  const server = await listen('::1');
  const run = startTool('tcpaccept', ['-6', '-p', String(server.pid), '--json']);
  try {
    // No header with --json: connect until the accept shows (the probe may not be attached for the first ones).
    let line: string | undefined;
    let rport: number | undefined;
    const deadline = Date.now() + 15000;
    while (!line && Date.now() < deadline) {
      const client = await connect('::1', [server.port]);
      await server.accepted();
      rport = client.localPorts[0];
      await new Promise((r) => setTimeout(r, 200));
      line = run.stdout().split('\n').find((l) => l.includes(`"rport":${rport},`));
    }
    assert.ok(line, `no JSON record:\n${run.stdout()}\n${run.stderr()}`);
    const rec = JSON.parse(line) as Record<string, unknown>;
    assert.equal(rec.pid, server.pid);
    assert.equal(rec.comm, SERVER_COMM);
    assert.equal(rec.ip, 6);
    assert.equal(rec.raddr, '::1');
    assert.equal(rec.laddr, '::1');
    assert.equal(rec.lport, server.port);
  } finally {
    server.kill();
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('tcpaccept rejects -4 with -6 as a usage error', async () => {
  const r = await startTool('tcpaccept', ['-4', '-6']).exited();
  assert.equal(r.code, 2);
  assert.match(r.stderr, /-4 and -6/);
});
