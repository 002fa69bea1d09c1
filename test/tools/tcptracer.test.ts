// tcptracer: one loopback connection between two processes we start shows as C (the client's connect), A (the
// server's accept) and X (each side's close), each with the right pid, comm and ports.
import assert from 'node:assert/strict';
import { kernelTest } from '../helpers/kernel.js';
import { CLIENT_COMM, connect, listen, SERVER_COMM } from './net/loopback.js';
import { startTool } from './run-tool.js';

const HEADER = /^TIME\(s\)\s+T\s+PID\s+COMM\s+IP\s+SADDR\s+DADDR\s+SPORT\s+DPORT$/m;
const row = (t: string, pid: number, comm: string, ip: number, saddr: string, daddr: string, sport: number, dport: number) =>
  new RegExp(`^[\\d.]+\\s+${t} ${pid}\\s+${comm}\\s+${ip}\\s+${saddr.replace(/\./g, '\\.')}\\s+${daddr.replace(/\./g, '\\.')}\\s+${sport}\\s+${dport}$`, 'm');

kernelTest('tcptracer shows connect (C), accept (A) and both closes (X) of a loopback connection', async () => {
  const server = await listen('127.0.0.1');
  const run = startTool('tcptracer', ['-t']);
  try {
    await run.waitFor(HEADER);
    const client = await connect('127.0.0.1', [server.port]);
    await server.accepted();
    const cport = client.localPorts[0]!;
    const [c, s, lo] = [client.pid, server.pid, '127.0.0.1'];
    await run.waitFor(row('C', c, CLIENT_COMM, 4, lo, lo, cport, server.port));
    await run.waitFor(row('A', s, SERVER_COMM, 4, lo, lo, server.port, cport));
    await run.waitFor(row('X', c, CLIENT_COMM, 4, lo, lo, cport, server.port));
    // The server closes its end once it has read the client's FIN.
    await run.waitFor(row('X', s, SERVER_COMM, 4, lo, lo, server.port, cport));
  } finally {
    server.kill();
    const r = await run.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});

kernelTest('tcptracer -p keeps one process; an aborted (RST) IPv6 close names the connecting client', async () => {
  const server = await listen('::1');
  const onlyServer = startTool('tcptracer', ['-p', String(server.pid)]);
  const json = startTool('tcptracer', ['--json']);
  try {
    await onlyServer.waitFor(/^T\s+PID\s+COMM/m);
    // --json has no header: connect until the client's connect shows.
    let client: Awaited<ReturnType<typeof connect>> | undefined;
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      const attempt = await connect('::1', [server.port], { abort: true });
      await server.accepted();
      await new Promise((r) => setTimeout(r, 200));
      if (json.stdout().includes(`"pid":${attempt.pid},`)) {
        client = attempt;
        break;
      }
    }
    assert.ok(client, `no JSON record:\n${json.stdout()}\n${json.stderr()}`);
    const records = json.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const cport = client.localPorts[0];
    const mine = records.filter((r) => r.sport === cport || r.dport === cport);
    const connectRec = mine.find((r) => r.type === 'connect');
    assert.ok(connectRec, JSON.stringify(mine));
    assert.equal(connectRec.pid, client.pid);
    assert.equal(connectRec.ip, 6);
    assert.equal(connectRec.saddr, '::1');
    assert.equal(connectRec.dport, server.port);
    // SO_LINGER 0: close() sends RST, the socket goes straight to CLOSE; the client is named.
    await json.waitFor(new RegExp(`"type":"close","pid":${client.pid},[^\\n]*"sport":${cport},"dport":${server.port}`));
    // The server's own tracer: its accept shows; the client's connect does not.
    await onlyServer.waitFor(new RegExp(`^A ${server.pid}\\s+${SERVER_COMM}\\s+6\\s+::1\\s+::1\\s+${server.port}\\s+${cport}$`, 'm'));
    assert.doesNotMatch(onlyServer.stdout(), /^C /m);
  } finally {
    server.kill();
    await onlyServer.stop();
    const r = await json.stop();
    assert.equal(r.code, 0, r.stderr);
  }
});
