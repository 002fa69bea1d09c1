// tcplife: one line per TCP session when it closes (who, endpoints, bytes each way, lifespan), as libbpf-tools'
// tcplife prints it. One tp_btf program on inet_sock_set_state(sk, oldstate, newstate): the socket is born when it
// enters SYN_SENT or SYN_RECV (or ESTABLISHED, if we missed those); the process is remembered at connect() (SYN_SENT) or, for
// accepted sockets, at the close() that starts the teardown (FIN_WAIT1 / LAST_ACK); on CLOSE the byte counters of
// struct tcp_sock are read and the session is reported.
import { program, FP, R0, R1, R2, R3, R4, R6, R7, R8, R9 } from '../isa/builder.js';
import { Helper } from '../isa/helpers.js';
import { UpdateFlags } from '../sys/constants.js';
import { ToolSession } from './framework/session.js';
import { emitReserve, emitSubmitOrDiscard } from './framework/lost.js';
import { defineTool, positiveInt } from './framework/tool.js';
import { bootTimeOffsetNs, comm, formatClock } from './framework/format.js';
import { kernelOffset } from './framework/kernel-types.js';
import { emitEndpoint, emitEndpointFilter, perSocketMap, setStateSpec, sockOffsets, type EndpointFilter } from './tcp/sock.js';
import { endpointFilter, endpointFlags, readEndpoint, type EndpointOptions } from './tcp/format.js';
import { IPPROTO_TCP, TCP } from './tcp/states.js';

// Record: u64 ktime at close, u64 lifespan ns, u64 tx bytes, u64 rx bytes, u32 pid, 4 pad, comm[16], endpoint (40).
const REC = { ts: 0, span: 8, tx: 16, rx: 24, pid: 32, comm: 40, endpoint: 56, size: 96 };
// Who owns a socket (map value, on the stack at FP-40): u32 pid, 4 pad, comm[16].
const IDENT = { at: -40, size: 24 };

function buildSpec(filter: EndpointFilter, pid: number | undefined) {
  const o = sockOffsets();
  const bytesAcked = kernelOffset('tcp_sock', 'bytes_acked');
  const bytesReceived = kernelOffset('tcp_sock', 'bytes_received');
  const b = program();
  b.ldx('dw', R6, R1, 0); // sk
  b.ldx('dw', R8, R1, 16).mov32(R8, R8); // newstate
  b.ldx('h', R0, R6, o.protocol).jne(R0, IPPROTO_TCP, 'out');
  b.stx('dw', FP, -8, R6); // map key: the socket address
  b.jeq(R8, TCP.CLOSE, 'close');
  b.jgt(R8, TCP.SYN_RECV, 'ident');
  // SYN_SENT (connect) and SYN_RECV (a new child of a listener) start a session: overwrite whatever a socket
  // that lived at this address before left behind. ESTABLISHED only fills in a birth we missed (NOEXIST).
  b.mov(R9, UpdateFlags.NOEXIST).jeq(R8, TCP.ESTABLISHED, 'born');
  b.mov(R9, UpdateFlags.ANY);
  b.jne(R8, TCP.SYN_RECV, 'born');
  b.loadMap(R1, 'idents').mov(R2, FP).add(R2, -8).call(Helper.map_delete_elem);
  b.label('born');
  b.call(Helper.ktime_get_ns).stx('dw', FP, -16, R0);
  b.loadMap(R1, 'birth').mov(R2, FP).add(R2, -8).mov(R3, FP).add(R3, -16).mov(R4, R9).call(Helper.map_update_elem);
  b.label('ident');
  b.jeq(R8, TCP.SYN_SENT, 'save_ident').jeq(R8, TCP.FIN_WAIT1, 'save_ident').jeq(R8, TCP.LAST_ACK, 'save_ident').ja('out');
  b.label('save_ident');
  b.call(Helper.get_current_pid_tgid).rsh(R0, 32).stx('w', FP, IDENT.at, R0).st('w', FP, IDENT.at + 4, 0);
  b.mov(R1, FP).add(R1, IDENT.at + 8).mov(R2, 16).call(Helper.get_current_comm);
  // connect() names the owner afresh; a close() only names it if nobody did (accepted sockets).
  b.mov(R4, UpdateFlags.NOEXIST).jne(R8, TCP.SYN_SENT, 'store_ident').mov(R4, UpdateFlags.ANY).label('store_ident');
  b.loadMap(R1, 'idents').mov(R2, FP).add(R2, -8).mov(R3, FP).add(R3, IDENT.at).call(Helper.map_update_elem);
  b.ja('out');

  b.label('close');
  b.loadMap(R1, 'birth').mov(R2, FP).add(R2, -8).call(Helper.map_lookup_elem);
  b.jeq(R0, 0, 'forget').mov(R7, R0);
  emitReserve(b, REC.size, 'forget');
  b.mov(R9, R0);
  b.call(Helper.ktime_get_ns).stx('dw', R9, REC.ts, R0);
  b.ldx('dw', R1, R7, 0).sub(R0, R1).stx('dw', R9, REC.span, R0);
  b.loadMap(R1, 'idents').mov(R2, FP).add(R2, -8).call(Helper.map_lookup_elem);
  b.jeq(R0, 0, 'ident_now');
  b.ldx('w', R1, R0, 0).stx('w', R9, REC.pid, R1);
  b.ldx('dw', R1, R0, 8).stx('dw', R9, REC.comm, R1);
  b.ldx('dw', R1, R0, 16).stx('dw', R9, REC.comm + 8, R1);
  b.ja('counters');
  b.label('ident_now'); // a socket we did not see open: whoever is closing it
  b.call(Helper.get_current_pid_tgid).rsh(R0, 32).stx('w', R9, REC.pid, R0);
  b.mov(R1, R9).add(R1, REC.comm).mov(R2, 16).call(Helper.get_current_comm);
  b.label('counters');
  // bytes_acked/bytes_received live in struct tcp_sock, past what a BTF `struct sock *` load may reach.
  for (const [at, field] of [[REC.tx, bytesAcked], [REC.rx, bytesReceived]] as const) {
    b.mov(R1, R9).add(R1, at).mov(R2, 8).mov(R3, R6).add(R3, field).call(Helper.probe_read_kernel);
  }
  emitEndpoint(b, o, R6, R9, REC.endpoint);
  emitEndpointFilter(b, R9, REC.endpoint, filter, 'discard');
  if (pid !== undefined) b.ldx('w', R0, R9, REC.pid).jne(R0, pid, 'discard');
  emitSubmitOrDiscard(b, R9, 'discard', 'forget');
  b.label('forget');
  b.loadMap(R1, 'birth').mov(R2, FP).add(R2, -8).call(Helper.map_delete_elem);
  b.loadMap(R1, 'idents').mov(R2, FP).add(R2, -8).call(Helper.map_delete_elem);
  b.label('out').mov(R0, 0).exit();
  return setStateSpec(b, { birth: perSocketMap('birth', 8), idents: perSocketMap('idents', IDENT.size) });
}

