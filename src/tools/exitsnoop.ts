// exitsnoop: processes as they end, with their age and why they ended (exit code, or the signal that killed
// them), as libbpf-tools' exitsnoop prints them. One tp_btf program on sched_process_exit reads the task.
import { program, R0, R1, R2, R6, R7, R8, R9, FP } from '../isa/builder.js';
import { Helper } from '../isa/helpers.js';
import type { CollectionSpec, MapSpec } from '../spec/collection.js';
import { kernelOffset } from './framework/kernel-types.js';
import { ToolSession, tpBtfProgram } from './framework/session.js';
import { emitReserve, ringbufMaps } from './framework/lost.js';
import { defineTool, positiveInt } from './framework/tool.js';
import { bootTimeOffsetNs, comm, formatClock } from './framework/format.js';
import { cgroupFilterMap, emitCgroupFilter } from './framework/cgroup-filter.js';
import { signalName, unixSeconds } from './process/common.js';

// Record: u64 ktime, u64 start_time, u32 pid, u32 tid, u32 ppid, u32 exit_code, char comm[16].
const OFF = { ktime: 0, start: 8, pid: 16, tid: 20, ppid: 24, exitCode: 28, comm: 32 } as const;
const RECORD_SIZE = 48;

interface Options {
  timestamp?: boolean;
  failed?: boolean;
  pid?: number;
  threaded?: boolean;
  cgroup?: string;
}

function buildExit(o: Options, cgroup: boolean) {
  const task = {
    exitCode: kernelOffset('task_struct', 'exit_code'),
    start: kernelOffset('task_struct', 'start_time'),
    realParent: kernelOffset('task_struct', 'real_parent'),
    tgid: kernelOffset('task_struct', 'tgid'),
  };
  const b = program();
  b.ldx('dw', R6, R1, 0); // args[0]: the exiting task (current)
  b.call(Helper.get_current_pid_tgid).mov(R7, R0).rsh(R7, 32).mov32(R8, R0);
  if (!o.threaded) b.jne(R7, R8, 'out'); // processes only: the thread group leader's exit
  if (o.pid !== undefined) b.jne(R7, o.pid, 'out');
  b.stx('w', FP, -4, R7).stx('w', FP, -8, R8);
  if (cgroup) emitCgroupFilter(b, 'out');
  b.ldx('w', R9, R6, task.exitCode);
  if (o.failed) b.jeq(R9, 0, 'out');
  emitReserve(b, RECORD_SIZE, 'out');
  b.mov(R7, R0);
  b.ldx('w', R1, FP, -4).stx('w', R7, OFF.pid, R1);
  b.ldx('w', R1, FP, -8).stx('w', R7, OFF.tid, R1);
  b.stx('w', R7, OFF.exitCode, R9);
  b.ldx('dw', R1, R6, task.start).stx('dw', R7, OFF.start, R1);
  b.ldx('dw', R1, R6, task.realParent).ldx('w', R1, R1, task.tgid).stx('w', R7, OFF.ppid, R1);
  b.call(Helper.ktime_get_ns).stx('dw', R7, OFF.ktime, R0);
  b.mov(R1, R7).add(R1, OFF.comm).mov(R2, 16).call(Helper.get_current_comm);
  b.mov(R1, R7).mov(R2, 0).call(Helper.ringbuf_submit);
  b.label('out').mov(R0, 0).exit();
  return b.build();
}

function buildSpec(o: Options, cgroupMap: MapSpec | undefined): CollectionSpec {
  const maps = ringbufMaps(256 * 1024);
  if (cgroupMap) maps[cgroupMap.name] = cgroupMap;
  return { maps, programs: { process_exit: tpBtfProgram('process_exit', 'sched_process_exit', buildExit(o, cgroupMap !== undefined)) } };
}

/** The wait status split the way the shell reports it. */
export function exitStatus(status: number): { code: number; sig: number; coreDumped: boolean } {
  return { code: (status >> 8) & 0xff, sig: status & 0x7f, coreDumped: (status & 0x80) !== 0 };
}

