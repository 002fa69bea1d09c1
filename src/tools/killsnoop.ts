// killsnoop: signals sent with kill(), tkill() and tgkill(): who sent which signal to whom and the result, as
// libbpf-tools' killsnoop (sigsnoop) prints them. sys_enter keeps the target and signal per thread; sys_exit
// pairs them with the return value.
import { program, R0, R1, R2, R3, R4, R6, R7, R8, R9, FP } from '../isa/builder.js';
import { Helper } from '../isa/helpers.js';
import type { CollectionSpec } from '../spec/collection.js';
import { MapType } from '../sys/constants.js';
import { ToolSession, tpBtfProgram } from './framework/session.js';
import { emitReserve, ringbufMaps } from './framework/lost.js';
import { defineTool, positiveInt } from './framework/tool.js';
import { bootTimeOffsetNs, comm, formatClock } from './framework/format.js';
import { parseSignal, signalName, SYS, syscallRegs, unixSeconds } from './process/common.js';

// Record: u64 ktime, u32 pid, s32 tpid, u32 sig, s32 ret, char comm[16].
const OFF = { ktime: 0, pid: 8, tpid: 12, sig: 16, ret: 20, comm: 24 } as const;
const RECORD_SIZE = 40;

interface Options {
  failed?: boolean;
  kill?: boolean;
  name?: boolean;
  pid?: number;
  signal?: number;
}

/** The syscalls traced: kill() alone with -k. */
function traced(o: Options): number[] {
  return o.kill ? [SYS.kill] : [SYS.kill, SYS.tkill, SYS.tgkill];
}

function buildEnter(o: Options) {
  const regs = syscallRegs();
  const b = program();
  b.ldx('dw', R6, R1, 0).ldx('dw', R7, R1, 8); // pt_regs *, syscall number
  b.jeq(R7, SYS.kill, 'pid_sig');
  if (!o.kill) b.jeq(R7, SYS.tkill, 'pid_sig').jeq(R7, SYS.tgkill, 'tgkill');
  b.ja('out');
  // kill(pid, sig) and tkill(tid, sig); tgkill(tgid, tid, sig) targets the thread.
  b.label('pid_sig').ldx('dw', R8, R6, regs.arg1).ldx('dw', R9, R6, regs.arg2).ja('have');
  b.label('tgkill').ldx('dw', R8, R6, regs.arg2).ldx('dw', R9, R6, regs.arg3);
  b.label('have').mov32(R9, R9);
  if (o.signal !== undefined) b.jne(R9, o.signal, 'out');
  b.call(Helper.get_current_pid_tgid).stx('dw', FP, -8, R0);
  if (o.pid !== undefined) b.rsh(R0, 32).jne(R0, o.pid, 'out');
  b.stx('w', FP, -16, R8).stx('w', FP, -12, R9);
  b.loadMap(R1, 'pending').mov(R2, FP).add(R2, -8).mov(R3, FP).add(R3, -16).mov(R4, 0).call(Helper.map_update_elem);
  b.label('out').mov(R0, 0).exit();
  return b.build({ dropUnreachable: true });
}

function buildExit(o: Options) {
  const regs = syscallRegs();
  const b = program();
  b.ldx('dw', R6, R1, 0).ldx('dw', R7, R1, 8); // pt_regs *, return value
  b.ldx('dw', R2, R6, regs.nr);
  for (const nr of traced(o)) b.jeq(R2, nr, 'traced');
  b.ja('out');
  b.label('traced').call(Helper.get_current_pid_tgid).stx('dw', FP, -8, R0);
  b.loadMap(R1, 'pending').mov(R2, FP).add(R2, -8).call(Helper.map_lookup_elem);
  b.jeq(R0, 0, 'out').mov(R8, R0);
  if (o.failed) b.jmp('jsge', R7, 0, 'forget');
  emitReserve(b, RECORD_SIZE, 'forget');
  b.mov(R9, R0);
  b.ldx('w', R1, R8, 0).stx('w', R9, OFF.tpid, R1);
  b.ldx('w', R1, R8, 4).stx('w', R9, OFF.sig, R1);
  b.stx('w', R9, OFF.ret, R7);
  b.ldx('dw', R1, FP, -8).rsh(R1, 32).stx('w', R9, OFF.pid, R1);
  b.call(Helper.ktime_get_ns).stx('dw', R9, OFF.ktime, R0);
  b.mov(R1, R9).add(R1, OFF.comm).mov(R2, 16).call(Helper.get_current_comm);
  b.mov(R1, R9).mov(R2, 0).call(Helper.ringbuf_submit);
  b.label('forget').loadMap(R1, 'pending').mov(R2, FP).add(R2, -8).call(Helper.map_delete_elem);
  b.label('out').mov(R0, 0).exit();
  return b.build({ dropUnreachable: true });
}

