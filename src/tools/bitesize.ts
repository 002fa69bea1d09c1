// bitesize: block I/O sizes as a log2 histogram per process name, as libbpf-tools' bitesize prints them. One
// tp_btf program on block_rq_issue counts (comm of the issuing task, log2 of the size in Kbytes).
import { FP, program, R0, R1, R2, R6, R7, R8, R9 } from '../isa/builder.js';
import { Helper } from '../isa/helpers.js';
import type { CollectionSpec } from '../spec/collection.js';
import { emitRequestDev, gatherSlots, hashMap, requestLayout } from './block/bpf.js';
import { emitCount } from './framework/kit.js';
import { DiskNames } from './block/disks.js';
import { clockNow, cString } from './framework/format.js';
import { formatLog2Hist, log2HistJson, MAX_SLOTS } from './framework/histogram.js';
import { emitLog2Slot } from './framework/kit.js';
import { ToolSession, tpBtfProgram } from './framework/session.js';
import { defineTool, everyInterval, intervalAndCount, intervalArguments, ToolUsageError } from './framework/tool.js';

interface Options {
  timestamp?: boolean;
  comm?: string;
  disk?: string;
}

// Key: char comm[16], u32 slot, u32 pad → u64 count.
const KEY_SIZE = 24;
const SLOT_OFFSET = 16;
const KEY = -40; // key on the stack at FP-40 .. FP-17

/** The comm filter as two little-endian u64 words (the kernel's 16-byte, NUL-padded comm). */
function commWords(name: string): [bigint, bigint] {
  const bytes = new Uint8Array(16);
  bytes.set(new TextEncoder().encode(name).subarray(0, 15));
  const view = new DataView(bytes.buffer);
  return [view.getBigUint64(0, true), view.getBigUint64(8, true)];
}

function buildSpec(dev: number | undefined, comm: string | undefined): CollectionSpec {
  const layout = requestLayout();
  const b = program();
  b.ldx('dw', R6, R1, 0); // args[0]: struct request *
  if (dev !== undefined) {
    emitRequestDev(b, R6, R7, R8);
    b.jne(R7, dev, 'out');
  }
  // The whole key is written: comm (get_current_comm pads with NULs), slot, pad.
  b.mov(R1, FP).add(R1, KEY).mov(R2, 16).call(Helper.get_current_comm);
  if (comm !== undefined) {
    const [lo, hi] = commWords(comm);
    b.ldx('dw', R7, FP, KEY).lddw(R8, lo).jne(R7, R8, 'out');
    b.ldx('dw', R7, FP, KEY + 8).lddw(R8, hi).jne(R7, R8, 'out');
  }
  b.ldx('w', R7, R6, layout.dataLen).rsh(R7, 10);
  emitLog2Slot(b, R7, R8, R9);
  b.stx('w', FP, KEY + SLOT_OFFSET, R9).st('w', FP, KEY + SLOT_OFFSET + 4, 0);
  emitCount(b, 'hists', { reg: FP, off: KEY }, { reg: FP, off: -8 });
  b.label('out').mov(R0, 0).exit();
  return {
    maps: { hists: hashMap('hists', KEY_SIZE, 8) },
    programs: { rq_issue: tpBtfProgram('rq_issue', 'block_rq_issue', b.build()) },
  };
}

export default defineTool<Options>({
  name: 'bitesize',
  summary: 'summarize block device I/O size as a histogram per process',
  examples: [
    'bpfkit bitesize              # summarize block I/O size as a histogram',
    'bpfkit bitesize 1 10         # print 1 second summaries, 10 times',
    'bpfkit bitesize -T 1         # 1s summaries with timestamps',
    'bpfkit bitesize -c fio       # trace fio only',
  ],
  configure(command) {
    command
      .option('-c, --comm <COMM>', 'trace this comm only')
      .option('-d, --disk <DISK>', 'trace this disk only')
      .option('-T, --timestamp', 'include timestamp on output');
    intervalArguments(command);
  },
  async run(options, args, ctx) {
    const { interval, count } = intervalAndCount(args);
    if (options.comm !== undefined && options.comm.length === 0) throw new ToolUsageError('--comm needs a process name');
    const dev = options.disk !== undefined ? new DiskNames().devOf(options.disk) : undefined;
    const session = new ToolSession(ctx, buildSpec(dev, options.comm));
    session.tpBtf('rq_issue', 'block_rq_issue');
    const hists = session.map('hists');
    if (!ctx.json) ctx.write('Tracing block device I/O... Hit Ctrl-C to end.\n');

    await everyInterval(ctx, interval, count, () => {
      const groups = [...gatherSlots(hists.drainBatched(), SLOT_OFFSET, MAX_SLOTS).values()].map(({ key, slots }) => ({
        comm: cString(new DataView(key.buffer, key.byteOffset, key.byteLength), 0, 16),
        slots,
      }));
      const time = clockNow();
      if (ctx.json) {
        ctx.writeJson({ time, histograms: groups.map((g) => ({ comm: g.comm, ...log2HistJson(g.slots, 'kbytes') })) });
        return;
      }
      let out = '\n';
      if (options.timestamp) out += `${time}\n`;
      for (const g of groups) out += `\nProcess Name = ${g.comm}\n${formatLog2Hist(g.slots, 'Kbytes')}`;
      ctx.write(out);
    });
  },
});
