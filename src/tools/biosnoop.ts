// biosnoop: one line per block I/O, as libbpf-tools' biosnoop prints it. Who issued a request is recorded at
// block_io_start (process context, when a bio becomes a request), its start at block_rq_issue (and block_rq_insert
// with -Q for the OS queue time), and the line is sent at block_rq_complete. All keyed by the struct request pointer.
import { FP, program, R0, R1, R2, R3, R4, R6, R7, R8, R9 } from '../isa/builder.js';
import { Helper } from '../isa/helpers.js';
import { UpdateFlags } from '../sys/constants.js';
import type { CollectionSpec } from '../spec/collection.js';
import { emitForgetStart, emitLookupStart, emitRequestDev, hashMap, requestLayout } from './block/bpf.js';
import { DiskNames } from './block/disks.js';
import { flagsJson, rwbs } from './block/flags.js';
import { comm } from './framework/format.js';
import { ToolSession, tpBtfProgram } from './framework/session.js';
import { emitReserve, ringbufMaps } from './framework/lost.js';
import { defineTool, positiveInt, type ToolContext } from './framework/tool.js';
import { cgroupFilterMap, emitCgroupFilter } from './framework/cgroup-filter.js';

interface Options {
  disk?: string;
  queued?: boolean;
  cgroup?: string;
}

interface Plan {
  queued: boolean;
  dev?: number;
  cgroup: boolean;
}

// Event: u64 completion ns, u64 latency ns, u64 queued ns (~0 = not seen), u64 sector, u32 bytes, u32 pid,
// u32 dev, u32 cmd_flags, char comm[16].
const EVENT_SIZE = 64;
// start map value: u64 insert ns (0 = not seen), u64 issue ns. who map value: u32 pid, u32 pad, char comm[16].
const WHO_SIZE = 24;

/** Skips (to 'out') requests for other disks than -d's. R6 holds the request; clobbers R7, R8. */
function emitDiskFilter(b: ReturnType<typeof program>, plan: Plan): void {
  if (plan.dev === undefined) return;
  emitRequestDev(b, R6, R7, R8);
  b.jne(R7, plan.dev, 'out');
}

function ioStartProgram(plan: Plan) {
  const b = program();
  b.ldx('dw', R6, R1, 0);
  emitDiskFilter(b, plan);
  b.stx('dw', FP, -8, R6);
  if (plan.cgroup) emitCgroupFilter(b, 'outside');
  b.call(Helper.get_current_pid_tgid).rsh(R0, 32).stx('dw', FP, -32, R0);
  b.mov(R1, FP).add(R1, -24).mov(R2, 16).call(Helper.get_current_comm);
  b.loadMap(R1, 'who').mov(R2, FP).add(R2, -8).mov(R3, FP).add(R3, -32).mov(R4, UpdateFlags.ANY).call(Helper.map_update_elem);
  if (plan.cgroup) {
    // Outside the cgroup: forget whoever used this request pointer before (a request merged away never completes).
    b.ja('out').label('outside').loadMap(R1, 'who').mov(R2, FP).add(R2, -8).call(Helper.map_delete_elem);
  }
  b.label('out').mov(R0, 0).exit();
  return tpBtfProgram('io_start', 'block_io_start', b.build());
}

/** block_rq_insert (-Q): the request enters the OS queue now. */
function insertProgram(plan: Plan) {
  const b = program();
  b.ldx('dw', R6, R1, 0);
  emitDiskFilter(b, plan);
  b.stx('dw', FP, -8, R6);
  b.call(Helper.ktime_get_ns).stx('dw', FP, -24, R0).st('dw', FP, -16, 0);
  b.loadMap(R1, 'start').mov(R2, FP).add(R2, -8).mov(R3, FP).add(R3, -24).mov(R4, UpdateFlags.ANY).call(Helper.map_update_elem);
  b.label('out').mov(R0, 0).exit();
  return tpBtfProgram('rq_insert', 'block_rq_insert', b.build());
}

