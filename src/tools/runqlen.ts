// runqlen: scheduler run queue length, sampled on every CPU at 99 Hz (cpu-clock perf events), as a linear
// histogram or as run queue occupancy, like libbpf-tools' runqlen. The sample reads the CFS run queue of the task
// on the CPU: bpf_get_current_task_btf()->se.cfs_rq->nr_queued (nr_running before Linux 6.14), minus the task itself.
import { FP, program, R0, R1, R2 } from '../isa/builder.js';
import { Helper } from '../isa/helpers.js';
import { possibleCpuCount } from '../kernel/cpus.js';
import { perfEvent } from '../kernel/attach/perf-event.js';
import { MapType, ProgType } from '../sys/constants.js';
import { clockNow } from './framework/format.js';
import { formatLinearHist } from './framework/histogram.js';
import { kernelOffset, kernelOffsetIfAny } from './framework/kernel-types.js';
import { LICENSE, ToolSession } from './framework/session.js';
import { defineTool, everyInterval, intervalAndCount, intervalArguments, positiveInt, type ToolContext } from './framework/tool.js';
import type { BpfMap } from '../kernel/map.js';

/** Lengths 0..SLOTS-1; longer queues count in the last slot. */
const SLOTS = 32;

interface Options {
  cpus?: boolean;
  runqocc?: boolean;
  timestamp?: boolean;
  frequency?: number;
}

/** The run queue length field: renamed nr_running → nr_queued in Linux 6.14. */
function queuedOffset(): number {
  const off = kernelOffsetIfAny('cfs_rq', 'nr_queued') ?? kernelOffsetIfAny('cfs_rq', 'nr_running');
  if (off === undefined) throw new Error("this kernel's struct cfs_rq has neither nr_queued nor nr_running (BTF): cannot read run queue length");
  return off;
}

function sampleProgram() {
  const b = program();
  b.call(Helper.get_current_task_btf);
  b.ldx('dw', R1, R0, kernelOffset('task_struct', 'se.cfs_rq'));
  b.ldx('w', R1, R1, queuedOffset());
  // The running task is in the count; what waits behind it is the queue.
  b.jeq(R1, 0, 'idle').sub(R1, 1).label('idle');
  b.jlt(R1, SLOTS, 'slot').mov(R1, SLOTS - 1).label('slot');
  b.stx('w', FP, -4, R1);
  // Per-CPU slots: each CPU samples only itself (timer context), so a plain add is race-free and -C is free.
  b.loadMap(R1, 'hist').mov(R2, FP).add(R2, -4).call(Helper.map_lookup_elem).jeq(R0, 0, 'out');
  b.ldx('dw', R1, R0, 0).add(R1, 1).stx('dw', R0, 0, R1);
  b.label('out').mov(R0, 0).exit();
  return b.build();
}

/** Per CPU (possible CPU order), the samples of each length since the last call; the counts restart at zero. */
function takeCounts(map: BpfMap, cpus: number): bigint[][] {
  const perCpu = Array.from({ length: cpus }, () => new Array<bigint>(SLOTS).fill(0n));
  const zeros = Array.from({ length: cpus }, () => new Uint8Array(8));
  for (let slot = 0; slot < SLOTS; slot++) {
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, slot, true);
    const values = map.lookupPerCpu(key) ?? [];
    values.forEach((v, cpu) => {
      const n = new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true);
      if (cpu < cpus) perCpu[cpu]![slot] = n;
    });
    if (values.some((v) => v.some((byte) => byte !== 0))) map.updatePerCpu(key, zeros);
  }
  return perCpu;
}

function sum(perCpu: bigint[][]): bigint[] {
  return perCpu.reduce((acc, slots) => acc.map((v, i) => v + slots[i]!), new Array<bigint>(SLOTS).fill(0n));
}

/** Percentage of samples with something queued. */
function occupancy(slots: bigint[]): number {
  const total = slots.reduce((a, b) => a + b, 0n);
  const queued = total - slots[0]!;
  return total === 0n ? 0 : (Number(queued) * 100) / Number(total);
}

function print(ctx: ToolContext, options: Options, perCpu: bigint[][]): void {
  const all = sum(perCpu);
  if (ctx.json) {
    const histogram = (slots: bigint[]) => slots.flatMap((count, length) => (count > 0n ? [{ length, count: Number(count) }] : []));
    const record: Record<string, unknown> = { time: Date.now() / 1000 };
    if (options.runqocc) {
      record.runqocc = options.cpus ? perCpu.map((s, cpu) => ({ cpu, percent: occupancy(s) })) : occupancy(all);
    } else if (options.cpus) {
      record.cpus = perCpu.map((s, cpu) => ({ cpu, buckets: histogram(s) }));
    } else {
      record.buckets = histogram(all);
    }
    ctx.writeJson(record);
    return;
  }
  let text = '\n';
  if (options.timestamp) text += `${clockNow().padEnd(8)}\n`;
  if (options.runqocc) {
    if (options.cpus) perCpu.forEach((s, cpu) => (text += `runqocc, CPU ${String(cpu).padEnd(3)} ${occupancy(s).toFixed(2).padStart(6)}%\n`));
    else text += `runqocc: ${occupancy(all).toFixed(2)}%\n`;
  } else if (options.cpus) {
    perCpu.forEach((s, cpu) => (text += `cpu = ${cpu}\n${formatLinearHist(s, 0, 1, 'runqlen')}`));
  } else {
    text += formatLinearHist(all, 0, 1, 'runqlen');
  }
  ctx.write(text);
}

export default defineTool<Options>({
  name: 'runqlen',
  summary: 'summarize scheduler run queue length as a histogram',
  examples: [
    'bpfkit runqlen         # summarize run queue length as a histogram',
    'bpfkit runqlen 1 10    # print 1 second summaries, 10 times',
    'bpfkit runqlen -T 1    # 1s summaries and timestamps',
    'bpfkit runqlen -O      # report run queue occupancy',
    'bpfkit runqlen -C      # show each CPU separately',
    'bpfkit runqlen -f 199  # sample at 199HZ',
  ],
  configure(command) {
    command
      .option('-C, --cpus', 'print output for each CPU separately')
      .option('-f, --frequency <FREQUENCY>', 'sample with a certain frequency (Hz, default 99)', positiveInt('FREQUENCY'))
      .option('-O, --runqocc', 'report run queue occupancy')
      .option('-T, --timestamp', 'include timestamp on output');
    intervalArguments(command);
  },
  async run(options, args, ctx) {
    const { interval, count } = intervalAndCount(args);
    const session = new ToolSession(ctx, {
      maps: { hist: { name: 'hist', type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: SLOTS } },
      programs: { sample: { name: 'sample', type: ProgType.PERF_EVENT, instructions: sampleProgram(), license: LICENSE } },
    });
    session.own(perfEvent(session.program('sample'), { frequency: options.frequency ?? 99 }));
    if (!ctx.json) ctx.write('Sampling run queue length... Hit Ctrl-C to end.\n');
    const hist = session.map('hist');
    const cpus = possibleCpuCount();
    await everyInterval(ctx, interval, count, () => print(ctx, options, takeCounts(hist, cpus)));
  },
});
