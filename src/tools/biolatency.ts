// biolatency: block I/O latency as a log2 histogram, as libbpf-tools' biolatency prints it. tp_btf programs on the
// block tracepoints: the start time of each request (keyed by its struct request pointer) at block_rq_issue (or at
// block_rq_insert with -Q, so OS queue time counts), and the latency at block_rq_complete.
import { FP, program, R0, R1, R2, R3, R4, R6, R7, R8, R9 } from '../isa/builder.js';
import { Helper } from '../isa/helpers.js';
import { UpdateFlags } from '../sys/constants.js';
import type { CollectionSpec } from '../spec/collection.js';
import { emitForgetStart, emitLookupStart, emitRequestDev, gatherSlots, hashMap, requestLayout } from './block/bpf.js';
import { emitCount } from './framework/kit.js';
import { DiskNames } from './block/disks.js';
import { describeFlags, flagsJson, SHOWN_FLAGS_MASK } from './block/flags.js';
import { clockNow } from './framework/format.js';
import { formatLog2Hist, log2HistJson, MAX_SLOTS } from './framework/histogram.js';
import { emitLog2Slot } from './framework/kit.js';
import { ToolSession, tpBtfProgram } from './framework/session.js';
import { defineTool, everyInterval, intervalAndCount, intervalArguments, type ToolContext } from './framework/tool.js';
import { cgroupFilterMap, emitCgroupFilter } from './framework/cgroup-filter.js';

interface Options {
  timestamp?: boolean;
  milliseconds?: boolean;
  queued?: boolean;
  perDisk?: boolean;
  flag?: boolean;
  disk?: string;
  cgroup?: string;
}

interface Plan {
  queued: boolean;
  perDisk: boolean;
  perFlag: boolean;
  milliseconds: boolean;
  /** Only requests for this dev_t (-d), or undefined for all. */
  dev?: number;
  /** -c: only requests issued by tasks in the cgroup (marked at block_io_start). */
  cgroup: boolean;
}

// Histogram key: u32 dev, u32 cmd_flags, u32 slot, u32 pad → u64 count.
const KEY_SIZE = 16;
const SLOT_OFFSET = 8;

/** block_rq_issue / block_rq_insert: remember when the request started (NOEXIST keeps an earlier insert time). */
function startProgram(name: string, event: string, plan: Plan, updateFlags: number) {
  const b = program();
  b.ldx('dw', R6, R1, 0); // args[0]: struct request *
  if (plan.dev !== undefined) {
    emitRequestDev(b, R6, R7, R8);
    b.jne(R7, plan.dev, 'out');
  }
  b.stx('dw', FP, -8, R6);
  if (plan.cgroup) b.loadMap(R1, 'in_cgroup').mov(R2, FP).add(R2, -8).call(Helper.map_lookup_elem).jeq(R0, 0, 'out');
  b.call(Helper.ktime_get_ns).stx('dw', FP, -16, R0);
  b.loadMap(R1, 'start').mov(R2, FP).add(R2, -8).mov(R3, FP).add(R3, -16).mov(R4, updateFlags).call(Helper.map_update_elem);
  b.label('out').mov(R0, 0).exit();
  return tpBtfProgram(name, event, b.build());
}

/** block_rq_complete: latency since the start, into the histogram of its (disk, flags). */
function completeProgram(plan: Plan) {
  const layout = requestLayout();
  const b = program();
  emitLookupStart(b, 'out');
  b.ldx('dw', R7, R0, 0);
  emitForgetStart(b);
  if (plan.cgroup) b.loadMap(R1, 'in_cgroup').mov(R2, FP).add(R2, -8).call(Helper.map_delete_elem);
  b.call(Helper.ktime_get_ns).sub(R0, R7).mov(R7, R0);
  b.jslt(R7, 0, 'out');
  b.div(R7, plan.milliseconds ? 1_000_000 : 1000);
  emitLog2Slot(b, R7, R8, R9);
  b.stx('w', FP, -32 + SLOT_OFFSET, R9).st('w', FP, -20, 0);
  if (plan.perDisk) {
    emitRequestDev(b, R6, R7, R8);
    b.stx('w', FP, -32, R7);
  } else b.st('w', FP, -32, 0);
  if (plan.perFlag) {
    b.ldx('w', R7, R6, layout.cmdFlags).and(R7, SHOWN_FLAGS_MASK).stx('w', FP, -28, R7);
  } else b.st('w', FP, -28, 0);
  emitCount(b, 'hists', { reg: FP, off: -32 }, { reg: FP, off: -16 });
  b.label('out').mov(R0, 0).exit();
  return tpBtfProgram('rq_complete', 'block_rq_complete', b.build());
}

/**
 * block_io_start (-c): a bio becomes a request in the issuing task's context, the one place where "which cgroup
 * issued this I/O" has an answer (issue and completion often run in kworkers or interrupts). Marks it, or unmarks a
 * reused request pointer.
 */