/** What strsignal(3) says for each signal: libbpf-tools prints these ("signal 9 (Killed)"). */
const SIGNAL_DESCRIPTIONS = [
  '', 'Hangup', 'Interrupt', 'Quit', 'Illegal instruction', 'Trace/breakpoint trap', 'Aborted', 'Bus error',
  'Floating point exception', 'Killed', 'User defined signal 1', 'Segmentation fault', 'User defined signal 2',
  'Broken pipe', 'Alarm clock', 'Terminated', 'Stack fault', 'Child exited', 'Continued', 'Stopped (signal)',
  'Stopped', 'Stopped (tty input)', 'Stopped (tty output)', 'Urgent I/O condition', 'CPU time limit exceeded',
  'File size limit exceeded', 'Virtual timer expired', 'Profiling timer expired', 'Window changed', 'I/O possible',
  'Power failure', 'Bad system call',
];

function signalDescription(sig: number): string {
  return SIGNAL_DESCRIPTIONS[sig] ?? (sig >= 34 && sig <= 64 ? `Real-time signal ${sig - 34}` : `Unknown signal ${sig}`);
}

/** "KILL" for 9, "RTMIN+2" for 36, the number otherwise. */
function signalLabel(sig: number): string {
  return signalName(sig) ?? (sig >= 34 && sig <= 64 ? `RTMIN+${sig - 34}` : String(sig));
}

export default defineTool<Options>({
  name: 'exitsnoop',
  summary: 'trace process termination: age and exit code or killing signal',
  examples: [
    'bpfkit exitsnoop             # trace process exit events',
    'bpfkit exitsnoop -t          # include timestamps',
    'bpfkit exitsnoop -x          # trace error exits only',
    'bpfkit exitsnoop -p 1216     # only trace PID 1216',
    'bpfkit exitsnoop -T          # trace by thread',
    'bpfkit exitsnoop -c CG       # trace processes under cgroup v2 directory CG',
  ],
  configure(command) {
    command
      .option('-t, --timestamp', 'include timestamp on output')
      .option('-x, --failed', 'trace error exits only')
      .option('-p, --pid <PID>', 'process ID to trace', positiveInt('PID'))
      .option('-T, --threaded', 'trace by thread')
      .option('-c, --cgroup <PATH>', 'trace processes in this cgroup v2 directory (or below it)');
  },
  async run(options, _args, ctx) {
    const cgroupMap = options.cgroup !== undefined ? cgroupFilterMap(ctx, options.cgroup) : undefined;
    const session = new ToolSession(ctx, buildSpec(options, cgroupMap));
    const offset = bootTimeOffsetNs();
    session.reportLost();
    session.ringbuf('events', (r) => {
      const ktime = r.getBigUint64(OFF.ktime, true);
      const start = r.getBigUint64(OFF.start, true);
      const age = ktime > start ? Number(ktime - start) / 1e9 : 0;
      const pid = r.getUint32(OFF.pid, true);
      const tid = r.getUint32(OFF.tid, true);
      const ppid = r.getUint32(OFF.ppid, true);
      const status = exitStatus(r.getUint32(OFF.exitCode, true));
      const pcomm = comm(r, OFF.comm);
      if (ctx.json) {
        ctx.writeJson({
          time: unixSeconds(ktime, offset), pcomm, pid, ppid, tid, age, exit_code: status.code, sig: status.sig,
          signal: status.sig ? signalLabel(status.sig) : null, core_dumped: status.coreDumped,
        });
        return;
      }
      let how = status.code ? `code ${status.code}` : '0';
      if (status.sig) how = `signal ${status.sig} (${signalDescription(status.sig)})${status.coreDumped ? ', core dumped' : ''}`;
      const cols = [pcomm.padEnd(16), String(pid).padEnd(7), String(ppid).padEnd(7), String(tid).padEnd(7), age.toFixed(2).padEnd(7), how];
      ctx.write(`${options.timestamp ? `${formatClock(ktime + offset)} ` : ''}${cols.join(' ')}\n`);
    });
    session.tpBtf('process_exit', 'sched_process_exit');
    if (!ctx.json) {
      // libbpf-tools label the -t column TIME(s) although it holds HH:MM:SS; kept for scripts that expect it.
      const cols = ['PCOMM'.padEnd(16), 'PID'.padEnd(7), 'PPID'.padEnd(7), 'TID'.padEnd(7), 'AGE(s)'.padEnd(7), 'EXIT_CODE'];
      ctx.write(`${options.timestamp ? `${'TIME(s)'.padEnd(8)} ` : ''}${cols.join(' ')}\n`);
    }
    await ctx.stopped;
  },
});