/** block_rq_issue: the device gets the request now (keeps the insert time if -Q saw one). */
function issueProgram(plan: Plan) {
  const b = program();
  b.ldx('dw', R6, R1, 0);
  emitDiskFilter(b, plan);
  b.stx('dw', FP, -8, R6);
  if (plan.queued) {
    b.loadMap(R1, 'start').mov(R2, FP).add(R2, -8).call(Helper.map_lookup_elem);
    b.jeq(R0, 0, 'fresh').mov(R7, R0).call(Helper.ktime_get_ns).stx('dw', R7, 8, R0).ja('out');
    b.label('fresh');
  }
  b.call(Helper.ktime_get_ns).stx('dw', FP, -16, R0).st('dw', FP, -24, 0);
  b.loadMap(R1, 'start').mov(R2, FP).add(R2, -8).mov(R3, FP).add(R3, -24).mov(R4, UpdateFlags.ANY).call(Helper.map_update_elem);
  b.label('out').mov(R0, 0).exit();
  return tpBtfProgram('rq_issue', 'block_rq_issue', b.build());
}

function completeProgram(plan: Plan) {
  const layout = requestLayout();
  const b = program();
  emitLookupStart(b, 'out');
  b.ldx('dw', R7, R0, 0).ldx('dw', R8, R0, 8); // insert ns, issue ns
  b.stx('dw', FP, -16, R7).stx('dw', FP, -24, R8);
  emitForgetStart(b);
  emitReserve(b, EVENT_SIZE, 'out');
  b.mov(R9, R0);
  b.call(Helper.ktime_get_ns).stx('dw', R9, 0, R0);
  b.ldx('dw', R8, FP, -24).sub(R0, R8).stx('dw', R9, 8, R0);
  // Queue time: issue - insert when the insert was seen, else ~0 ("-1" as libbpf-tools print it).
  b.ldx('dw', R7, FP, -16).mov(R0, -1).jeq(R7, 0, 'no_queue').mov(R0, R8).sub(R0, R7).label('no_queue').stx('dw', R9, 16, R0);
  b.ldx('dw', R0, R6, layout.sector).stx('dw', R9, 24, R0);
  b.ldx('w', R0, R6, layout.dataLen).stx('w', R9, 32, R0);
  emitRequestDev(b, R6, R7, R8);
  b.stx('w', R9, 40, R7);
  b.ldx('w', R0, R6, layout.cmdFlags).stx('w', R9, 44, R0);
  // Who: recorded at block_io_start; pid 0 and comm "?" when not seen (no bio, or before we attached).
  b.loadMap(R1, 'who').mov(R2, FP).add(R2, -8).call(Helper.map_lookup_elem);
  b.jeq(R0, 0, 'unknown');
  b.ldx('w', R1, R0, 0).stx('w', R9, 36, R1);
  b.ldx('dw', R1, R0, 8).stx('dw', R9, 48, R1).ldx('dw', R1, R0, 16).stx('dw', R9, 56, R1);
  b.loadMap(R1, 'who').mov(R2, FP).add(R2, -8).call(Helper.map_delete_elem);
  b.ja('submit');
  b.label('unknown');
  if (plan.cgroup) {
    // -c: only requests whose issuer was seen inside the cgroup.
    b.mov(R1, R9).mov(R2, 0).call(Helper.ringbuf_discard).ja('out');
  } else {
    b.st('w', R9, 36, 0).st('dw', R9, 48, 0x3f).st('dw', R9, 56, 0);
  }
  b.label('submit').mov(R1, R9).mov(R2, 0).call(Helper.ringbuf_submit);
  b.label('out').mov(R0, 0).exit();
  return tpBtfProgram('rq_complete', 'block_rq_complete', b.build());
}

function buildSpec(ctx: ToolContext, plan: Plan, cgroupPath?: string): CollectionSpec {
  const maps: CollectionSpec['maps'] = {
    start: hashMap('start', 8, 16),
    who: hashMap('who', 8, WHO_SIZE),
    ...ringbufMaps(1024 * 1024),
  };
  if (cgroupPath !== undefined) {
    const spec = cgroupFilterMap(ctx, cgroupPath);
    maps[spec.name] = spec;
  }
  const programs: CollectionSpec['programs'] = {
    io_start: ioStartProgram(plan),
    rq_issue: issueProgram(plan),
    rq_complete: completeProgram(plan),
  };
  if (plan.queued) programs.rq_insert = insertProgram(plan);
  return { maps, programs };
}

