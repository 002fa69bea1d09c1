// tcpconnect: active TCP connections (connect()), as BCC's and libbpf-tools' tcpconnect show them. Without kprobes
// on tcp_v[46]_connect we watch the socket state change CLOSE -> SYN_SENT (tp_btf inet_sock_set_state), which the
// kernel makes inside connect(), in the connecting task: pid, comm and uid are the caller's.
// The source port is chosen just after that change, so with -s/-L the record waits (per socket) for the socket to
// leave SYN_SENT (handshake done or failed) and is sent then.
import { statfsSync, statSync } from 'node:fs';
import { FP, program, R0, R1, R2, R3, R4, R7, R8, R9, type ProgramBuilder } from '../isa/builder.js';
import { Helper } from '../isa/helpers.js';
import type { CollectionSpec } from '../spec/collection.js';
import { ToolSession, tpBtfProgram } from './framework/session.js';
import { defineTool, nonNegativeInt, positiveInt, ToolUsageError, type ToolContext } from './framework/tool.js';
import { bootTimeOffsetNs } from './framework/format.js';
import {
  at, decodeFlowKey, emitAddress, emitCountFlow, emitInetSport, emitSockFields, emitSubmit, emitTaskFields, emitTaskFilter,
  emitTcpStateArgs, emitZero, eventMaps, FLOWS_MAP, leadingColumns, leadingHeader, onConnection, REC, RelativeSeconds, socketMap,
  TCP, type Place, type TaskColumnOptions,
} from './net/connection.js';
import { networkOrderPort, portList } from './net/ports.js';

interface Options extends TaskColumnOptions {
  port?: number[];
  count?: boolean;
  sourcePort?: boolean;
  lport?: boolean;
  cgroup?: string;
}

const PENDING = 'pending';

const CGROUP2_SUPER_MAGIC = 0x63677270;

