// tcpretrans: TCP retransmits with addresses, ports and state, as BCC's tcpretrans prints them; -c counts them per
// flow instead, -l adds tail loss probes. One tp_btf program on tcp_retransmit_skb(sk, skb, err).
import { program, FP, R0, R1, R2, R3, R6, R7, R8, R9 } from '../isa/builder.js';
import { Helper } from '../isa/helpers.js';
import { MapType } from '../sys/constants.js';
import type { CollectionSpec, MapSpec } from '../spec/collection.js';
import { ToolSession, tpBtfProgram } from './framework/session.js';
import { emitReserve, emitSubmitOrDiscard, ringbufMaps } from './framework/lost.js';
import { defineTool } from './framework/tool.js';
import { bootTimeOffsetNs, formatClock } from './framework/format.js';
import { kernelOffset } from './framework/kernel-types.js';
import { ENDPOINT, emitEndpoint, emitEndpointFilter, sockOffsets, type EndpointFilter } from './tcp/sock.js';
import { familyOption, readEndpoint, type Endpoint } from './tcp/format.js';
import { emitLossProbeCheck } from './tcp/loss-probe.js';
import { tcpStateName } from './tcp/states.js';
import { emitCount } from './framework/kit.js';

// Record: u64 ktime, u32 pid, u8 state, u8 type (1 retransmit, 2 loss probe), 2 pad, u32 seq, 4 pad, endpoint (40).
const REC = { ts: 0, pid: 8, state: 12, type: 13, seq: 16, endpoint: 24, size: 64 };
const TYPE_RETRANSMIT = 1;
const TYPE_LOSS_PROBE = 2;
// Count mode: the flow key (an endpoint block) on the stack, the initial count below it.
const KEY_AT = -48;
const ONE_AT = -56;

interface Options {
  lossprobe?: boolean;
  count?: boolean;
  sequence?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
}

function buildSpec(opts: Options, filter: EndpointFilter): CollectionSpec {
  const o = sockOffsets();
  const b = program();
  b.ldx('dw', R6, R1, 0); // sk
  b.ldx('dw', R7, R1, 8); // skb
  b.ldx('dw', R0, R1, 16).mov32(R0, R0).jne(R0, 0, 'out'); // err: the segment did not go out
  b.mov(R8, TYPE_RETRANSMIT);
  emitLossProbeCheck(b, R6, -2, 'loss_probe');
  b.ja('classified');
  b.label('loss_probe');
  if (!opts.lossprobe) b.ja('out');
  b.mov(R8, TYPE_LOSS_PROBE);
  b.label('classified');
  if (opts.count) {
    emitEndpoint(b, o, R6, FP, KEY_AT);
    emitEndpointFilter(b, FP, KEY_AT, filter, 'out');
    emitCount(b, 'counts', { reg: FP, off: KEY_AT }, { reg: FP, off: ONE_AT });
    b.ja('out');
  } else {
    emitReserve(b, REC.size, 'out');
    b.mov(R9, R0);
    emitEndpoint(b, o, R6, R9, REC.endpoint);
    emitEndpointFilter(b, R9, REC.endpoint, filter, 'discard');
    b.call(Helper.ktime_get_ns).stx('dw', R9, REC.ts, R0);
    b.call(Helper.get_current_pid_tgid).rsh(R0, 32).stx('w', R9, REC.pid, R0);
    b.ldx('b', R0, R6, o.state).stx('b', R9, REC.state, R0);
    b.stx('b', R9, REC.type, R8);
    b.st('w', R9, REC.seq, 0);
    if (opts.sequence) {
      // TCP_SKB_CB(skb)->seq: the control block lives in skb->cb.
      const seq = kernelOffset('sk_buff', 'cb') + kernelOffset('tcp_skb_cb', 'seq');
      b.mov(R1, R9).add(R1, REC.seq).mov(R2, 4).mov(R3, R7).add(R3, seq).call(Helper.probe_read_kernel);
    }
    emitSubmitOrDiscard(b, R9, 'discard', 'out');
  }
  b.label('out').mov(R0, 0).exit();
  const maps: Record<string, MapSpec> = opts.count
    ? { counts: { name: 'counts', type: MapType.HASH, keySize: ENDPOINT.size, valueSize: 8, maxEntries: 10240 } }
    : ringbufMaps(256 * 1024);
  return { maps, programs: { retransmit: tpBtfProgram('retransmit', 'tcp_retransmit_skb', b.build({ dropUnreachable: true })) } };
}