export default defineTool<Options>({
  name: 'biosnoop',
  summary: 'trace block I/O: one line per request with process, disk, sector, size and latency',
  examples: [
    'bpfkit biosnoop              # trace all block I/O',
    'bpfkit biosnoop -Q           # include OS queued time in I/O time',
    'bpfkit biosnoop 10           # trace for 10 seconds only',
    'bpfkit biosnoop -d vda       # trace vda only',
    'bpfkit biosnoop -c CG        # trace processes under cgroup path CG',
  ],
  configure(command) {
    command
      .option('-d, --disk <DISK>', 'trace this disk only')
      .option('-Q, --queued', 'include OS queued time in I/O time')
      .option('-c, --cgroup <PATH>', 'trace processes in this cgroup v2 directory (e.g. /sys/fs/cgroup/unified/CG)')
      .argument('[duration]', 'total duration of trace in seconds', positiveInt('duration'));
  },
  async run(options, args, ctx) {
    const duration = args[0] !== undefined ? Number(args[0]) : undefined;
    const disks = new DiskNames();
    const plan: Plan = { queued: options.queued === true, dev: options.disk !== undefined ? disks.devOf(options.disk) : undefined, cgroup: options.cgroup !== undefined };
    const session = new ToolSession(ctx, buildSpec(ctx, plan, options.cgroup));
    let firstNs: bigint | undefined;
    session.reportLost();
    session.ringbuf('events', (r) => {
      const ns = r.getBigUint64(0, true);
      firstNs ??= ns;
      const latNs = r.getBigUint64(8, true);
      const queNs = r.getBigUint64(16, true);
      const sector = r.getBigInt64(24, true);
      const bytes = r.getUint32(32, true);
      const pid = r.getUint32(36, true);
      const disk = disks.name(r.getUint32(40, true));
      const cmdFlags = r.getUint32(44, true);
      const who = comm(r, 48);
      const seconds = Number(ns - firstNs) / 1e9;
      const queMs = queNs === 0xffffffffffffffffn ? -1 : Number(queNs) / 1e6;
      const latMs = Number(latNs) / 1e6;
      if (ctx.json) {
        ctx.writeJson({
          time_s: seconds, comm: who, pid, disk, rwbs: rwbs(cmdFlags), ...flagsJson(cmdFlags), sector, bytes,
          ...(plan.queued ? { que_ms: queMs } : {}), lat_ms: latMs,
        });
        return;
      }
      let line = `${seconds.toFixed(6).padEnd(11)} ${who.slice(0, 14).padEnd(14)} ${String(pid).padEnd(7)} ${disk.padEnd(7)} ${rwbs(cmdFlags).padEnd(4)} ${String(sector).padEnd(10)} ${String(bytes).padEnd(7)} `;
      if (plan.queued) line += `${queMs.toFixed(3).padStart(7)} `;
      ctx.write(`${line}${latMs.toFixed(3).padStart(7)}\n`);
    });
    session.tpBtf('io_start', 'block_io_start');
    if (plan.queued) session.tpBtf('rq_insert', 'block_rq_insert');
    session.tpBtf('rq_issue', 'block_rq_issue');
    session.tpBtf('rq_complete', 'block_rq_complete');
    if (!ctx.json) {
      ctx.write(`${'TIME(s)'.padEnd(11)} ${'COMM'.padEnd(14)} ${'PID'.padEnd(7)} ${'DISK'.padEnd(7)} ${'T'.padEnd(4)} ${'SECTOR'.padEnd(10)} ${'BYTES'.padEnd(7)} ${plan.queued ? `${'QUE(ms)'.padStart(7)} ` : ''}${'LAT(ms)'.padStart(7)}\n`);
    }
    if (duration !== undefined) await ctx.sleep(duration * 1000);
    else await ctx.stopped;
  },
});
