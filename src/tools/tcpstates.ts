// tcpstates: every TCP state change with the time spent in the old state, as libbpf-tools' tcpstates prints it.
// One tp_btf program on inet_sock_set_state(sk, oldstate, newstate); a hash map keyed by the socket address keeps
// when each socket entered its current state.
import { program, FP, R0, R1, R2, R3, R4, R6, R7, R8, R9 } from '../isa/builder.js';
import { Helper } from '../isa/helpers.js';
import { UpdateFlags } from '../sys/constants.js';
import { ToolSession } from './framework/session.js';
import { emitReserve, emitSubmitOrDiscard } from './framework/lost.js';
import { defineTool } from './framework/tool.js';
import { bootTimeOffsetNs, comm, formatClock } from './framework/format.js';
import { emitEndpoint, emitEndpointFilter, perSocketMap, setStateSpec, sockOffsets, type EndpointFilter } from './tcp/sock.js';
import { endpointFilter, endpointFlags, readEndpoint, type EndpointOptions } from './tcp/format.js';
import { IPPROTO_TCP, TCP, tcpStateName } from './tcp/states.js';

// Record: u64 ktime, u64 skaddr, u64 ns in old state, u32 pid, u8 oldstate, u8 newstate, 2 pad, comm[16],
// endpoint block (40).
const REC = { ts: 0, skaddr: 8, delta: 16, pid: 24, oldstate: 28, newstate: 29, comm: 32, endpoint: 48, size: 88 };

function buildSpec(filter: EndpointFilter) {
  const o = sockOffsets();
  const b = program();
  b.ldx('dw', R6, R1, 0); // sk
  b.ldx('dw', R7, R1, 8).mov32(R7, R7); // oldstate
  b.ldx('dw', R8, R1, 16).mov32(R8, R8); // newstate
  b.ldx('h', R0, R6, o.protocol).jne(R0, IPPROTO_TCP, 'out');
  b.stx('dw', FP, -8, R6); // map key: the socket address
  b.call(Helper.ktime_get_ns).stx('dw', FP, -16, R0);
  b.st('dw', FP, -24, 0); // time in the old state: 0 when we did not see the socket enter it
  b.loadMap(R1, 'entered').mov(R2, FP).add(R2, -8).call(Helper.map_lookup_elem);
  b.jeq(R0, 0, 'no_entry');
  b.ldx('dw', R1, R0, 0).ldx('dw', R2, FP, -16).sub(R2, R1).stx('dw', FP, -24, R2);
  b.label('no_entry');
  b.jeq(R8, TCP.CLOSE, 'forget');
  b.loadMap(R1, 'entered').mov(R2, FP).add(R2, -8).mov(R3, FP).add(R3, -16).mov(R4, UpdateFlags.ANY).call(Helper.map_update_elem);
  b.ja('emit');
  b.label('forget');
  b.loadMap(R1, 'entered').mov(R2, FP).add(R2, -8).call(Helper.map_delete_elem);
  b.label('emit');
  emitReserve(b, REC.size, 'out');
  b.mov(R9, R0);
  emitEndpoint(b, o, R6, R9, REC.endpoint);
  emitEndpointFilter(b, R9, REC.endpoint, filter, 'discard');
  b.ldx('dw', R0, FP, -16).stx('dw', R9, REC.ts, R0);
  b.stx('dw', R9, REC.skaddr, R6);
  b.ldx('dw', R0, FP, -24).stx('dw', R9, REC.delta, R0);
  b.stx('b', R9, REC.oldstate, R7).stx('b', R9, REC.newstate, R8);
  b.call(Helper.get_current_pid_tgid).rsh(R0, 32).stx('w', R9, REC.pid, R0);
  b.mov(R1, R9).add(R1, REC.comm).mov(R2, 16).call(Helper.get_current_comm);
  emitSubmitOrDiscard(b, R9, 'discard', 'out');
  b.label('out').mov(R0, 0).exit();
  return setStateSpec(b, { entered: perSocketMap('entered', 8) });
}

interface Options extends EndpointOptions {
  timestamp?: boolean;
  wide?: boolean;
}

export default defineTool<Options>({
  name: 'tcpstates',
  summary: 'trace TCP session state changes and durations',
  examples: [
    'bpfkit tcpstates          # trace all TCP state changes',
    'bpfkit tcpstates -T       # include timestamps',
    'bpfkit tcpstates -L 80    # only trace local port 80',
    'bpfkit tcpstates -D 80    # only trace remote port 80',
  ],
  configure(command) {
    endpointFlags(command, 'trace IPv4 family only', 'trace IPv6 family only')
      .option('-T, --timestamp', 'include timestamp on output')
      .option('-w, --wide', 'wide column output (fits IPv6 addresses)');
  },
  async run(options, _args, ctx) {
    const session = new ToolSession(ctx, buildSpec(endpointFilter(options)));
    const offset = bootTimeOffsetNs();
    const wide = options.wide === true;
    const addrWidth = wide ? 26 : 15;
    session.reportLost();
    session.ringbuf('events', (r) => {
      const ep = readEndpoint(r, REC.endpoint);
      const ns = r.getBigUint64(REC.ts, true);
      const skaddr = r.getBigUint64(REC.skaddr, true).toString(16);
      const pid = r.getUint32(REC.pid, true);
      const name = comm(r, REC.comm);
      const oldstate = tcpStateName(r.getUint8(REC.oldstate));
      const newstate = tcpStateName(r.getUint8(REC.newstate));
      const ms = Number(r.getBigUint64(REC.delta, true)) / 1e6;
      if (ctx.json) {
        ctx.writeJson({ time: Number(ns + offset) / 1e9, skaddr, pid, comm: name, ip: ep.ipVersion, laddr: ep.laddr, lport: ep.lport, raddr: ep.raddr, rport: ep.rport, oldstate, newstate, ms });
        return;
      }
      ctx.write(
        (options.timestamp ? `${formatClock(ns + offset)} ` : '') +
          `${skaddr.padEnd(16)} ${String(pid).padEnd(7)} ${(wide ? name : name.slice(0, 10)).padEnd(wide ? 16 : 10)} ` +
          (wide ? `${String(ep.ipVersion).padEnd(2)} ` : '') +
          `${ep.laddr.padEnd(addrWidth)} ${String(ep.lport).padEnd(5)} ${ep.raddr.padEnd(addrWidth)} ${String(ep.rport).padEnd(5)} ` +
          `${oldstate.padEnd(11)} -> ${newstate.padEnd(11)} ${ms.toFixed(3)}\n`,
      );
    });
    session.tpBtf('set_state', 'inet_sock_set_state');
    if (!ctx.json) {
      ctx.write(
        (options.timestamp ? `${'TIME(s)'.padEnd(8)} ` : '') +
          `${'SKADDR'.padEnd(16)} ${'PID'.padEnd(7)} ${'COMM'.padEnd(wide ? 16 : 10)} ` +
          (wide ? `${'IP'.padEnd(2)} ` : '') +
          `${'LADDR'.padEnd(addrWidth)} ${'LPORT'.padEnd(5)} ${'RADDR'.padEnd(addrWidth)} ${'RPORT'.padEnd(5)} ` +
          `${'OLDSTATE'.padEnd(11)} -> ${'NEWSTATE'.padEnd(11)} MS\n`,
      );
    }
    await ctx.stopped;
  },
});
