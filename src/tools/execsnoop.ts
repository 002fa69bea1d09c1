// execsnoop: new processes, one line per execve() with its arguments, as libbpf-tools' execsnoop prints them.
// sys_enter copies the filename and argv into a per-process hash entry; sys_exit adds the return value and comm
// (the new program's on success) and sends the entry through the ring buffer.
import { program, R0, R1, R2, R3, R4, R6, R7, R8, R9, FP } from '../isa/builder.js';
import { Helper } from '../isa/helpers.js';
import type { CollectionSpec, MapSpec } from '../spec/collection.js';
import { MapFlags, MapType } from '../sys/constants.js';
import { kernelOffset } from './framework/kernel-types.js';
import { ToolSession, tpBtfProgram } from './framework/session.js';
import { emitCountLost, ringbufMaps } from './framework/lost.js';
import { defineTool, nonNegativeInt } from './framework/tool.js';
import { bootTimeOffsetNs, comm, formatClock } from './framework/format.js';
import { cgroupFilterMap, emitCgroupFilter } from './framework/cgroup-filter.js';
import { SYS, syscallRegs, unixSeconds } from './process/common.js';
import { InvalidArgumentError } from 'commander';

/** Bytes kept per argument (with its NUL) and the most arguments read, as libbpf-tools. */
const ARG_SIZE = 128;
const TOTAL_MAX_ARGS = 60;
const DEFAULT_MAX_ARGS = 20;
const ARGS_BYTES = ARG_SIZE * TOTAL_MAX_ARGS;
/** Past this offset a whole argument might not fit: stop reading. */
const LAST_ARG_OFFSET = ARGS_BYTES - ARG_SIZE;

// Entry: u32 pid, u32 ppid, u32 uid, s32 ret, u32 args_count, u32 args_size, char comm[16], u64 ktime, args.
const OFF = { pid: 0, ppid: 4, uid: 8, ret: 12, count: 16, size: 20, comm: 24, ktime: 40, args: 48 } as const;
const ENTRY_SIZE = OFF.args + ARGS_BYTES;
const decoder = new TextDecoder();

interface Options {
  time?: boolean;
  timestamp?: boolean;
  fails?: boolean;
  uid?: number;
  printUid?: boolean;
  quote?: boolean;
  name?: string;
  line?: string;
  cgroup?: string;
  maxArgs: number;
}

function buildEnter(o: Options, cgroup: boolean) {
  const regs = syscallRegs();
  const realParent = kernelOffset('task_struct', 'real_parent');
  const tgid = kernelOffset('task_struct', 'tgid');
  const b = program();
  b.ldx('dw', R2, R1, 8).jne(R2, SYS.execve, 'out'); // args[1]: syscall number
  b.ldx('dw', R6, R1, 0); // args[0]: struct pt_regs *
  b.call(Helper.get_current_uid_gid).mov32(R7, R0); // low half: uid
  if (o.uid !== undefined) b.jne(R7, o.uid, 'out');
  if (cgroup) emitCgroupFilter(b, 'out');
  b.call(Helper.get_current_pid_tgid).rsh(R0, 32).stx('w', FP, -4, R0);
  // A fresh zeroed entry for this process: copy the never-written "empty" value in.
  b.st('w', FP, -8, 0).loadMap(R1, 'empty').mov(R2, FP).add(R2, -8).call(Helper.map_lookup_elem);
  b.jeq(R0, 0, 'out').mov(R3, R0);
  b.loadMap(R1, 'execs').mov(R2, FP).add(R2, -4).mov(R4, 0).call(Helper.map_update_elem);
  b.loadMap(R1, 'execs').mov(R2, FP).add(R2, -4).call(Helper.map_lookup_elem);
  b.jeq(R0, 0, 'out').mov(R8, R0);
  b.ldx('w', R1, FP, -4).stx('w', R8, OFF.pid, R1);
  b.stx('w', R8, OFF.uid, R7);
  b.call(Helper.get_current_task_btf).ldx('dw', R1, R0, realParent).ldx('w', R1, R1, tgid).stx('w', R8, OFF.ppid, R1);
  b.ldx('dw', R9, R6, regs.arg2); // argv (user pointer)
  // The filename stands for argv[0], as libbpf-tools print it.
  b.ldx('dw', R3, R6, regs.arg1);
  b.mov(R1, R8).add(R1, OFF.args).mov(R2, ARG_SIZE).call(Helper.probe_read_user_str);
  b.jsgt(R0, 0, 'have_filename');
  b.st('b', R8, OFF.args, 0).mov(R0, 1); // unreadable: an empty string
  b.label('have_filename').mov(R7, R0).mov(R6, 1); // R7: bytes used, R6: argument count
  for (let i = 1; i < o.maxArgs; i++) {
    b.mov(R1, FP).add(R1, -16).mov(R2, 8).mov(R3, R9).add(R3, i * 8).call(Helper.probe_read_user);
    b.jne(R0, 0, 'args_done').ldx('dw', R3, FP, -16).jeq(R3, 0, 'args_done');
    b.jgt(R7, LAST_ARG_OFFSET, 'args_done');
    b.mov(R1, R8).add(R1, OFF.args).add(R1, R7).mov(R2, ARG_SIZE).call(Helper.probe_read_user_str);
    b.jmp('jsle', R0, 0, 'args_done').add(R7, R0).add(R6, 1);
  }
  // All max-args read: one more pointer tells whether the list was cut (count max+1 prints " ...").
  b.mov(R1, FP).add(R1, -16).mov(R2, 8).mov(R3, R9).add(R3, o.maxArgs * 8).call(Helper.probe_read_user);
  b.jne(R0, 0, 'args_done').ldx('dw', R3, FP, -16).jeq(R3, 0, 'args_done').add(R6, 1);
  b.label('args_done').stx('w', R8, OFF.count, R6).stx('w', R8, OFF.size, R7);
  b.label('out').mov(R0, 0).exit();
  return b.build();
}