/** The id bpf_get_current_cgroup_id() returns for tasks in cgroup v2 directory `path`: its inode number. */
function cgroupId(path: string): bigint {
  let isCgroup2: boolean;
  try {
    isCgroup2 = statfsSync(path).type === CGROUP2_SUPER_MAGIC && statSync(path).isDirectory();
  } catch (err) {
    throw new ToolUsageError(`--cgroup ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (!isCgroup2) throw new ToolUsageError(`--cgroup ${path}: not a cgroup v2 directory`);
  return statSync(path, { bigint: true }).ino;
}

function buildSpec(o: Options, cgroup: bigint | undefined): CollectionSpec {
  const waitForPort = o.sourcePort === true || (o.lport === true && !o.count);
  const rec: Place = { reg: FP, off: -REC.size };
  const key: Place = { reg: FP, off: -REC.size - 8 };
  const b = program();
  emitTcpStateArgs(b, 'out');
  b.jmp32('jne', R8, TCP.CLOSE, 'not_connect').jmp32('jeq', R9, TCP.SYN_SENT, 'connect');
  b.label('not_connect');
  if (waitForPort) b.jmp32('jeq', R8, TCP.SYN_SENT, 'left_syn_sent');
  b.ja('out');

  // connect(): the caller's task, the socket's addresses (the source port is not chosen yet).
  b.label('connect');
  if (cgroup !== undefined) b.call(Helper.get_current_cgroup_id).lddw(R1, cgroup).jne(R0, R1, 'out');
  emitZero(b, rec, REC.size);
  emitTaskFields(b, rec);
  emitTaskFilter(b, rec, o, R1, 'out');
  emitSockFields(b, { reg: R7, off: 0 }, rec, R1);
  if (o.port?.length) {
    b.ldx('h', R1, rec.reg, rec.off + REC.rport);
    for (const p of o.port) b.jeq(R1, networkOrderPort(p), 'port_ok');
    b.ja('out');
    b.label('port_ok');
  }
  if (waitForPort) {
    b.stx('dw', key.reg, key.off, R7);
    b.loadMap(R1, PENDING);
    emitAddress(b, R2, key);
    emitAddress(b, R3, rec);
    b.mov(R4, 0).call(Helper.map_update_elem);
    b.ja('out');
  } else {
    b.st('h', rec.reg, rec.off + REC.lport, 0); // only set if the socket was bound: keep flows per address
    emitSink(b, o, rec, key);
    b.ja('out');
  }

  if (waitForPort) {
    // The socket leaves SYN_SENT (established, refused or timed out): its source port is known now.
    b.label('left_syn_sent');
    b.stx('dw', key.reg, key.off, R7);
    b.loadMap(R1, PENDING);
    emitAddress(b, R2, key);
    b.call(Helper.map_lookup_elem).jeq(R0, 0, 'out').mov(R8, R0);
    emitInetSport(b, R7, { reg: R8, off: 0 }, 'forget');
    emitSink(b, o, { reg: R8, off: 0 }, at(rec, 0));
    b.label('forget');
    b.loadMap(R1, PENDING);
    emitAddress(b, R2, key);
    b.call(Helper.map_delete_elem);
  }
  b.label('out').mov(R0, 0).exit();

  const maps: CollectionSpec['maps'] = o.count ? {} : eventMaps();
  if (o.count) maps[FLOWS_MAP.name] = FLOWS_MAP;
  if (waitForPort) maps[PENDING] = socketMap(PENDING);
  return { maps, programs: { tcp_connect: tpBtfProgram('tcp_connect', 'inet_sock_set_state', b.build()) } };
}

/** Where a finished record goes: counted per flow (-c) or sent to user space. */
function emitSink(b: ProgramBuilder, o: Options, rec: Place, scratch: Place): void {
  if (o.count) emitCountFlow(b, rec, scratch);
  else emitSubmit(b, rec);
}

export default defineTool<Options>({
  name: 'tcpconnect',
  summary: 'trace active TCP connections (connect())',
  examples: [
    'bpfkit tcpconnect             # trace all TCP connect()s',
    'bpfkit tcpconnect -t          # include timestamps',
    'bpfkit tcpconnect -p 181      # only trace PID 181',
    'bpfkit tcpconnect -P 80,81    # only trace ports 80 and 81',
    'bpfkit tcpconnect -U          # include UID',
    'bpfkit tcpconnect -u 1000     # only trace UID 1000',
    'bpfkit tcpconnect -c          # count connects per source address, destination address and port',
    'bpfkit tcpconnect -L          # include the local (source) port',
    'bpfkit tcpconnect --cgroup /sys/fs/cgroup/unified/system.slice   # only trace this cgroup',
  ],
  configure(command) {
    command
      .option('-t, --timestamp', 'include a timestamp (seconds since the first connect) on output')
      .option('-p, --pid <PID>', 'only trace this process ID', positiveInt('pid'))
      .option('-P, --port <PORTS>', 'comma-separated list of destination ports to trace', portList)
      .option('-U, --print-uid', 'include the UID on output')
      .option('-u, --uid <UID>', 'only trace this UID', nonNegativeInt('uid'))
      .option('-c, --count', 'count connects per source address and destination address/port; print at Ctrl-C')
      .option('-s, --source-port', 'include the source port on output (SPORT) and when counting')
      .option('-L, --lport', 'include the local port (LPORT column after SADDR, as BCC prints it)')
      .option('--cgroup <PATH>', 'only trace processes in this cgroup v2 directory (e.g. /sys/fs/cgroup/unified/user.slice)');
  },
  async run(options, _args, ctx) {
    const session = new ToolSession(ctx, buildSpec(options, options.cgroup !== undefined ? cgroupId(options.cgroup) : undefined));
    if (options.count) return countConnects(options, session, ctx);
    const offset = bootTimeOffsetNs();
    const clock = new RelativeSeconds();
    const showSport = options.sourcePort === true;
    onConnection(session, (c) => {
      if (ctx.json) {
        ctx.writeJson({
          time: Number(c.ktimeNs + offset) / 1e9, pid: c.pid, uid: c.uid, comm: c.comm, ip: c.ip, saddr: c.laddr,
          daddr: c.raddr, ...(options.sourcePort || options.lport ? { sport: c.lport } : {}), dport: c.rport,
        });
        return;
      }
      let line = leadingColumns(options, clock, c);
      line += `${String(c.pid).padEnd(6)} ${c.comm.slice(0, 12).padEnd(12)} ${String(c.ip).padEnd(2)} ${c.laddr.padEnd(16)}`;
      if (options.lport) line += ` ${String(c.lport).padEnd(6)}`;
      line += ` ${c.raddr.padEnd(16)}`;
      if (showSport) line += ` ${String(c.lport).padEnd(5)}`;
      ctx.write(`${line} ${c.rport}\n`);
    });
    session.tpBtf('tcp_connect', 'inet_sock_set_state');
    if (!ctx.json) {
      let header = leadingHeader(options);
      header += `${'PID'.padEnd(6)} ${'COMM'.padEnd(12)} IP ${'SADDR'.padEnd(16)}`;
      if (options.lport) header += ` ${'LPORT'.padEnd(6)}`;
      header += ` ${'DADDR'.padEnd(16)}`;
      if (showSport) header += ` ${'SPORT'.padEnd(5)}`;
      ctx.write(`${header} DPORT\n`);
    }
    await ctx.stopped;
  },
});

async function countConnects(options: Options, session: ToolSession, ctx: ToolContext): Promise<void> {
  session.tpBtf('tcp_connect', 'inet_sock_set_state');
  if (!ctx.json) ctx.write('Tracing connect ... Hit Ctrl-C to end\n');
  // Nothing else holds the event loop open while the kernel counts: a long sleep does, until Ctrl-C.
  while (!(await ctx.sleep(2 ** 31 - 1)));
  const flows: Array<ReturnType<typeof decodeFlowKey> & { connects: number }> = [];
  for (const [key, value] of session.map(FLOWS_MAP.name).entries()) {
    flows.push({ ...decodeFlowKey(key), connects: Number(new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0, true)) });
  }
  flows.sort((a, b) => b.connects - a.connects);
  if (ctx.json) {
    for (const f of flows) {
      ctx.writeJson({ ip: f.ip, saddr: f.laddr, daddr: f.raddr, ...(options.sourcePort ? { sport: f.lport } : {}), dport: f.rport, connects: f.connects });
    }
    return;
  }
  let out = `\n${'LADDR'.padEnd(25)} ${'RADDR'.padEnd(25)}`;
  if (options.sourcePort) out += ` ${'LPORT'.padEnd(20)}`;
  out += ` ${'RPORT'.padEnd(20)} CONNECTS\n`;
  for (const f of flows) {
    out += `${f.laddr.padEnd(25)} ${f.raddr.padEnd(25)}`;
    if (options.sourcePort) out += ` ${String(f.lport).padEnd(20)}`;
    out += ` ${String(f.rport).padEnd(20)} ${f.connects}\n`;
  }
  ctx.write(out);
}
