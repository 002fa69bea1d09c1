// profile: a CPU profiler sampling stack traces at a timed interval, as BCC's profile does. A PERF_EVENT program
// on cpu-clock events (every online CPU, -F Hz) counts (pid, kernel stack, user stack, comm) in the kernel; at the
// end the counts and stacks are read once, symbolized (/proc/kallsyms; /proc/<pid>/maps + ELF symbols) and printed
// as BCC's multi-line stacks, folded stacks (-f) for flame graphs, JSON, and with --svg as a flame graph file.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { perfEvent } from '../kernel/attach/perf-event.js';
import { onlineCpus } from '../kernel/cpus.js';
import { DEFAULT_STACK_DEPTH, stackFrames } from '../kernel/maps/stack-trace.js';
import { ToolSession } from './framework/session.js';
import { defineTool, nonNegativeInt, positiveInt, ToolUsageError, type ToolContext } from './framework/tool.js';
import { decodeKey, samplerSpec, type SampleKey } from './profile/bpf.js';
import { KernelSymbols } from './profile/kallsyms.js';
import { byCount, foldStacks, formatStack, stackJson, UNKNOWN, type Frame, type ProfiledStack, type StackHalf } from './profile/stacks.js';
import { flameGraphSvg } from './profile/svg.js';
import { UserSymbolizer } from './profile/user-symbols.js';

interface Options {
  pid?: number[];
  tid?: number[];
  userStacksOnly?: boolean;
  kernelStacksOnly?: boolean;
  includeIdle?: boolean;
  annotations?: boolean;
  delimited?: boolean;
  folded?: boolean;
  frequency?: number;
  count?: number;
  cpu?: number;
  stackStorageSize: number;
  svg?: string;
}

const EFAULT = 14;
/** How often the counts are scanned for new processes, whose maps are read while they still run. */
const POLL_MS = 1000;

function idList(what: string): (value: string) => number[] {
  const one = positiveInt(what);
  return (value) => {
    const ids = value.split(',').map((v) => one(v.trim()));
    if (ids.length > 64) throw new InvalidArgumentError(`at most 64 ${what}s`);
    return ids;
  };
}

