// filetop: top for files — reads and writes per thread and file each interval, in libbpf-tools' columns. The
// kernel side (file/fd-io.ts) counts read/write syscalls by the file behind their fd; each interval we print the
// busiest rows and empty the map.
import { readFileSync } from 'node:fs';
import { Option } from 'commander';
import { ToolSession } from './framework/session.js';
import { defineTool, everyInterval, intervalAndCount, positiveInt } from './framework/tool.js';
import { clockNow } from './framework/format.js';
import { decodeFileStat, fdIoSpec, type FileStat } from './file/fd-io.js';

const SORTS = ['all', 'reads', 'writes', 'rbytes', 'wbytes'] as const;
type Sort = (typeof SORTS)[number];

const sortKey: Record<Sort, (s: FileStat) => number> = {
  all: (s) => s.reads + s.writes + s.readBytes + s.writeBytes,
  reads: (s) => s.reads,
  writes: (s) => s.writes,
  rbytes: (s) => s.readBytes,
  wbytes: (s) => s.writeBytes,
};

interface Options {
  all?: boolean;
  noclear?: boolean;
  pid?: number;
  rows: number;
  sort: Sort;
}

const CLEAR_SCREEN = '\x1b[H\x1b[2J';

export default defineTool<Options>({
  name: 'filetop',
  summary: 'file reads and writes by thread and file, refreshed every interval (top for files)',
  examples: [
    'bpfkit filetop            # file I/O top, refresh every 1s',
    'bpfkit filetop -p 1216    # only trace PID 1216',
    'bpfkit filetop 5 10       # 5s summaries, 10 times',
    'bpfkit filetop -C -r 8    # don\'t clear the screen, top 8 rows only',
  ],
  configure(command) {
    command
      .option('-a, --all', 'include special files (sockets, pipes, ...)')
      .option('-C, --noclear', "don't clear the screen")
      .option('-p, --pid <PID>', 'process ID to trace', positiveInt('pid'))
      .option('-r, --rows <ROWS>', 'maximum rows to print', positiveInt('rows'), 20)
      .addOption(new Option('-s, --sort <SORT>', 'sort column').choices(SORTS).default('all'))
      .argument('[interval]', 'output interval, in seconds (default 1)', positiveInt('interval'))
      .argument('[count]', 'number of outputs', positiveInt('count'));
  },
  async run(options, args, ctx) {
    const { interval = 1, count } = intervalAndCount(args);
    const session = new ToolSession(ctx, fdIoSpec({ pid: options.pid, allFiles: options.all === true }));
    session.tpBtf('io_exit', 'sys_exit');
    session.tpBtf('io_enter', 'sys_enter');
    const stats = session.map('stats');
    if (!ctx.json) ctx.write(`Tracing... Output every ${interval} secs. Hit Ctrl-C to end\n`);

    await everyInterval(ctx, interval, count, () => {
      // Take each entry out of the map as we read it (in batches, few syscalls): the next interval starts from zero.
      const rows: FileStat[] = [];
      for (const [, value] of stats.drainBatched()) rows.push(decodeFileStat(value));
      const by = sortKey[options.sort];
      rows.sort((a, b) => by(b) - by(a));
      const shown = rows.slice(0, options.rows);
      const time = clockNow();
      if (ctx.json) {
        ctx.writeJson({
          time,
          rows: shown.map((s) => ({
            tid: s.tid, pid: s.pid, comm: s.comm, reads: s.reads, writes: s.writes,
            r_kb: Math.floor(s.readBytes / 1024), w_kb: Math.floor(s.writeBytes / 1024),
            rbytes: s.readBytes, wbytes: s.writeBytes, t: s.type, file: s.file,
          })),
        });
        return;
      }
      let out = options.noclear ? '' : CLEAR_SCREEN;
      out += `${time.padStart(8)} loadavg: ${loadavg()}\n`;
      out += `${'TID'.padEnd(7)} ${'COMM'.padEnd(16)} ${'READS'.padEnd(6)} ${'WRITES'.padEnd(6)} ${'R_Kb'.padEnd(7)} ${'W_Kb'.padEnd(7)} T FILE\n`;
      for (const s of shown) {
        out += `${String(s.tid).padEnd(7)} ${s.comm.padEnd(16)} ${String(s.reads).padEnd(6)} ${String(s.writes).padEnd(6)} `;
        out += `${String(Math.floor(s.readBytes / 1024)).padEnd(7)} ${String(Math.floor(s.writeBytes / 1024)).padEnd(7)} ${s.type} ${s.file}\n`;
      }
      ctx.write(out);
    });
  },
});

/** /proc/loadavg as printed after the clock (it ends with a newline, hence the blank line before the header). */
function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8');
  } catch {
    return '\n';
  }
}
