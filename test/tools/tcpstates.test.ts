// tcpstates: a python3 process opens a loopback TCP session to a known port and closes it first; the tool shows
// the client socket going CLOSE -> SYN_SENT -> ESTABLISHED -> FIN_WAIT1 -> FIN_WAIT2 -> CLOSE and the accepted
// socket LISTEN -> SYN_RECV -> ESTABLISHED -> CLOSE_WAIT -> LAST_ACK -> CLOSE, with the right ports.
import assert from 'node:assert/strict';
import { kernelTest } from '../helpers/kernel.js';
import { startTool } from './run-tool.js';
import { freePort, jsonRecords, loopbackSession } from './net/session.js';

interface Row { skaddr: string; pid: number; comm: string; laddr: string; lport: number; raddr: string; rport: number; from: string; to: string; ms: number }

function parseRows(text: string): Row[] {
  const rows: Row[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{16}) (\d+)\s+(\S+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(\S+)\s+-> (\S+)\s+(\d+\.\d{3})$/.exec(line);
    if (m) rows.push({ skaddr: m[1]!, pid: Number(m[2]), comm: m[3]!, laddr: m[4]!, lport: Number(m[5]), raddr: m[6]!, rport: Number(m[7]), from: m[8]!, to: m[9]!, ms: Number(m[10]) });
  }
  return rows;
}

kernelTest('tcpstates shows every transition of both ends of a loopback session', async () => {
  const run = startTool('tcpstates');
  let pid = 0;
  let port = 0;
  let clientPort = 0;
  try {
    await run.waitFor(/^SKADDR\s+PID\s+COMM\s+LADDR\s+LPORT\s+RADDR\s+RPORT\s+OLDSTATE\s+-> NEWSTATE\s+MS$/m);
    port = await freePort();
    ({ pid, clientPort } = loopbackSession(port));
    // The accepted socket's LAST_ACK -> CLOSE comes last.
    await run.waitFor(new RegExp(`127\\.0\\.0\\.1\\s+${port}\\s+127\\.0\\.0\\.1\\s+${clientPort}\\s+LAST_ACK\\s+-> CLOSE`));
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
  const rows = parseRows(run.stdout());
  // The client socket: its address comes from the CLOSE -> SYN_SENT row (local port not chosen yet: 0).
  const connect = rows.find((r) => r.rport === port && r.from === 'CLOSE' && r.to === 'SYN_SENT');
  assert.ok(connect, `no CLOSE -> SYN_SENT to port ${port}:\n${run.stdout()}`);
  assert.equal(connect.pid, pid);
  assert.equal(connect.comm, 'python3');
  assert.equal(connect.lport, 0);
  assert.equal(connect.ms, 0);
  const client = rows.filter((r) => r.skaddr === connect.skaddr);
  assert.deepEqual(client.map((r) => `${r.from}->${r.to}`), ['CLOSE->SYN_SENT', 'SYN_SENT->ESTABLISHED', 'ESTABLISHED->FIN_WAIT1', 'FIN_WAIT1->FIN_WAIT2', 'FIN_WAIT2->CLOSE']);
  for (const r of client.slice(1)) {
    assert.equal(r.lport, clientPort, `client row ${JSON.stringify(r)}`);
    assert.equal(r.rport, port);
    assert.ok(r.ms >= 0 && r.ms < 10000);
  }
  const accepted = rows.filter((r) => r.lport === port && r.rport === clientPort);
  const server = rows.filter((r) => r.skaddr === accepted[0]?.skaddr);
  assert.deepEqual(server.map((r) => `${r.from}->${r.to}`), ['LISTEN->SYN_RECV', 'SYN_RECV->ESTABLISHED', 'ESTABLISHED->CLOSE_WAIT', 'CLOSE_WAIT->LAST_ACK', 'LAST_ACK->CLOSE']);
  // The listener itself: CLOSE -> LISTEN and back, remote 0.0.0.0:0 (freePort's own probe listener is another pid).
  const listener = rows.filter((r) => r.lport === port && r.raddr === '0.0.0.0' && r.rport === 0 && r.pid === pid);
  assert.deepEqual(listener.map((r) => `${r.from}->${r.to}`), ['CLOSE->LISTEN', 'LISTEN->CLOSE']);
});

kernelTest('tcpstates --json -6 -D PORT: only the IPv6 client socket towards that port', async () => {
  const port = await freePort();
  const run = startTool('tcpstates', ['--json', '-6', '-D', String(port)]);
  try {
    await new Promise((r) => setTimeout(r, 1500)); // no header in JSON mode: let the probe attach
    const { pid, clientPort } = loopbackSession(port, { host: '::1' });
    await run.waitFor(/"newstate":"CLOSE"/);
    await new Promise((r) => setTimeout(r, 200));
    const records = jsonRecords(run.stdout());
    assert.deepEqual(records.map((r) => `${String(r.oldstate)}->${String(r.newstate)}`), ['CLOSE->SYN_SENT', 'SYN_SENT->ESTABLISHED', 'ESTABLISHED->FIN_WAIT1', 'FIN_WAIT1->FIN_WAIT2', 'FIN_WAIT2->CLOSE']);
    for (const r of records) {
      assert.equal(r.ip, 6);
      assert.equal(r.raddr, '::1');
      assert.equal(r.rport, port);
    }
    assert.equal(records[0]!.pid, pid);
    assert.equal(records[1]!.lport, clientPort);
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('tcpstates -T -w prints the clock and IP columns', async () => {
  const port = await freePort();
  const run = startTool('tcpstates', ['-T', '-w', '-L', String(port)]);
  try {
    await run.waitFor(/^TIME\(s\)\s+SKADDR\s+PID\s+COMM\s+IP\s+LADDR\s+LPORT/m);
    loopbackSession(port);
    await run.waitFor(new RegExp(`^\\d\\d:\\d\\d:\\d\\d [0-9a-f]{16} \\d+\\s+python3\\s+4\\s+127\\.0\\.0\\.1\\s+${port}\\s+0\\.0\\.0\\.0\\s+0\\s+CLOSE\\s+-> LISTEN`, 'm'));
  } finally {
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});
