// cpudist: how long tasks run on a CPU each time they get one (or, with -O, how long they stay off it), as a log2
// histogram like libbpf-tools' cpudist. One tp_btf program on sched_switch stamps and measures both sides.
import { program, R0, R1, R6, R8, R9 } from '../isa/builder.js';
import { Helper } from '../isa/helpers.js';
import { ToolSession, tpBtfProgram } from './framework/session.js';
import { defineTool } from './framework/tool.js';
import { emitCgroupFilter } from './framework/cgroup-filter.js';
import { histConfig, histToolFlags, histToolMaps, printHistsEveryInterval, type HistConfig, type HistToolOptions } from './sched/hist-tool.js';
import { emitCountSinceStart, emitStoreStart } from './sched/task-hist.js';

interface Options extends HistToolOptions {
  offcpu?: boolean;
}

interface Config extends HistConfig {
  offcpu: boolean;
}

/**
 * sched_switch (preempt, prev, next, prev_state). On-CPU: prev's time since it was switched in ends, next's
 * starts. Off-CPU (-O): prev's time away starts, next's ends. Idle tasks count too, as in libbpf-tools.
 */
function switchProgram(config: Config) {
  const b = program();
  b.mov(R8, R1);
  if (config.cgroup) emitCgroupFilter(b, 'out');
  b.call(Helper.ktime_get_ns).mov(R9, R0);
  if (config.offcpu) {
    b.ldx('dw', R6, R8, 8);
    emitStoreStart(b, R6, R9, config.filter);
    b.ldx('dw', R6, R8, 16);
    emitCountSinceStart(b, R6, R9, config.filter, config.key, config.ms);
  } else {
    b.ldx('dw', R6, R8, 16);
    emitStoreStart(b, R6, R9, config.filter);
    b.ldx('dw', R6, R8, 8);
    emitCountSinceStart(b, R6, R9, config.filter, config.key, config.ms);
  }
  b.label('out').mov(R0, 0).exit();
  return b.build();
}

export default defineTool<Options>({
  name: 'cpudist',
  summary: 'summarize on-CPU time per task as a histogram',
  examples: [
    'bpfkit cpudist              # summarize on-CPU time as a histogram',
    'bpfkit cpudist -O           # summarize off-CPU time as a histogram',
    'bpfkit cpudist 1 10         # print 1 second summaries, 10 times',
    'bpfkit cpudist -mT 1        # 1s summaries, milliseconds, and timestamps',
    'bpfkit cpudist -P           # show each PID separately',
    'bpfkit cpudist -p 185       # trace PID 185 only',
    'bpfkit cpudist -c CG        # trace processes under cgroup path CG',
  ],
  configure(command) {
    command.option('-O, --offcpu', 'measure off-CPU time');
    histToolFlags(command);
  },
  async run(options, args, ctx) {
    const config: Config = { ...histConfig(options), offcpu: options.offcpu === true };
    const session = new ToolSession(ctx, {
      maps: histToolMaps(ctx, options),
      programs: { switch: tpBtfProgram('switch', 'sched_switch', switchProgram(config)) },
    });
    session.tpBtf('switch', 'sched_switch');
    if (!ctx.json) ctx.write(`Tracing ${config.offcpu ? 'off' : 'on'}-CPU time... Hit Ctrl-C to end.\n`);
    await printHistsEveryInterval(ctx, session, options, args, config);
  },
});
