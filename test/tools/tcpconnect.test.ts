// tcpconnect: a client process we start connects over loopback; the tool names it (pid, comm), with the
// addresses and the destination port; -P keeps only the listed ports; -s adds the source port; -c counts.
import assert from 'node:assert/strict';
import { createCgroup } from '../helpers/cgroup.js';
import { kernelTest } from '../helpers/kernel.js';
import { CLIENT_COMM, connect, listen } from './net/loopback.js';
import { startTool } from './run-tool.js';

const HEADER = /^UID\s+PID\s+COMM\s+IP\s+SADDR\s+DADDR\s+DPORT$/m;

kernelTest('tcpconnect shows the connecting pid, comm, IPv4 addresses and port; -P filters ports', async () => {
  const wanted = await listen('127.0.0.1');
  const other = await listen('127.0.0.1');
  const run = startTool('tcpconnect', ['-U', '-P', String(wanted.port)]);
  try {
    await run.waitFor(HEADER);
    // The other port first: once the wanted connect shows, the other would have shown before it.
    const client = await connect('127.0.0.1', [other.port, wanted.port]);
    await run.waitFor(new RegExp(`^0\\s+${client.pid}\\s+${CLIENT_COMM}\\s+4\\s+127\\.0\\.0\\.1\\s+127\\.0\\.0\\.1\\s+${wanted.port}$`, 'm'));
    assert.doesNotMatch(run.stdout(), new RegExp(`\\s${other.port}$`, 'm'), 'a connect to a port outside -P was shown');
  } finally {
    wanted.kill();
    other.kill();
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('tcpconnect -s --json reports an IPv6 connect with its source port', async () => {
  const server = await listen('::1');
  const run = startTool('tcpconnect', ['-s', '--json', '-P', String(server.port)]);
  try {
    // No header with --json: connect until a record shows (the probe may not be attached for the first ones).
    let record: Record<string, unknown> | undefined;
    const deadline = Date.now() + 15000;
    while (!record && Date.now() < deadline) {
      const client = await connect('::1', [server.port]);
      await new Promise((r) => setTimeout(r, 200));
      const line = run.stdout().split('\n').find((l) => l.includes(`"pid":${client.pid},`));
      if (line) record = { ...JSON.parse(line), expectedSport: client.localPorts[0] } as Record<string, unknown>;
    }
    assert.ok(record, `no JSON record:\n${run.stdout()}\n${run.stderr()}`);
    assert.equal(record.comm, CLIENT_COMM);
    assert.equal(record.ip, 6);
    assert.equal(record.saddr, '::1');
    assert.equal(record.daddr, '::1');
    assert.equal(record.dport, server.port);
    assert.equal(record.sport, record.expectedSport);
  } finally {
    server.kill();
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('tcpconnect -L prints the local port after SADDR; -c counts connects per flow', async () => {
  const server = await listen('127.0.0.1');
  const lport = startTool('tcpconnect', ['-L', '-P', String(server.port)]);
  const count = startTool('tcpconnect', ['-c', '-P', String(server.port)]);
  try {
    await lport.waitFor(/^PID\s+COMM\s+IP\s+SADDR\s+LPORT\s+DADDR\s+DPORT$/m);
    await count.waitFor(/^Tracing connect/m);
    // Three connects; the listener accepts only the first, the others wait in its backlog: all are connects.
    const client = await connect('127.0.0.1', [server.port, server.port, server.port]);
    for (const p of client.localPorts) {
      assert.ok(p !== undefined, 'a connect failed');
      await lport.waitFor(new RegExp(`^${client.pid}\\s+${CLIENT_COMM}\\s+4\\s+127\\.0\\.0\\.1\\s+${p}\\s+127\\.0\\.0\\.1\\s+${server.port}$`, 'm'));
    }
    // Connects count in connect() itself: with the client gone, the map holds all three.
    const r = await count.stop();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^LADDR\s+RADDR\s+RPORT\s+CONNECTS$/m);
    assert.match(r.stdout, new RegExp(`^127\\.0\\.0\\.1\\s+127\\.0\\.0\\.1\\s+${server.port}\\s+3$`, 'm'));
  } finally {
    server.kill();
    await count.stop();
    const r = await lport.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('tcpconnect --cgroup keeps only connects made inside that cgroup', async () => {
  const server = await listen('127.0.0.1');
  using cgroup = createCgroup();
  const run = startTool('tcpconnect', ['--cgroup', cgroup.path, '-P', String(server.port)]);
  try {
    await run.waitFor(/^PID\s+COMM/m);
    const outside = await connect('127.0.0.1', [server.port]);
    const inside = await connect('127.0.0.1', [server.port], { cgroup: cgroup.path });
    await run.waitFor(new RegExp(`^${inside.pid}\\s+${CLIENT_COMM}\\s+4\\s+127\\.0\\.0\\.1\\s+127\\.0\\.0\\.1\\s+${server.port}$`, 'm'));
    assert.doesNotMatch(run.stdout(), new RegExp(`^${outside.pid}\\s`, 'm'), 'a connect outside the cgroup was shown');
  } finally {
    server.kill();
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('tcpconnect --cgroup refuses a path that is not a cgroup v2 directory', async () => {
  const r = await startTool('tcpconnect', ['--cgroup', '/tmp']).exited();
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^bpfkit tcpconnect: --cgroup \/tmp: not a cgroup v2 directory$/m);
});

kernelTest('tcpconnect rejects a bad port list with a one-line usage error', async () => {
  const r = await startTool('tcpconnect', ['-P', '80,0']).exited();
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not a port/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});