export default defineTool<Options>({
  name: 'profile',
  summary: 'profile CPU usage by sampling stack traces at a timed interval (folded stacks, SVG flame graphs)',
  examples: [
    'bpfkit profile                  # profile stack traces at 49 Hertz until Ctrl-C',
    'bpfkit profile -F 99            # profile stack traces at 99 Hertz',
    'bpfkit profile -c 1000000       # profile stack traces every 1 in a million events',
    'bpfkit profile 5                # profile at 49 Hertz for 5 seconds only',
    'bpfkit profile -f 5             # output in folded format for flame graphs',
    'bpfkit profile -p 185           # only profile process with PID 185',
    'bpfkit profile -L 185           # only profile thread with TID 185',
    'bpfkit profile -U               # only show user space stacks (no kernel)',
    'bpfkit profile -K               # only show kernel space stacks (no user)',
    'bpfkit profile --svg cpu.svg 10 # also write an interactive flame graph',
  ],
  configure(command) {
    command
      .option('-p, --pid <pid>', 'profile these processes only (comma-separated PIDs)', idList('pid'))
      .option('-L, --tid <tid>', 'profile these threads only (comma-separated TIDs)', idList('tid'))
      .option('-U, --user-stacks-only', 'show stacks from user space only (no kernel space stacks)')
      .option('-K, --kernel-stacks-only', 'show stacks from kernel space only (no user space stacks)')
      .option('-F, --frequency <hz>', 'sample frequency, Hertz (default 49)', positiveInt('frequency'))
      .option('-c, --count <n>', 'sample period, number of events', positiveInt('count'))
      .option('-d, --delimited', 'insert delimiter between kernel/user stacks')
      .option('-a, --annotations', 'add _[k] annotations to kernel frames')
      .option('-I, --include-idle', 'include CPU idle stacks')
      .option('-f, --folded', 'output folded format, one line per stack (for flame graphs)')
      .option('-C, --cpu <cpu>', 'cpu number to run profile on', nonNegativeInt('cpu'))
      .option('--stack-storage-size <n>', 'the number of unique stack traces that can be stored and displayed', positiveInt('size'), 16384)
      .option('--svg <file>', 'also write an interactive SVG flame graph to FILE')
      .argument('[duration]', 'duration of trace, in seconds', positiveInt('duration'));
  },
  async run(o, args, ctx) {
    if (o.userStacksOnly && o.kernelStacksOnly) throw new ToolUsageError('-U and -K are mutually exclusive');
    if (o.pid && o.tid) throw new ToolUsageError('-p and -L are mutually exclusive');
    if (o.frequency !== undefined && o.count !== undefined) throw new ToolUsageError('-F and -c are mutually exclusive');
    for (const pid of o.pid ?? []) if (!existsSync(`/proc/${pid}`)) throw new ToolUsageError(`no process with pid ${pid}`);
    if (o.cpu !== undefined && !onlineCpus().includes(o.cpu)) throw new ToolUsageError(`cpu ${o.cpu} is not online (online: ${onlineCpus().join(',')})`);
    const svgPath = o.svg !== undefined ? resolve(o.svg) : undefined;
    if (svgPath !== undefined && !(existsSync(dirname(svgPath)) && statSync(dirname(svgPath)).isDirectory())) {
      throw new ToolUsageError(`--svg ${o.svg}: no such directory ${dirname(svgPath)}`);
    }
    const duration = args[0] !== undefined ? Number(args[0]) : undefined;
    const kernelStacks = !o.userStacksOnly;
    const userStacks = !o.kernelStacksOnly;
    const frequency = o.count === undefined ? (o.frequency ?? 49) : undefined;
    const maxRate = maxSampleRate();
    if (frequency !== undefined && maxRate !== undefined && frequency > maxRate) {
      throw new ToolUsageError(`-F ${frequency} is above the kernel's limit of ${maxRate} Hz (sysctl kernel.perf_event_max_sample_rate)`);
    }

    const session = new ToolSession(ctx, samplerSpec({
      ...(o.pid ? { pids: o.pid } : {}),
      ...(o.tid ? { tids: o.tid } : {}),
      kernelStacks, userStacks, includeIdle: o.includeIdle === true, perThread: o.tid !== undefined,
      stackStorageSize: o.stackStorageSize, maxCounts: Math.max(10240, o.stackStorageSize),
    }));
    const sampling = perfEvent(session.program('profile_sample'), {
      ...(frequency !== undefined ? { frequency } : { period: o.count! }),
      ...(o.cpu !== undefined ? { cpus: [o.cpu] } : {}),
    });
    session.own(sampling);

    if (!ctx.json && !o.folded) {
      const rate = frequency !== undefined ? `${frequency} Hertz` : `1 every ${o.count} events`;
      const who = o.pid ? `PID ${o.pid.join(',')}` : o.tid ? `TID ${o.tid.join(',')}` : 'all threads';
      const what = kernelStacks && userStacks ? 'user + kernel' : userStacks ? 'user' : 'kernel';
      const cpu = o.cpu !== undefined ? ` on CPU#${o.cpu}` : '';
      ctx.write(`Sampling at ${rate} of ${who} by ${what} stack${cpu}${duration !== undefined ? ` for ${duration} secs.` : '... Hit Ctrl-C to end.'}\n`);
    }

    const counts = session.map('counts');
    const users = new UserSymbolizer();
    // Capture each process's mappings while it runs: by the end it may have exited.
    const captureNewProcesses = () => {
      if (!userStacks) return;
      for (const key of counts.keys()) {
        const pid = decodeKey(key).pid;
        if (pid !== 0 && !users.has(pid)) users.snapshot(pid);
      }
    };
    const deadline = duration !== undefined ? Date.now() + duration * 1000 : Infinity;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const stopped = await ctx.sleep(Math.min(POLL_MS, left));
      captureNewProcesses();
      if (stopped) break;
    }
    sampling.close(); // stop sampling before reading, so the counts and stacks are one consistent picture

    const samples: Array<[SampleKey, number]> = [];
    for (const [key, value] of counts.entries()) {
      samples.push([decodeKey(key), Number(new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0, true))]);
    }
    const stacks = symbolize(session, samples, users, kernelStacks, userStacks);
    report(ctx, o, stacks);
    if (svgPath !== undefined) {
      const total = stacks.reduce((n, s) => n + s.count, 0);
      const who = o.pid ? `pid ${o.pid.join(',')}` : o.tid ? `tid ${o.tid.join(',')}` : 'all processes';
      writeFileSync(svgPath, flameGraphSvg(stacks, {
        title: 'CPU Flame Graph',
        subtitle: `bpfkit profile: ${who}, ${frequency !== undefined ? `${frequency} Hz` : `every ${o.count} events`}, ${total} samples`,
      }));
      process.stderr.write(`bpfkit profile: wrote a flame graph of ${total} samples (${stacks.length} stacks) to ${o.svg}\n`);
    }
  },
});

