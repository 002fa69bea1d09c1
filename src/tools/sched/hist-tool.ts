// What cpudist and runqlat share around their programs: the -T -m -P -L -p -c flags and [interval] [count], the
// maps, and the loop that prints (and clears) the histograms every interval.
import type { Command } from 'commander';
import type { MapSpec } from '../../spec/collection.js';
import type { ToolSession } from '../framework/session.js';
import { everyInterval, intervalAndCount, intervalArguments, positiveInt, type ToolContext } from '../framework/tool.js';
import { histKey } from './args.js';
import { cgroupFilterMaps } from '../framework/cgroup-filter.js';
import { drainHists, printHists, taskHistMaps, type HistKey, type TaskFilter } from './task-hist.js';

export interface HistToolOptions {
  timestamp?: boolean;
  milliseconds?: boolean;
  pids?: boolean;
  tids?: boolean;
  pidnss?: boolean;
  pid?: number;
  cgroup?: string;
}

/** What the programs are built from. */
export interface HistConfig {
  filter: TaskFilter;
  key: HistKey;
  ms: boolean;
  cgroup: boolean;
}

/** The shared flags in libbpf-tools' order (--pidnss only where the tool has it), then [interval] [count]. */
export function histToolFlags(command: Command, { pidnss = false } = {}): void {
  command
    .option('-T, --timestamp', 'include timestamp on output')
    .option('-m, --milliseconds', 'millisecond histogram')
    .option('-P, --pids', 'print a histogram per process ID')
    .option('-L, --tids', 'print a histogram per thread ID');
  if (pidnss) command.option('--pidnss', 'print a histogram per PID namespace');
  command
    .option('-p, --pid <PID>', 'trace this PID only', positiveInt('PID'))
    .option('-c, --cgroup <CG>', 'trace processes in this cgroup v2 path');
  intervalArguments(command);
}

/** The config from the flags; `pidnss` as given to histToolFlags, `skipIdle` to leave out the idle tasks. */
export function histConfig(options: HistToolOptions, { pidnss = false, skipIdle = false } = {}): HistConfig {
  return {
    filter: { tgid: options.pid, ...(skipIdle ? { skipIdle } : {}) },
    key: histKey(options, pidnss ? '-P, -L, --pidnss' : '-P, -L'),
    ms: options.milliseconds === true,
    cgroup: options.cgroup !== undefined,
  };
}

/** The histogram maps, and the cgroup filter map with -c. */
export function histToolMaps(ctx: ToolContext, options: HistToolOptions): Record<string, MapSpec> {
  return { ...taskHistMaps(), ...cgroupFilterMaps(ctx, options.cgroup) };
}

/** Prints the histograms every interval (or once at Ctrl-C), as libbpf-tools do. */
export async function printHistsEveryInterval(ctx: ToolContext, session: ToolSession, options: HistToolOptions, args: string[], config: HistConfig): Promise<void> {
  const { interval, count } = intervalAndCount(args);
  const hists = session.map('hists');
  const unit = config.ms ? 'msecs' : 'usecs';
  await everyInterval(ctx, interval, count, () => printHists(ctx, drainHists(hists), config.key, unit, options.timestamp === true));
}
