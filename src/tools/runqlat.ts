// runqlat: run queue (scheduler) latency as a log2 histogram, as libbpf-tools' runqlat prints it. A task's wait
// starts when it is woken (sched_wakeup, sched_wakeup_new) or preempted while still runnable (sched_switch out),
// and ends when sched_switch puts it on a CPU.
import { program, R0, R1, R6, R8, R9 } from '../isa/builder.js';
import { Helper } from '../isa/helpers.js';
import type { MapSpec } from '../spec/collection.js';
import { ToolSession, tpBtfProgram } from './framework/session.js';
import { defineTool } from './framework/tool.js';
import { emitCgroupFilter } from './framework/cgroup-filter.js';
import { histConfig, histToolFlags, histToolMaps, printHistsEveryInterval, type HistConfig as Config, type HistToolOptions as Options } from './sched/hist-tool.js';
import { emitCountSinceStart, emitStoreStart } from './sched/task-hist.js';

/** sched_wakeup / sched_wakeup_new (task): the task joins a run queue now. */
function wakeupProgram(config: Config) {
  const b = program();
  b.mov(R6, R1);
  if (config.cgroup) emitCgroupFilter(b, 'out');
  b.call(Helper.ktime_get_ns).mov(R9, R0);
  b.ldx('dw', R6, R6, 0);
  emitStoreStart(b, R6, R9, config.filter);
  b.label('out').mov(R0, 0).exit();
  return b.build();
}

/** sched_switch (preempt, prev, next, prev_state): prev waits again if still runnable; next's wait ends. */
function switchProgram(config: Config) {
  const b = program();
  b.mov(R6, R1);
  if (config.cgroup) emitCgroupFilter(b, 'out');
  b.call(Helper.ktime_get_ns).mov(R9, R0).mov(R8, R6);
  b.ldx('dw', R1, R8, 0).and(R1, 0xff).jne(R1, 0, 'requeue');
  b.ldx('dw', R1, R8, 24).jmp32('jne', R1, 0, 'next');
  b.label('requeue').ldx('dw', R6, R8, 8);
  emitStoreStart(b, R6, R9, config.filter);
  b.label('next').ldx('dw', R6, R8, 16);
  emitCountSinceStart(b, R6, R9, config.filter, config.key, config.ms);
  b.label('out').mov(R0, 0).exit();
  return b.build();
}

function buildSpec(config: Config, maps: Record<string, MapSpec>) {
  return {
    maps,
    programs: {
      wakeup: tpBtfProgram('wakeup', 'sched_wakeup', wakeupProgram(config)),
      wakeup_new: tpBtfProgram('wakeup_new', 'sched_wakeup_new', wakeupProgram(config)),
      switch: tpBtfProgram('switch', 'sched_switch', switchProgram(config)),
    },
  };
}

export default defineTool<Options>({
  name: 'runqlat',
  summary: 'summarize run queue (scheduler) latency as a histogram',
  examples: [
    'bpfkit runqlat         # summarize run queue latency as a histogram',
    'bpfkit runqlat 1 10    # print 1 second summaries, 10 times',
    'bpfkit runqlat -mT 1   # 1s summaries, milliseconds, and timestamps',
    'bpfkit runqlat -P      # show each PID separately',
    'bpfkit runqlat -p 185  # trace PID 185 only',
    'bpfkit runqlat -c CG   # trace processes under cgroup path CG',
  ],
  configure(command) {
    histToolFlags(command, { pidnss: true });
  },
  async run(options, args, ctx) {
    const config = histConfig(options, { pidnss: true, skipIdle: true });
    const session = new ToolSession(ctx, buildSpec(config, histToolMaps(ctx, options)));
    session.tpBtf('wakeup', 'sched_wakeup');
    session.tpBtf('wakeup_new', 'sched_wakeup_new');
    session.tpBtf('switch', 'sched_switch');
    if (!ctx.json) ctx.write('Tracing run queue latency... Hit Ctrl-C to end.\n');
    await printHistsEveryInterval(ctx, session, options, args, config);
  },
});