/** The highest sampling frequency the kernel accepts (it lowers this itself when sampling takes too long). */
function maxSampleRate(): number | undefined {
  try {
    return Number(readFileSync('/proc/sys/kernel/perf_event_max_sample_rate', 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** Reads the stacks behind the counted ids and names their frames. */
function symbolize(session: ToolSession, samples: Array<[SampleKey, number]>, users: UserSymbolizer, kernelStacks: boolean, userStacks: boolean): ProfiledStack[] {
  const stackMap = session.map('stacks');
  const codec = stackFrames(DEFAULT_STACK_DEPTH);
  const ips = new Map<number, bigint[] | undefined>();
  const readStack = (id: number) => {
    if (!ips.has(id)) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, id, true);
      const raw = stackMap.lookup(key);
      ips.set(id, raw ? codec.decode(raw) : undefined);
    }
    return ips.get(id);
  };
  let kallsyms: KernelSymbols | undefined;
  const half = (id: number, name: (addr: bigint) => string): StackHalf => {
    if (id === -EFAULT) return { frames: [], missed: false }; // no such stack (kernel thread, or sampled in user mode)
    const addrs = id >= 0 ? readStack(id) : undefined;
    if (!addrs) return { frames: [], missed: true };
    return { frames: addrs.map((addr): Frame => ({ addr, name: name(addr) })), missed: false };
  };
  if (userStacks) for (const pid of new Set(samples.map(([k]) => k.pid))) if (pid !== 0) users.snapshot(pid);
  return samples.map(([k, count]) => {
    const s: ProfiledStack = { pid: k.pid, tid: k.tid, comm: k.comm, count };
    if (kernelStacks) {
      s.kernel = half(k.kernelStackId, (addr) => (kallsyms ??= KernelSymbols.load()).lookup(addr) ?? UNKNOWN);
    }
    if (userStacks) s.user = half(k.userStackId, (addr) => users.lookup(k.pid, addr) ?? UNKNOWN);
    return s;
  });
}

function report(ctx: ToolContext, o: Options, stacks: ProfiledStack[]): void {
  const format = { delimited: o.delimited === true, annotations: o.annotations === true };
  const sorted = byCount(stacks);
  if (ctx.json) {
    for (const s of sorted) ctx.writeJson(stackJson(s));
  } else if (o.folded) {
    ctx.write(foldStacks(sorted, format).map(({ line, count }) => `${line} ${count}\n`).join(''));
  } else {
    ctx.write(sorted.map((s) => formatStack(s, format)).join(''));
  }
  const missed = stacks.filter((s) => s.kernel?.missed || s.user?.missed).length;
  if (missed > 0) {
    process.stderr.write(`WARNING: ${missed} stack traces could not be displayed. Consider increasing --stack-storage-size.\n`);
  }
}
