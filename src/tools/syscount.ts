// syscount: syscall counts (and with -L total latency) per syscall or per process, top N every interval, as
// libbpf-tools' syscount prints them. One tp_btf program on sys_exit counts every syscall; with -L another on
// sys_enter stamps the start per thread.
import { constants } from 'node:os';
import { InvalidArgumentError } from 'commander';
import { FP, program, R0, R1, R2, R3, R4, R6, R7, R8, R9 } from '../isa/builder.js';
import { Helper } from '../isa/helpers.js';
import type { MapSpec } from '../spec/collection.js';
import { MapType, UpdateFlags } from '../sys/constants.js';
import { comm, clockNow } from './framework/format.js';
import { kernelOffset, syscallNrOffset } from './framework/kernel-types.js';
import { ToolSession, tpBtfProgram } from './framework/session.js';
import { defineTool, nonNegativeInt, positiveInt, type ToolContext } from './framework/tool.js';
import { cgroupFilterMaps, emitCgroupFilter } from './framework/cgroup-filter.js';
import { knownSyscalls, syscallName } from './sched/syscalls-x86_64.js';

interface Options {
  pid?: number;
  interval?: number;
  duration?: number;
  top: number;
  cgroup?: string;
  failures?: boolean;
  latency?: boolean;
  milliseconds?: boolean;
  process?: boolean;
  errno?: number;
  list?: boolean;
}

interface Config {
  pid?: number;
  failures: boolean;
  errno?: number;
  latency: boolean;
  byProcess: boolean;
  cgroup: boolean;
}

// Value of the data map: u64 count, u64 total_ns, char comm[16].
const VALUE_SIZE = 32;

/** Leaves the program unless the current process is the one asked for; R7 = pid_tgid. Clobbers R0-R5. */
function emitCurrent(b: ReturnType<typeof program>, config: Config): void {
  if (config.cgroup) emitCgroupFilter(b, 'out');
  b.call(Helper.get_current_pid_tgid).mov(R7, R0);
  if (config.pid !== undefined) b.mov(R1, R7).rsh(R1, 32).jne(R1, config.pid, 'out');
}

/** sys_enter (regs, id): start[tid] = now. */
function enterProgram(config: Config) {
  const b = program();
  emitCurrent(b, config);
  b.call(Helper.ktime_get_ns).stx('dw', FP, -16, R0).stx('w', FP, -4, R7);
  b.loadMap(R1, 'start').mov(R2, FP).add(R2, -4).mov(R3, FP).add(R3, -16).mov(R4, UpdateFlags.ANY).call(Helper.map_update_elem);
  b.label('out').mov(R0, 0).exit();
  return b.build();
}

/** sys_exit (regs, ret): count the syscall (regs->orig_ax) under its number or the process. */
function exitProgram(config: Config) {
  const b = program();
  b.mov(R6, R1);
  emitCurrent(b, config);
  b.ldx('dw', R1, R6, 0).ldx('dw', R8, R1, syscallNrOffset());
  b.jeq(R8, -1, 'out'); // not a syscall (e.g. a signal return path)
  b.ldx('dw', R9, R6, 8);
  if (config.failures) b.jmp('jsge', R9, 0, 'out');
  if (config.errno !== undefined) b.jne(R9, -config.errno, 'out');
  if (config.latency) {
    b.stx('w', FP, -4, R7);
    b.loadMap(R1, 'start').mov(R2, FP).add(R2, -4).call(Helper.map_lookup_elem).jeq(R0, 0, 'out');
    b.ldx('dw', R9, R0, 0);
    b.loadMap(R1, 'start').mov(R2, FP).add(R2, -4).call(Helper.map_delete_elem);
    b.call(Helper.ktime_get_ns).sub(R0, R9).mov(R9, R0);
  }
  if (config.byProcess) b.mov(R1, R7).rsh(R1, 32).stx('w', FP, -8, R1);
  else b.stx('w', FP, -8, R8);
  b.loadMap(R1, 'data').mov(R2, FP).add(R2, -8).call(Helper.map_lookup_elem).jne(R0, 0, 'have');
  for (const off of [-40, -32, -24, -16]) b.st('dw', FP, off, 0);
  b.loadMap(R1, 'data').mov(R2, FP).add(R2, -8).mov(R3, FP).add(R3, -40).mov(R4, UpdateFlags.NOEXIST).call(Helper.map_update_elem);
  b.loadMap(R1, 'data').mov(R2, FP).add(R2, -8).call(Helper.map_lookup_elem).jeq(R0, 0, 'out');
  b.label('have').mov(R1, 1).atomic('dw', 'add', R0, 0, R1);
  if (config.latency) b.atomic('dw', 'add', R0, 8, R9);
  // The process's name (its group leader's comm) as of its latest syscall, as libbpf-tools shows it: a process
  // may rename itself, and its threads have names of their own.
  if (config.byProcess) {
    b.mov(R9, R0).call(Helper.get_current_task_btf).ldx('dw', R3, R0, kernelOffset('task_struct', 'group_leader'));
    b.add(R3, kernelOffset('task_struct', 'comm')).mov(R1, R9).add(R1, 16).mov(R2, 16).call(Helper.probe_read_kernel);
  }
  b.label('out').mov(R0, 0).exit();
  return b.build();
}

function buildSpec(config: Config, cgroupMaps: Record<string, MapSpec>) {
  return {
    maps: {
      data: { name: 'data', type: MapType.HASH, keySize: 4, valueSize: VALUE_SIZE, maxEntries: 10240 },
      ...(config.latency ? { start: { name: 'start', type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 10240 } } : {}),
      ...cgroupMaps,
    },
    programs: {
      sys_exit: tpBtfProgram('sys_exit', 'sys_exit', exitProgram(config)),
      ...(config.latency ? { sys_enter: tpBtfProgram('sys_enter', 'sys_enter', enterProgram(config)) } : {}),
    },
  };
}