function cgroupMarkProgram() {
  const b = program();
  b.ldx('dw', R6, R1, 0).stx('dw', FP, -8, R6);
  emitCgroupFilter(b, 'outside');
  b.st('dw', FP, -16, 1);
  b.loadMap(R1, 'in_cgroup').mov(R2, FP).add(R2, -8).mov(R3, FP).add(R3, -16).mov(R4, UpdateFlags.ANY).call(Helper.map_update_elem);
  b.ja('out');
  b.label('outside').loadMap(R1, 'in_cgroup').mov(R2, FP).add(R2, -8).call(Helper.map_delete_elem);
  b.label('out').mov(R0, 0).exit();
  return tpBtfProgram('io_start', 'block_io_start', b.build());
}

function buildSpec(ctx: ToolContext, plan: Plan, cgroupPath?: string): CollectionSpec {
  const programs: CollectionSpec['programs'] = {
    rq_issue: startProgram('rq_issue', 'block_rq_issue', plan, plan.queued ? UpdateFlags.NOEXIST : UpdateFlags.ANY),
    rq_complete: completeProgram(plan),
  };
  if (plan.queued) programs.rq_insert = startProgram('rq_insert', 'block_rq_insert', plan, UpdateFlags.ANY);
  const maps: CollectionSpec['maps'] = { start: hashMap('start', 8, 8), hists: hashMap('hists', KEY_SIZE, 8) };
  if (cgroupPath !== undefined) {
    const filter = cgroupFilterMap(ctx, cgroupPath);
    maps[filter.name] = filter;
    maps.in_cgroup = hashMap('in_cgroup', 8, 8);
    programs.io_start = cgroupMarkProgram();
  }
  return { maps, programs };
}

export default defineTool<Options>({
  name: 'biolatency',
  summary: 'summarize block device I/O latency as a histogram',
  examples: [
    'bpfkit biolatency              # summarize block I/O latency as a histogram',
    'bpfkit biolatency 1 10         # print 1 second summaries, 10 times',
    'bpfkit biolatency -mT 1        # 1s summaries, milliseconds, and timestamps',
    'bpfkit biolatency -Q           # include OS queued time in I/O time',
    'bpfkit biolatency -D           # show each disk device separately',
    'bpfkit biolatency -F           # show I/O flags separately',
    'bpfkit biolatency -d vda       # trace vda only',
    'bpfkit biolatency -c CG        # trace I/O of processes under cgroup path CG',
  ],
  configure(command) {
    command
      .option('-T, --timestamp', 'include timestamp on output')
      .option('-m, --milliseconds', 'millisecond histogram')
      .option('-Q, --queued', 'include OS queued time in I/O time')
      .option('-D, --per-disk', 'print a histogram per disk device')
      .option('-F, --flag', 'print a histogram per set of I/O flags')
      .option('-d, --disk <DISK>', 'trace this disk only')
      .option('-c, --cgroup <PATH>', 'trace I/O issued by processes in this cgroup v2 directory (e.g. /sys/fs/cgroup/unified/CG)');
    intervalArguments(command);
  },
  async run(options, args, ctx) {
    const { interval, count } = intervalAndCount(args);
    const disks = new DiskNames();
    const plan: Plan = {
      queued: options.queued === true,
      perDisk: options.perDisk === true,
      perFlag: options.flag === true,
      milliseconds: options.milliseconds === true,
      dev: options.disk !== undefined ? disks.devOf(options.disk) : undefined,
      cgroup: options.cgroup !== undefined,
    };
    const units = plan.milliseconds ? 'msecs' : 'usecs';
    const session = new ToolSession(ctx, buildSpec(ctx, plan, options.cgroup));
    if (plan.cgroup) session.tpBtf('io_start', 'block_io_start');
    if (plan.queued) session.tpBtf('rq_insert', 'block_rq_insert');
    session.tpBtf('rq_issue', 'block_rq_issue');
    session.tpBtf('rq_complete', 'block_rq_complete');
    const hists = session.map('hists');
    if (!ctx.json) ctx.write('Tracing block device I/O... Hit Ctrl-C to end.\n');

    await everyInterval(ctx, interval, count, () => {
      const groups = [...gatherSlots(hists.drainBatched(), SLOT_OFFSET, MAX_SLOTS).values()].map(({ key, slots }) => {
        const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
        return { dev: view.getUint32(0, true), flags: view.getUint32(4, true), slots };
      });
      groups.sort((a, b) => disks.name(a.dev).localeCompare(disks.name(b.dev)) || a.flags - b.flags);
      const time = clockNow();
      if (ctx.json) {
        ctx.writeJson({
          time,
          histograms: groups.map((g) => ({
            ...(plan.perDisk ? { disk: disks.name(g.dev) } : {}),
            ...(plan.perFlag ? { label: describeFlags(g.flags), ...flagsJson(g.flags) } : {}),
            ...log2HistJson(g.slots, units),
          })),
        });
        return;
      }
      let out = '\n';
      if (options.timestamp) out += `${time}\n`;
      for (const g of groups) {
        if (plan.perDisk) out += `\ndisk = ${disks.name(g.dev)}\t`;
        if (plan.perFlag) out += `flags = ${describeFlags(g.flags)}`;
        out += '\n' + formatLog2Hist(g.slots, units);
      }
      ctx.write(out);
    });
  },
});
