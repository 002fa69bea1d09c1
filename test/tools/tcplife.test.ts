// tcplife: a python3 process opens a loopback TCP session to a known port, sends 200 KiB, receives 100 KiB and
// closes; the tool reports both ends with that process, the right ports, the byte counts and a plausible lifespan.
import assert from 'node:assert/strict';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';
import { freePort, jsonRecords, loopbackSession } from './net/session.js';

/** The client sends 200 KiB, the server answers 100 KiB. */
const BYTES = { send: 200 * 1024, reply: 100 * 1024 };

kernelTest('tcplife reports a loopback session: pid, comm, ports, 200 KB out, 100 KB in, lifespan', async () => {
  const run = startTool('tcplife');
  try {
    await run.waitFor(/^PID\s+COMM\s+LADDR\s+LPORT\s+RADDR\s+RPORT\s+TX_KB\s+RX_KB\s+MS$/m);
    const port = await freePort();
    const started = Date.now();
    const { pid, clientPort } = loopbackSession(port, BYTES);
    const elapsed = Date.now() - started;
    const client = await run.waitFor(new RegExp(`^${pid}\\s+python3\\s+127\\.0\\.0\\.1\\s+${clientPort}\\s+127\\.0\\.0\\.1\\s+${port}\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)$`, 'm'));
    assert.equal(Number(client[1]), 200, `TX_KB: ${client[0]}`);
    assert.equal(Number(client[2]), 100, `RX_KB: ${client[0]}`);
    const ms = Number(client[3]);
    assert.ok(ms > 0 && ms < elapsed, `MS ${ms} should be in (0, ${elapsed})`);
    // The accepted end: same process (it closed the socket), ports swapped, bytes the other way round.
    const server = await run.waitFor(new RegExp(`^${pid}\\s+python3\\s+127\\.0\\.0\\.1\\s+${port}\\s+127\\.0\\.0\\.1\\s+${clientPort}\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)$`, 'm'));
    assert.equal(Number(server[1]), 100);
    assert.equal(Number(server[2]), 200);
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('tcplife --json -L PORT -6: exact byte counts of the accepted IPv6 end only', async () => {
  const port = await freePort();
  const run = startTool('tcplife', ['--json', '-L', String(port), '-6']);
  try {
    // No header in JSON mode: give the probes time to attach before the session.
    await new Promise((r) => setTimeout(r, 1500));
    const { pid, clientPort } = loopbackSession(port, { ...BYTES, host: '::1' });
    await run.waitFor(new RegExp(`"lport":${port}`));
    await new Promise((r) => setTimeout(r, 200));
    const records = jsonRecords(run.stdout());
    assert.equal(records.length, 1, run.stdout());
    const rec = records[0]!;
    assert.equal(rec.pid, pid);
    assert.equal(rec.comm, 'python3');
    assert.equal(rec.ip, 6);
    assert.equal(rec.laddr, '::1');
    assert.equal(rec.raddr, '::1');
    assert.equal(rec.rport, clientPort);
    // The kernel counters count sequence space, so an acked/received FIN adds one byte.
    assert.ok(rec.tx_bytes === 100 * 1024 || rec.tx_bytes === 100 * 1024 + 1, `tx_bytes ${String(rec.tx_bytes)}`);
    assert.ok(rec.rx_bytes === 200 * 1024 || rec.rx_bytes === 200 * 1024 + 1, `rx_bytes ${String(rec.rx_bytes)}`);
    assert.ok(typeof rec.ms === 'number' && rec.ms > 0, `ms ${String(rec.ms)}`);
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('tcplife -p PID keeps other processes out', async () => {
  const port = await freePort();
  // pid 1 (init) opens no loopback session to our port: the filter must drop ours.
  const run = startTool('tcplife', ['-p', '1', '-D', String(port)]);
  try {
    await run.waitFor(/^PID\s+COMM/m);
    loopbackSession(port, BYTES);
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 1, `rows for a filtered-out pid:\n${r.stdout}`);
  }
});

kernelTest('tcplife rejects -4 with -6 and a bad port list', async () => {
  const both = startTool('tcplife', ['-4', '-6']);
  const r1 = await both.exited();
  assert.equal(r1.code, 2);
  assert.match(r1.stderr, /-4 and -6/);
  const bad = startTool('tcplife', ['-L', '80,x']);
  const r2 = await bad.exited();
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /ports/);
});
