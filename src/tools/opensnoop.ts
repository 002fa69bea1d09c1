// opensnoop: every open(), openat() and openat2() with its process, result and path, in libbpf-tools' columns.
// Two tp_btf programs (sys_enter, sys_exit) do the work; see file/path-syscalls.ts.
import { ToolSession } from './framework/session.js';
import { defineTool, nonNegativeInt, positiveInt } from './framework/tool.js';
import { bootTimeOffsetNs, formatClock } from './framework/format.js';
import { decodePathEvent, pathSyscallSpec, type PathSyscall } from './file/path-syscalls.js';

/** x86-64: open(path, flags), openat(dfd, path, flags), openat2(dfd, path, struct open_how *how). */
const OPEN_CALLS: PathSyscall[] = [
  { nr: 2, pathArg: 0, flagsArg: 1 },
  { nr: 257, pathArg: 1, flagsArg: 2 },
  { nr: 437, pathArg: 1, flagsPtrArg: 2 },
];

interface Options {
  pid?: number;
  tid?: number;
  uid?: number;
  printUid?: boolean;
  timestamp?: boolean;
  failed?: boolean;
  name?: string;
  extendedFields?: boolean;
  duration?: number;
}

export default defineTool<Options>({
  name: 'opensnoop',
  summary: 'trace open(), openat() and openat2() calls: process, fd or error, path',
  examples: [
    'bpfkit opensnoop           # trace all open() syscalls',
    'bpfkit opensnoop -T        # include timestamps',
    'bpfkit opensnoop -U        # include UID',
    'bpfkit opensnoop -x        # only show failed opens',
    'bpfkit opensnoop -p 181    # only trace PID 181',
    'bpfkit opensnoop -t 123    # only trace TID 123',
    'bpfkit opensnoop -u 1000   # only trace UID 1000',
    'bpfkit opensnoop -d 10     # trace for 10 seconds only',
    'bpfkit opensnoop -n main   # only print process names containing "main"',
    'bpfkit opensnoop -e        # show extended fields (open flags)',
  ],
  configure(command) {
    command
      .option('-d, --duration <DURATION>', 'duration to trace (seconds)', positiveInt('duration'))
      .option('-e, --extended-fields', 'print extended fields (the open flags, octal)')
      .option('-n, --name <NAME>', 'trace process names containing this')
      .option('-p, --pid <PID>', 'process ID to trace', positiveInt('pid'))
      .option('-t, --tid <TID>', 'thread ID to trace', positiveInt('tid'))
      .option('-T, --timestamp', 'print timestamp')
      .option('-u, --uid <UID>', 'user ID to trace', nonNegativeInt('uid'))
      .option('-U, --print-uid', 'print UID')
      .option('-x, --failed', 'failed opens only');
  },
  async run(options, _args, ctx) {
    const spec = pathSyscallSpec(OPEN_CALLS, { pid: options.pid, tid: options.tid, uid: options.uid, failedOnly: options.failed });
    const session = new ToolSession(ctx, spec);
    const offset = bootTimeOffsetNs();
    session.reportLost();
    session.ringbuf('events', (r) => {
      const e = decodePathEvent(r);
      if (options.name !== undefined && !e.comm.includes(options.name)) return;
      // As libbpf-tools: a failed open shows fd -1 and the errno; a successful one the fd and 0.
      const fd = e.ret >= 0 ? e.ret : -1;
      const err = e.ret >= 0 ? 0 : -e.ret;
      if (ctx.json) {
        ctx.writeJson({ time: Number(e.ns + offset) / 1e9, uid: e.uid, pid: e.pid, tid: e.tid, comm: e.comm, fd, err, flags: e.flags, path: e.path });
        return;
      }
      let line = '';
      if (options.timestamp) line += `${formatClock(e.ns + offset).padEnd(8)} `;
      if (options.printUid) line += `${String(e.uid).padEnd(7)} `;
      line += `${String(e.pid).padEnd(6)} ${e.comm.padEnd(16)} ${String(fd).padStart(3)} ${String(err).padStart(3)} `;
      if (options.extendedFields) line += `${e.flags.toString(8).padStart(8, '0')} `;
      ctx.write(`${line}${e.path}\n`);
    });
    session.tpBtf('path_exit', 'sys_exit');
    session.tpBtf('path_enter', 'sys_enter');
    if (!ctx.json) {
      let header = '';
      if (options.timestamp) header += `${'TIME'.padEnd(8)} `;
      if (options.printUid) header += `${'UID'.padEnd(7)} `;
      header += `${'PID'.padEnd(6)} ${'COMM'.padEnd(16)} ${'FD'.padStart(3)} ${'ERR'.padStart(3)} `;
      if (options.extendedFields) header += `${'FLAGS'.padEnd(8)} `;
      ctx.write(`${header}PATH\n`);
    }
    if (options.duration !== undefined) void ctx.sleep(options.duration * 1000).then(() => ctx.stop());
    await ctx.stopped;
  },
});
