// tcptracer: established TCP connections as they open and close: C (connect), A (accept), X (close), with the
// columns of libbpf-tools' tcptracer. Without kprobes:
//  - C: CLOSE -> SYN_SENT (inside connect(), in the caller) parks the caller's pid/comm per socket; the
//    SYN_SENT -> ESTABLISHED change (often in softirq) sends it with the ports known by then.
//  - A: the return of accept()/accept4() in the accepting task (net/accept.ts).
//  - X: an established socket leaving ESTABLISHED/CLOSE_WAIT for FIN_WAIT1/LAST_ACK, which only close() or
//    shutdown() do (so in the closing task), or for CLOSE (abort: possibly in softirq, so the task that connected
//    or accepted it is named, and sockets opened before tracing are left out there).
import { FP, program, R0, R1, R2, R3, R4, R7, R8, R9, type ProgramBuilder } from '../isa/builder.js';
import { Helper } from '../isa/helpers.js';
import type { CollectionSpec } from '../spec/collection.js';
import { ToolSession, tpBtfProgram } from './framework/session.js';
import { defineTool, nonNegativeInt, positiveInt } from './framework/tool.js';
import { bootTimeOffsetNs } from './framework/format.js';
import { emitAcceptRecord } from './net/accept.js';
import {
  emitAddress, emitInetSport, emitSockFields, emitSubmit, emitTaskFields, emitTaskFilter, emitTcpStateArgs, emitZero, eventMaps,
  leadingColumns, leadingHeader, onConnection, REC, RelativeSeconds, socketMap, TCP, type Place, type TaskColumnOptions,
} from './net/connection.js';

type Options = TaskColumnOptions;

const KIND = { connect: 'C'.charCodeAt(0), accept: 'A'.charCodeAt(0), close: 'X'.charCodeAt(0) };
/** Connects waiting for their handshake; the task that connected or accepted each traced connection. */
const PENDING = 'pending';
const OWNERS = 'owners';

/** map[sk] op, with the u64 socket address in `sk` stored at `key` first. */
function emitSocketKey(b: ProgramBuilder, map: string, key: Place, sk: typeof R7): void {
  b.stx('dw', key.reg, key.off, sk);
  b.loadMap(R1, map);
  emitAddress(b, R2, key);
}

function stateProgram(o: Options) {
  const rec: Place = { reg: FP, off: -REC.size };
  const key: Place = { reg: FP, off: -REC.size - 8 };
  const b = program();
  emitTcpStateArgs(b, 'out');
  b.jmp32('jne', R8, TCP.CLOSE, 'from_other').jmp32('jeq', R9, TCP.SYN_SENT, 'connect_start').ja('out');
  b.label('from_other');
  b.jmp32('jne', R8, TCP.SYN_SENT, 'from_open').jmp32('jeq', R9, TCP.ESTABLISHED, 'connected').ja('connect_failed');
  b.label('from_open');
  b.jmp32('jeq', R8, TCP.ESTABLISHED, 'maybe_closing').jmp32('jne', R8, TCP.CLOSE_WAIT, 'out');
  b.label('maybe_closing');
  b.jmp32('jeq', R9, TCP.FIN_WAIT1, 'closing').jmp32('jeq', R9, TCP.LAST_ACK, 'closing').jmp32('jeq', R9, TCP.CLOSE, 'closing');
  b.ja('out');

  // connect(): park the caller per socket until the handshake completes.
  b.label('connect_start');
  emitZero(b, rec, REC.size);
  emitTaskFields(b, rec);
  emitTaskFilter(b, rec, o, R1, 'out');
  emitSocketKey(b, PENDING, key, R7);
  emitAddress(b, R3, rec);
  b.mov(R4, 0).call(Helper.map_update_elem).ja('out');

  b.label('connected');
  emitSocketKey(b, PENDING, key, R7);
  b.call(Helper.map_lookup_elem).jeq(R0, 0, 'out').mov(R8, R0);
  b.call(Helper.ktime_get_ns).stx('dw', R8, REC.ts, R0);
  emitSockFields(b, { reg: R7, off: 0 }, { reg: R8, off: 0 }, R1);
  b.st('b', R8, REC.kind, KIND.connect);
  emitSubmit(b, { reg: R8, off: 0 });
  emitSocketKey(b, OWNERS, key, R7);
  b.mov(R3, R8).mov(R4, 0).call(Helper.map_update_elem);
  b.label('connect_failed');
  emitSocketKey(b, PENDING, key, R7);
  b.call(Helper.map_delete_elem).ja('out');

  b.label('closing');
  emitZero(b, rec, REC.size);
  b.jmp32('jne', R9, TCP.CLOSE, 'closed_by_current');
  // Abort (-> CLOSE): maybe in softirq, so name the connection's owner; untraced sockets are left out.
  emitSocketKey(b, OWNERS, key, R7);
  b.call(Helper.map_lookup_elem).jeq(R0, 0, 'out');
  for (let i = 0; i < REC.size; i += 8) b.ldx('dw', R1, R0, i).stx('dw', rec.reg, rec.off + i, R1);
  b.call(Helper.ktime_get_ns).stx('dw', rec.reg, rec.off + REC.ts, R0);
  b.ja('close_fill');
  b.label('closed_by_current');
  emitTaskFields(b, rec);
  b.label('close_fill');
  emitTaskFilter(b, rec, o, R1, 'forget_owner');
  emitSockFields(b, { reg: R7, off: 0 }, rec, R1);
  emitInetSport(b, R7, rec, 'forget_owner');
  b.st('b', rec.reg, rec.off + REC.kind, KIND.close);
  emitSubmit(b, rec);
  b.label('forget_owner');
  emitSocketKey(b, OWNERS, key, R7);
  b.call(Helper.map_delete_elem);
  b.label('out').mov(R0, 0).exit();
  return b.build();
}