function buildExit(o: Options) {
  const regs = syscallRegs();
  const b = program();
  b.ldx('dw', R6, R1, 0).ldx('dw', R7, R1, 8); // pt_regs *, return value
  b.ldx('dw', R2, R6, regs.nr).jne(R2, SYS.execve, 'out');
  b.call(Helper.get_current_pid_tgid).rsh(R0, 32).stx('w', FP, -4, R0);
  b.loadMap(R1, 'execs').mov(R2, FP).add(R2, -4).call(Helper.map_lookup_elem);
  b.jeq(R0, 0, 'out').mov(R8, R0);
  if (!o.fails) b.jslt(R7, 0, 'forget');
  b.stx('w', R8, OFF.ret, R7);
  b.mov(R1, R8).add(R1, OFF.comm).mov(R2, 16).call(Helper.get_current_comm);
  b.call(Helper.ktime_get_ns).stx('dw', R8, OFF.ktime, R0);
  b.ldx('w', R3, R8, OFF.size).jgt(R3, ARGS_BYTES, 'forget').add(R3, OFF.args);
  b.loadMap(R1, 'events').mov(R2, R8).mov(R4, 0).call(Helper.ringbuf_output).jeq(R0, 0, 'forget');
  emitCountLost(b);
  b.label('forget').loadMap(R1, 'execs').mov(R2, FP).add(R2, -4).call(Helper.map_delete_elem);
  b.label('out').mov(R0, 0).exit();
  return b.build();
}

function buildSpec(o: Options, cgroupMap: MapSpec | undefined): CollectionSpec {
  const maps: Record<string, MapSpec> = {
    // Entries live only between execve() entry and exit; NO_PREALLOC keeps 10240 × 7.7 KB from being reserved.
    execs: { name: 'execs', type: MapType.HASH, keySize: 4, valueSize: ENTRY_SIZE, maxEntries: 10240, flags: MapFlags.NO_PREALLOC },
    empty: { name: 'empty', type: MapType.ARRAY, keySize: 4, valueSize: ENTRY_SIZE, maxEntries: 1 },
    ...ringbufMaps(1024 * 1024),
  };
  if (cgroupMap) maps[cgroupMap.name] = cgroupMap;
  return {
    maps,
    programs: {
      exec_enter: tpBtfProgram('exec_enter', 'sys_enter', buildEnter(o, cgroupMap !== undefined)),
      exec_exit: tpBtfProgram('exec_exit', 'sys_exit', buildExit(o)),
    },
  };
}

function maxArgsOption(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > TOTAL_MAX_ARGS) throw new InvalidArgumentError(`expected 1 to ${TOTAL_MAX_ARGS}`);
  return n;
}

/** The arguments as the command line shows them: -q puts each in "quotes" with inner quotes escaped. */
function formatArgs(args: string[], quote: boolean, truncated: boolean): string {
  const shown = args.map((a) => (quote ? `"${a.replaceAll('"', '\\"')}"` : a)).join(' ');
  return `${shown} ${truncated ? ' ...' : ''}`;
}