interface Row {
  key: number;
  count: bigint;
  totalNs: bigint;
  comm: string;
}

/** -e: a positive number or an errno name (ENOENT). */
function parseErrno(value: string): number {
  if (/^\d+$/.test(value) && Number(value) > 0) return Number(value);
  const n = (constants.errno as Record<string, number>)[value.toUpperCase()];
  if (n === undefined) throw new InvalidArgumentError('expected a positive number or an errno name such as ENOENT');
  return n;
}

function printTable(ctx: ToolContext, options: Options, rows: Row[]): void {
  const latency = options.latency === true;
  const div = options.milliseconds ? 1e6 : 1e3;
  const top = rows.slice(0, options.top);
  if (ctx.json) {
    const unit = options.milliseconds ? 'total_ms' : 'total_us';
    ctx.writeJson({
      time: Date.now() / 1000,
      [options.process ? 'processes' : 'syscalls']: top.map((r) => ({
        ...(options.process ? { pid: r.key, comm: r.comm } : { syscall: syscallName(r.key) }),
        count: r.count,
        ...(latency ? { [unit]: Number(r.totalNs) / div } : {}),
      })),
    });
    return;
  }
  const timeHeader = options.milliseconds ? 'TIME (ms)' : 'TIME (us)';
  let text = `[${clockNow()}]\n`;
  text += `${(options.process ? 'PID    COMM' : 'SYSCALL').padEnd(22)} ${'COUNT'.padStart(8)}${latency ? ` ${timeHeader.padStart(16)}` : ''}\n`;
  for (const r of top) {
    const what = options.process ? `${String(r.key).padEnd(6)} ${r.comm.padEnd(15)}` : syscallName(r.key);
    text += `${what.padEnd(22)} ${String(r.count).padStart(8)}${latency ? ` ${(Number(r.totalNs) / div).toFixed(3).padStart(16)}` : ''}\n`;
  }
  ctx.write(`${text}\n`);
}

export default defineTool<Options>({
  name: 'syscount',
  summary: 'summarize syscall counts and latencies',
  examples: [
    'bpfkit syscount                 # print top 10 syscalls by count when stopped',
    'bpfkit syscount -p $(pidof dd)  # look only at a particular process',
    'bpfkit syscount -L              # measure and sort output by latency',
    'bpfkit syscount -P              # group statistics by pid, not by syscall',
    'bpfkit syscount -x -i 5         # count only failed syscalls',
    'bpfkit syscount -e ENOENT -i 5  # count only syscalls failed with a given errno',
    'bpfkit syscount -c CG           # trace processes under cgroup path CG',
  ],
  configure(command) {
    command
      .option('-p, --pid <PID>', 'process PID to trace', positiveInt('PID'))
      .option('-i, --interval <INTERVAL>', 'print summary at this interval (seconds), 0 for infinite wait (default)', nonNegativeInt('INTERVAL'))
      .option('-d, --duration <DURATION>', 'total tracing duration (seconds)', positiveInt('DURATION'))
      .option('-T, --top <TOP>', 'print only the top syscalls', positiveInt('TOP'), 10)
      .option('-c, --cgroup <CG>', 'trace processes in this cgroup v2 path')
      .option('-x, --failures', 'trace only failed syscalls')
      .option('-L, --latency', 'collect syscall latency')
      .option('-m, --milliseconds', 'display latency in milliseconds (default: microseconds)')
      .option('-P, --process', 'count by process and not by syscall')
      .option('-e, --errno <ERRNO>', 'trace only syscalls that return this error (numeric or EPERM, etc.)', parseErrno)
      .option('-l, --list', 'print list of recognized syscalls and exit');
  },
  async run(options, _args, ctx) {
    if (options.list) {
      ctx.write(knownSyscalls().map(([nr, name]) => `${String(nr).padStart(3)}: ${name}\n`).join(''));
      return;
    }
    const config: Config = {
      pid: options.pid, failures: options.failures === true, errno: options.errno, latency: options.latency === true,
      byProcess: options.process === true, cgroup: options.cgroup !== undefined,
    };
    const session = new ToolSession(ctx, buildSpec(config, cgroupFilterMaps(ctx, options.cgroup)));
    session.tpBtf('sys_exit', 'sys_exit');
    if (config.latency) session.tpBtf('sys_enter', 'sys_enter');
    if (!ctx.json) ctx.write(`Tracing syscalls, printing top ${options.top}... Ctrl+C to quit.\n`);

    const data = session.map('data');
    const step = options.interval || 1;
    let seconds = 0;
    for (;;) {
      let last = await ctx.sleep(step * 1000);
      if (options.duration !== undefined) {
        seconds += step;
        if (seconds >= options.duration) last = true;
      }
      if (!last && !options.interval) continue;
      const rows: Row[] = [];
      for (const [k, v] of data.drainBatched()) {
        const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
        const key = new DataView(k.buffer, k.byteOffset, 4).getUint32(0, true);
        rows.push({ key, count: view.getBigUint64(0, true), totalNs: view.getBigUint64(8, true), comm: comm(view, 16) });
      }
      const by = (r: Row) => (config.latency ? r.totalNs : r.count);
      rows.sort((a, b) => (by(a) === by(b) ? a.key - b.key : by(a) > by(b) ? -1 : 1));
      if (rows.length > 0) printTable(ctx, options, rows);
      if (last) return;
    }
  },
});