function acceptProgram(o: Options) {
  const b = program();
  const rec = emitAcceptRecord(b, { pid: o.pid, uid: o.uid }, 'out');
  b.st('b', rec.reg, rec.off + REC.kind, KIND.accept);
  emitSubmit(b, rec);
  // Remember the accepting task for an abortive close of this socket (R8 = the struct sock address).
  const key: Place = { reg: FP, off: rec.off - 8 };
  emitSocketKey(b, OWNERS, key, R8);
  emitAddress(b, R3, rec);
  b.mov(R4, 0).call(Helper.map_update_elem);
  b.label('out').mov(R0, 0).exit();
  return b.build();
}

function buildSpec(o: Options): CollectionSpec {
  return {
    maps: { ...eventMaps(), [PENDING]: socketMap(PENDING), [OWNERS]: socketMap(OWNERS) },
    programs: {
      tcp_state: tpBtfProgram('tcp_state', 'inet_sock_set_state', stateProgram(o)),
      tcp_accept: tpBtfProgram('tcp_accept', 'sys_exit', acceptProgram(o)),
    },
  };
}

const TYPE_NAMES: Record<number, string> = { [KIND.connect]: 'connect', [KIND.accept]: 'accept', [KIND.close]: 'close' };

export default defineTool<Options>({
  name: 'tcptracer',
  summary: 'trace TCP connections: connect (C), accept (A) and close (X) of established connections',
  examples: [
    'bpfkit tcptracer             # trace all TCP connections',
    'bpfkit tcptracer -t          # include timestamps',
    'bpfkit tcptracer -p 181      # only trace PID 181',
    'bpfkit tcptracer -U          # include UID',
    'bpfkit tcptracer -u 1000     # only trace UID 1000',
  ],
  configure(command) {
    command
      .option('-t, --timestamp', 'include a timestamp (seconds since the first event) on output')
      .option('-p, --pid <PID>', 'only trace this process ID', positiveInt('pid'))
      .option('-U, --print-uid', 'include the UID on output')
      .option('-u, --uid <UID>', 'only trace this UID', nonNegativeInt('uid'));
  },
  async run(options, _args, ctx) {
    const session = new ToolSession(ctx, buildSpec(options));
    const offset = bootTimeOffsetNs();
    const clock = new RelativeSeconds();
    onConnection(session, (c) => {
      const type = String.fromCharCode(c.kind);
      if (ctx.json) {
        ctx.writeJson({
          time: Number(c.ktimeNs + offset) / 1e9, type: TYPE_NAMES[c.kind] ?? type, pid: c.pid, uid: c.uid, comm: c.comm,
          ip: c.ip, saddr: c.laddr, daddr: c.raddr, sport: c.lport, dport: c.rport,
        });
        return;
      }
      let line = leadingColumns(options, clock, c);
      line += `${type} ${String(c.pid).padEnd(6)} ${c.comm.slice(0, 12).padEnd(12)} ${String(c.ip).padEnd(2)} `;
      ctx.write(`${line}${c.laddr.padEnd(16)} ${c.raddr.padEnd(16)} ${String(c.lport).padEnd(4)} ${c.rport}\n`);
    });
    session.tpBtf('tcp_state', 'inet_sock_set_state');
    session.tpBtf('tcp_accept', 'sys_exit');
    if (!ctx.json) {
      let header = leadingHeader(options);
      ctx.write(`${header}T ${'PID'.padEnd(6)} ${'COMM'.padEnd(12)} IP ${'SADDR'.padEnd(16)} ${'DADDR'.padEnd(16)} SPORT DPORT\n`);
    }
    await ctx.stopped;
  },
});
