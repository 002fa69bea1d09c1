// syncsnoop: who calls sync(), fsync(), fdatasync(), msync(), syncfs() and sync_file_range(), as BCC's and
// bpftrace's syncsnoop show. One tp_btf program on sys_enter sees every syscall and keeps the sync family.
import { program, R0, R1, R2, R7, R8 } from '../isa/builder.js';
import { Helper } from '../isa/helpers.js';
import { ToolSession, tpBtfProgram } from './framework/session.js';
import { emitReserve, ringbufMaps } from './framework/lost.js';
import { defineTool } from './framework/tool.js';
import { bootTimeOffsetNs, comm, formatClock } from './framework/format.js';

/** x86-64 syscall numbers of the sync family. */
const SYNC_CALLS: Record<number, string> = { 162: 'sync', 74: 'fsync', 75: 'fdatasync', 26: 'msync', 306: 'syncfs', 277: 'sync_file_range' };

// Record: u64 ktime_ns, u32 pid, u32 syscall nr, char comm[16].
const RECORD_SIZE = 32;

function buildSpec() {
  const b = program();
  b.ldx('dw', R7, R1, 8); // args[1]: the syscall number
  for (const nr of Object.keys(SYNC_CALLS)) b.jeq(R7, Number(nr), 'traced');
  b.ja('out');
  b.label('traced');
  emitReserve(b, RECORD_SIZE, 'out');
  b.mov(R8, R0);
  b.call(Helper.ktime_get_ns).stx('dw', R8, 0, R0);
  b.call(Helper.get_current_pid_tgid).rsh(R0, 32).stx('w', R8, 8, R0);
  b.stx('w', R8, 12, R7);
  b.mov(R1, R8).add(R1, 16).mov(R2, 16).call(Helper.get_current_comm);
  b.mov(R1, R8).mov(R2, 0).call(Helper.ringbuf_submit);
  b.label('out').mov(R0, 0).exit();
  return {
    maps: ringbufMaps(256 * 1024),
    programs: { sync_enter: tpBtfProgram('sync_enter', 'sys_enter', b.build()) },
  };
}

export default defineTool<{ timestamp?: boolean }>({
  name: 'syncsnoop',
  summary: 'trace sync(), fsync(), fdatasync(), msync(), syncfs() and sync_file_range() calls',
  examples: ['bpfkit syncsnoop          # trace sync family calls', 'bpfkit syncsnoop --json   # one JSON object per call'],
  configure(command) {
    command.option('-t, --timestamp', 'include the wall-clock time (HH:MM:SS)');
  },
  async run(options, _args, ctx) {
    const session = new ToolSession(ctx, buildSpec());
    const offset = bootTimeOffsetNs();
    session.reportLost();
    session.ringbuf('events', (r) => {
      const ns = r.getBigUint64(0, true);
      const pid = r.getUint32(8, true);
      const call = SYNC_CALLS[r.getUint32(12, true)] ?? 'sync';
      const name = comm(r, 16);
      if (ctx.json) {
        ctx.writeJson({ time: Number(ns + offset) / 1e9, pid, comm: name, call });
        return;
      }
      ctx.write(`${options.timestamp ? `${formatClock(ns + offset)} ` : ''}${String(pid).padEnd(7)} ${name.padEnd(16)} ${call}\n`);
    });
    session.tpBtf('sync_enter', 'sys_enter');
    if (!ctx.json) ctx.write(`${options.timestamp ? 'TIME     ' : ''}${'PID'.padEnd(7)} ${'COMM'.padEnd(16)} CALL\n`);
    await ctx.stopped;
  },
});