interface Options extends EndpointOptions {
  pid?: number;
  time?: boolean;
  timestamp?: boolean;
  wide?: boolean;
}

export default defineTool<Options>({
  name: 'tcplife',
  summary: 'trace the lifespan of TCP sessions and summarize',
  examples: ['bpfkit tcplife -p 1215             # only trace PID 1215', 'bpfkit tcplife -p 1215 -4          # trace IPv4 only', 'bpfkit tcplife -L 80,81            # only sessions on local ports 80 and 81'],
  configure(command) {
    endpointFlags(command, 'trace IPv4 only', 'trace IPv6 only')
      .option('-p, --pid <pid>', 'process ID to trace', positiveInt('pid'))
      .option('-T, --time', 'include timestamp on output (HH:MM:SS)')
      .option('-t, --timestamp', 'include a timestamp column (seconds since the first session)')
      .option('-w, --wide', 'wide column output (fits IPv6 addresses)');
  },
  async run(options, _args, ctx) {
    const session = new ToolSession(ctx, buildSpec(endpointFilter(options), options.pid));
    const offset = bootTimeOffsetNs();
    const addrWidth = options.wide ? 26 : 15;
    let firstNs: bigint | undefined;
    session.reportLost();
    session.ringbuf('events', (r) => {
      const ns = r.getBigUint64(REC.ts, true);
      firstNs ??= ns;
      const ep = readEndpoint(r, REC.endpoint);
      const pid = r.getUint32(REC.pid, true);
      const name = comm(r, REC.comm);
      const txKb = Number(r.getBigUint64(REC.tx, true)) / 1024;
      const rxKb = Number(r.getBigUint64(REC.rx, true)) / 1024;
      const ms = Number(r.getBigUint64(REC.span, true)) / 1e6;
      if (ctx.json) {
        ctx.writeJson({ time: Number(ns + offset) / 1e9, pid, comm: name, ip: ep.ipVersion, laddr: ep.laddr, lport: ep.lport, raddr: ep.raddr, rport: ep.rport, tx_bytes: r.getBigUint64(REC.tx, true), rx_bytes: r.getBigUint64(REC.rx, true), ms });
        return;
      }
      ctx.write(
        (options.time ? `${formatClock(ns + offset)} ` : '') +
          (options.timestamp ? `${(Number(ns - firstNs) / 1e9).toFixed(6).padEnd(9)} ` : '') +
          `${String(pid).padEnd(7)} ${name.padEnd(16)} ${ep.laddr.padEnd(addrWidth)} ${String(ep.lport).padEnd(5)} ` +
          `${ep.raddr.padEnd(addrWidth)} ${String(ep.rport).padEnd(5)} ${txKb.toFixed(2).padEnd(6)} ${rxKb.toFixed(2).padEnd(6)} ${ms.toFixed(2)}\n`,
      );
    });
    session.tpBtf('set_state', 'inet_sock_set_state');
    if (!ctx.json) {
      ctx.write(
        (options.time ? `${'TIME(s)'.padEnd(8)} ` : '') +
          (options.timestamp ? `${'TIME(s)'.padEnd(9)} ` : '') +
          `${'PID'.padEnd(7)} ${'COMM'.padEnd(16)} ${'LADDR'.padEnd(addrWidth)} ${'LPORT'.padEnd(5)} ` +
          `${'RADDR'.padEnd(addrWidth)} ${'RPORT'.padEnd(5)} ${'TX_KB'.padEnd(6)} ${'RX_KB'.padEnd(6)} MS\n`,
      );
    }
    await ctx.stopped;
  },
});