export default defineTool<Options>({
  name: 'execsnoop',
  summary: 'trace exec() syscalls: new processes with their arguments',
  examples: [
    'bpfkit execsnoop           # trace all exec() syscalls',
    'bpfkit execsnoop -x        # include failed exec()s',
    'bpfkit execsnoop -T        # include time (HH:MM:SS)',
    'bpfkit execsnoop -U        # include UID',
    'bpfkit execsnoop -u 1000   # only trace UID 1000',
    'bpfkit execsnoop -t        # include timestamps',
    'bpfkit execsnoop -q        # add "quotemarks" around arguments',
    'bpfkit execsnoop -n main   # only print command lines containing "main"',
    'bpfkit execsnoop -l tpkg   # only print command where arguments contains "tpkg"',
    'bpfkit execsnoop -c CG     # trace processes under cgroup v2 directory CG',
  ],
  configure(command) {
    command
      .option('-T, --time', 'include time column on output (HH:MM:SS)')
      .option('-t, --timestamp', 'include timestamp on output (seconds since start)')
      .option('-x, --fails', 'include failed exec()s')
      .option('-u, --uid <UID>', 'trace this UID only', nonNegativeInt('UID'))
      .option('-U, --print-uid', 'print UID column')
      .option('-q, --quote', 'add quotemarks (") around arguments')
      .option('-n, --name <NAME>', 'only print commands whose name contains NAME')
      .option('-l, --line <LINE>', 'only print commands where an argument contains LINE')
      .option('-c, --cgroup <PATH>', 'trace processes in this cgroup v2 directory (or below it)')
      .option('--max-args <MAX_ARGS>', `maximum number of arguments parsed and displayed (1-${TOTAL_MAX_ARGS})`, maxArgsOption, DEFAULT_MAX_ARGS);
  },
  async run(options, _args, ctx) {
    const cgroupMap = options.cgroup !== undefined ? cgroupFilterMap(ctx, options.cgroup) : undefined;
    const session = new ToolSession(ctx, buildSpec(options, cgroupMap));
    const offset = bootTimeOffsetNs();
    const start = process.hrtime.bigint();
    session.reportLost();
    session.ringbuf('events', (r) => {
      const count = r.getUint32(OFF.count, true);
      const size = Math.min(r.getUint32(OFF.size, true), r.byteLength - OFF.args);
      const raw = decoder.decode(new Uint8Array(r.buffer, r.byteOffset + OFF.args, size));
      const args = raw.split('\0').slice(0, Math.min(count, options.maxArgs));
      const truncated = count > options.maxArgs;
      const pcomm = comm(r, OFF.comm);
      if (options.name !== undefined && !pcomm.includes(options.name)) return;
      if (options.line !== undefined && !args.some((a) => a.includes(options.line!))) return;
      const ktime = r.getBigUint64(OFF.ktime, true);
      const pid = r.getUint32(OFF.pid, true);
      const ppid = r.getUint32(OFF.ppid, true);
      const uid = r.getUint32(OFF.uid, true);
      const ret = r.getInt32(OFF.ret, true);
      if (ctx.json) {
        ctx.writeJson({ time: unixSeconds(ktime, offset), uid, pcomm, pid, ppid, ret, args, truncated });
        return;
      }
      let line = '';
      if (options.time) line += `${formatClock(ktime + offset)} `;
      if (options.timestamp) line += `${(Number(ktime - start) / 1e9).toFixed(3).padEnd(8)} `;
      if (options.printUid) line += `${String(uid).padEnd(6)} `;
      line += `${pcomm.padEnd(16)} ${String(pid).padEnd(6)} ${String(ppid).padEnd(6)} ${String(ret).padStart(3)} `;
      ctx.write(`${line}${formatArgs(args, options.quote === true, truncated)}\n`);
    });
    session.tpBtf('exec_enter', 'sys_enter');
    session.tpBtf('exec_exit', 'sys_exit');
    if (!ctx.json) {
      let header = '';
      if (options.time) header += `${'TIME'.padEnd(8)} `;
      if (options.timestamp) header += `${'TIME(s)'.padEnd(8)} `;
      if (options.printUid) header += `${'UID'.padEnd(6)} `;
      ctx.write(`${header}${'PCOMM'.padEnd(16)} ${'PID'.padEnd(6)} ${'PPID'.padEnd(6)} RET ARGS\n`);
    }
    await ctx.stopped;
  },
});
