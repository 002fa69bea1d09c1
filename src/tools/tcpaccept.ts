// tcpaccept: passive TCP connections (accept()), as BCC's tcpaccept shows them: the accepting task, the remote
// and the local end. See net/accept.ts for how the accepted socket is found without kprobes.
import { program, R0 } from '../isa/builder.js';
import type { CollectionSpec } from '../spec/collection.js';
import { ToolSession, tpBtfProgram } from './framework/session.js';
import { defineTool, nonNegativeInt, positiveInt } from './framework/tool.js';
import { bootTimeOffsetNs, formatClock } from './framework/format.js';
import { emitAcceptRecord } from './net/accept.js';
import { emitSubmit, eventMaps, leadingColumns, leadingHeader, onConnection, RelativeSeconds } from './net/connection.js';
import { portList } from './net/ports.js';
import { familyOption } from './tcp/format.js';

interface Options {
  time?: boolean;
  timestamp?: boolean;
  pid?: number;
  uid?: number;
  port?: number[];
  ipv4?: boolean;
  ipv6?: boolean;
  printUid?: boolean;
}

function buildSpec(o: Options): CollectionSpec {
  const b = program();
  const rec = emitAcceptRecord(b, { pid: o.pid, uid: o.uid, localPorts: o.port, family: familyOption(o) }, 'out');
  emitSubmit(b, rec);
  b.label('out').mov(R0, 0).exit();
  return { maps: eventMaps(), programs: { tcp_accept: tpBtfProgram('tcp_accept', 'sys_exit', b.build()) } };
}

export default defineTool<Options>({
  name: 'tcpaccept',
  summary: 'trace passive TCP connections (accept())',
  examples: [
    'bpfkit tcpaccept             # trace all TCP accept()s',
    'bpfkit tcpaccept -t          # include timestamps',
    'bpfkit tcpaccept -P 80,81    # only trace local ports 80 and 81',
    'bpfkit tcpaccept -p 181      # only trace PID 181',
    'bpfkit tcpaccept -4          # only trace IPv4',
  ],
  configure(command) {
    command
      .option('-T, --time', 'include a time column on output (HH:MM:SS)')
      .option('-t, --timestamp', 'include a timestamp (seconds since the first accept) on output')
      .option('-p, --pid <PID>', 'only trace this process ID', positiveInt('pid'))
      .option('-P, --port <PORTS>', 'comma-separated list of local ports to trace', portList)
      .option('-U, --print-uid', 'include the UID on output')
      .option('-u, --uid <UID>', 'only trace this UID', nonNegativeInt('uid'))
      .option('-4, --ipv4', 'trace IPv4 only')
      .option('-6, --ipv6', 'trace IPv6 only');
  },
  async run(options, _args, ctx) {
    const session = new ToolSession(ctx, buildSpec(options));
    const offset = bootTimeOffsetNs();
    const clock = new RelativeSeconds();
    onConnection(session, (c) => {
      if (ctx.json) {
        ctx.writeJson({
          time: Number(c.ktimeNs + offset) / 1e9, pid: c.pid, uid: c.uid, comm: c.comm, ip: c.ip,
          raddr: c.raddr, rport: c.rport, laddr: c.laddr, lport: c.lport,
        });
        return;
      }
      let line = options.time ? formatClock(c.ktimeNs + offset).padEnd(9) : '';
      line += leadingColumns(options, clock, c);
      line += `${String(c.pid).padEnd(7)} ${c.comm.slice(0, 12).padEnd(12)} ${String(c.ip).padEnd(2)} `;
      ctx.write(`${line}${c.raddr.padEnd(16)} ${String(c.rport).padEnd(5)} ${c.laddr.padEnd(16)} ${c.lport}\n`);
    });
    session.tpBtf('tcp_accept', 'sys_exit');
    if (!ctx.json) {
      let header = options.time ? 'TIME'.padEnd(9) : '';
      header += leadingHeader(options);
      ctx.write(`${header}${'PID'.padEnd(7)} ${'COMM'.padEnd(12)} IP ${'RADDR'.padEnd(16)} RPORT ${'LADDR'.padEnd(16)} LPORT\n`);
    }
    await ctx.stopped;
  },
});