function buildSpec(o: Options): CollectionSpec {
  return {
    maps: {
      // pid_tgid → { s32 target, u32 signal } between syscall entry and exit.
      pending: { name: 'pending', type: MapType.HASH, keySize: 8, valueSize: 8, maxEntries: 10240 },
      ...ringbufMaps(256 * 1024),
    },
    programs: {
      kill_enter: tpBtfProgram('kill_enter', 'sys_enter', buildEnter(o)),
      kill_exit: tpBtfProgram('kill_exit', 'sys_exit', buildExit(o)),
    },
  };
}

/** -n: "SIGTERM"; signal 0 (existence check) is "N/A"; real-time signals stay numbers. */
function signalColumn(sig: number): string {
  if (sig === 0) return 'N/A';
  const name = signalName(sig);
  return name ? `SIG${name}` : String(sig);
}

export default defineTool<Options>({
  name: 'killsnoop',
  summary: 'trace signals sent with kill(), tkill() and tgkill()',
  examples: [
    'bpfkit killsnoop             # trace signals system-wide',
    'bpfkit killsnoop -k          # trace signals issued by kill syscall only',
    'bpfkit killsnoop -x          # trace failed signals only',
    'bpfkit killsnoop -p 1216     # only trace PID 1216',
    'bpfkit killsnoop -s 9        # only trace signal 9',
  ],
  configure(command) {
    command
      .option('-k, --kill', 'trace signals issued by kill syscall only')
      .option('-n, --name', 'output signal name instead of signal number')
      .option('-p, --pid <PID>', 'process ID to trace (the sender)', positiveInt('PID'))
      .option('-s, --signal <SIGNAL>', 'signal to trace (number or name)', parseSignal)
      .option('-x, --failed', 'trace failed signals only');
  },
  async run(options, _args, ctx) {
    const session = new ToolSession(ctx, buildSpec(options));
    const offset = bootTimeOffsetNs();
    session.reportLost();
    session.ringbuf('events', (r) => {
      const ktime = r.getBigUint64(OFF.ktime, true);
      const pid = r.getUint32(OFF.pid, true);
      const tpid = r.getInt32(OFF.tpid, true);
      const sig = r.getUint32(OFF.sig, true);
      const result = r.getInt32(OFF.ret, true);
      const name = comm(r, OFF.comm);
      if (ctx.json) {
        ctx.writeJson({ time: unixSeconds(ktime, offset), pid, comm: name, sig, signal: signalName(sig) ?? null, tpid, result });
        return;
      }
      const sigText = options.name ? signalColumn(sig) : String(sig);
      const cols = [formatClock(ktime + offset), String(pid).padEnd(7), name.padEnd(16), sigText.padEnd(9), String(tpid).padEnd(7), String(result).padEnd(6)];
      ctx.write(`${cols.join(' ')}\n`);
    });
    session.tpBtf('kill_enter', 'sys_enter');
    session.tpBtf('kill_exit', 'sys_exit');
    if (!ctx.json) ctx.write(`${['TIME    ', 'PID    ', 'COMM'.padEnd(16), 'SIG      ', 'TPID   ', 'RESULT'].join(' ')}\n`);
    await ctx.stopped;
  },
});