const local = (e: Endpoint) => `${e.laddr}:${e.lport}`;
const remote = (e: Endpoint) => `${e.raddr}:${e.rport}`;

export default defineTool<Options>({
  name: 'tcpretrans',
  summary: 'trace TCP retransmits (and tail loss probes), or count them per flow',
  examples: [
    'bpfkit tcpretrans         # trace TCP retransmits',
    'bpfkit tcpretrans -l      # include tail loss probes',
    'bpfkit tcpretrans -c      # count retransmits per flow, print at Ctrl-C',
    'bpfkit tcpretrans -4      # trace IPv4 family only',
  ],
  configure(command) {
    command
      .option('-s, --sequence', 'display TCP sequence numbers')
      .option('-l, --lossprobe', 'include tail loss probes that resend the last segment (L> rows)')
      .option('-c, --count', 'count occurring retransmits per flow')
      .option('-4, --ipv4', 'trace IPv4 family only')
      .option('-6, --ipv6', 'trace IPv6 family only');
  },
  async run(options, _args, ctx) {
    const filter: EndpointFilter = { family: familyOption(options) };
    const session = new ToolSession(ctx, buildSpec(options, filter));
    if (options.count) {
      session.tpBtf('retransmit', 'tcp_retransmit_skb');
      if (!ctx.json) ctx.write('Tracing retransmits ... Hit Ctrl-C to end\n');
      // Nothing else keeps the event loop alive in count mode: a pending timer does, until Ctrl-C.
      await ctx.sleep(2 ** 31 - 1);
      const flows: Array<{ ep: Endpoint; count: bigint }> = [];
      for (const [key, value] of session.map('counts').entries()) {
        flows.push({ ep: readEndpoint(new DataView(key.buffer, key.byteOffset, key.byteLength), 0), count: new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0, true) });
      }
      flows.sort((a, b) => (a.count > b.count ? -1 : a.count < b.count ? 1 : 0));
      if (ctx.json) {
        for (const { ep, count } of flows) ctx.writeJson({ ip: ep.ipVersion, laddr: ep.laddr, lport: ep.lport, raddr: ep.raddr, rport: ep.rport, retransmits: count });
        return;
      }
      ctx.write(`\n${'LADDR:LPORT'.padEnd(25)}${'RADDR:RPORT'.padEnd(24)}RETRANSMITS\n`);
      for (const { ep, count } of flows) ctx.write(`${local(ep).padEnd(20)} <-> ${remote(ep).padEnd(20)}${String(count).padStart(10)}\n`);
      return;
    }
    const offset = bootTimeOffsetNs();
    session.reportLost();
    session.ringbuf('events', (r) => {
      const ep = readEndpoint(r, REC.endpoint);
      const ns = r.getBigUint64(REC.ts, true);
      const pid = r.getUint32(REC.pid, true);
      const state = tcpStateName(r.getUint8(REC.state));
      const type = r.getUint8(REC.type) === TYPE_LOSS_PROBE ? 'L' : 'R';
      const seq = r.getUint32(REC.seq, true);
      if (ctx.json) {
        ctx.writeJson({ time: Number(ns + offset) / 1e9, pid, ip: ep.ipVersion, laddr: ep.laddr, lport: ep.lport, raddr: ep.raddr, rport: ep.rport, type: type === 'L' ? 'loss_probe' : 'retransmit', state, ...(options.sequence ? { seq } : {}) });
        return;
      }
      ctx.write(
        `${formatClock(ns + offset)} ${String(pid).padEnd(7)} ${String(ep.ipVersion).padEnd(2)} ${local(ep).padEnd(20)} ${type}> ${remote(ep).padEnd(20)} ` +
          (options.sequence ? `${state.padEnd(12)} ${seq}\n` : `${state}\n`),
      );
    });
    session.tpBtf('retransmit', 'tcp_retransmit_skb');
    if (!ctx.json) {
      ctx.write(`${'TIME'.padEnd(8)} ${'PID'.padEnd(7)} ${'IP'.padEnd(2)} ${'LADDR:LPORT'.padEnd(20)} T> ${'RADDR:RPORT'.padEnd(20)} ` + (options.sequence ? `${'STATE'.padEnd(12)} SEQ\n` : 'STATE\n'));
    }
    await ctx.stopped;
  },
});
