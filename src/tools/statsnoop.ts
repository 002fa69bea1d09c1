// statsnoop: the stat family (statfs, stat, lstat, newfstatat, statx) with process, result and path, in
// libbpf-tools' columns. Same kernel side as opensnoop: file/path-syscalls.ts.
import { ToolSession } from './framework/session.js';
import { defineTool, positiveInt } from './framework/tool.js';
import { bootTimeOffsetNs } from './framework/format.js';
import { decodePathEvent, pathSyscallSpec, type PathSyscall } from './file/path-syscalls.js';

/** x86-64: statfs(path), stat(path), lstat(path), newfstatat(dfd, path), statx(dfd, path): the ones with a path. */
const STAT_CALLS: PathSyscall[] = [
  { nr: 137, pathArg: 0 },
  { nr: 4, pathArg: 0 },
  { nr: 6, pathArg: 0 },
  { nr: 262, pathArg: 1 },
  { nr: 332, pathArg: 1 },
];

interface Options {
  pid?: number;
  timestamp?: boolean;
  failed?: boolean;
}

export default defineTool<Options>({
  name: 'statsnoop',
  summary: 'trace stat syscalls (statfs, stat, lstat, newfstatat, statx): process, result, path',
  examples: [
    'bpfkit statsnoop             # trace all stat syscalls',
    'bpfkit statsnoop -t          # include timestamps',
    'bpfkit statsnoop -x          # only show failed stats',
    'bpfkit statsnoop -p 1216     # only trace PID 1216',
  ],
  configure(command) {
    command
      .option('-p, --pid <PID>', 'process ID to trace', positiveInt('pid'))
      .option('-t, --timestamp', 'include timestamp on output (seconds since the first event)')
      .option('-x, --failed', 'only show failed stats');
  },
  async run(options, _args, ctx) {
    const session = new ToolSession(ctx, pathSyscallSpec(STAT_CALLS, { pid: options.pid, failedOnly: options.failed }));
    const offset = bootTimeOffsetNs();
    let firstNs: bigint | undefined;
    session.reportLost();
    session.ringbuf('events', (r) => {
      const e = decodePathEvent(r);
      // libbpf-tools prints -1 and the errno for a failure, the return value (0) and 0 otherwise.
      const ret = e.ret >= 0 ? e.ret : -1;
      const err = e.ret >= 0 ? 0 : -e.ret;
      if (ctx.json) {
        ctx.writeJson({ time: Number(e.ns + offset) / 1e9, pid: e.pid, comm: e.comm, ret, err, path: e.path });
        return;
      }
      let line = '';
      if (options.timestamp) {
        firstNs ??= e.ns;
        line += `${(Number(e.ns - firstNs) / 1e9).toFixed(3).padEnd(14)} `;
      }
      ctx.write(`${line}${String(e.pid).padEnd(7)} ${e.comm.padEnd(20)} ${String(ret).padEnd(4)} ${String(err).padEnd(4)} ${e.path}\n`);
    });
    session.tpBtf('path_exit', 'sys_exit');
    session.tpBtf('path_enter', 'sys_enter');
    if (!ctx.json) ctx.write(`${options.timestamp ? `${'TIME(s)'.padEnd(14)} ` : ''}${'PID'.padEnd(7)} ${'COMM'.padEnd(20)} ${'RET'.padEnd(4)} ${'ERR'.padEnd(4)} PATH\n`);
    await ctx.stopped;
  },
});
