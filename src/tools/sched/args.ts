// The [interval] [count] arguments and shared flags of the scheduler histogram tools.
import type { Command } from 'commander';
import { positiveInt, ToolUsageError } from '../framework/tool.js';
import type { HistKey } from './task-hist.js';

export function intervalArguments(command: Command): void {
  command
    .argument('[interval]', 'output interval, in seconds', positiveInt('interval'))
    .argument('[count]', 'number of outputs', positiveInt('count'));
}

/** [interval, count] from the raw arguments (commander has already checked they are positive integers). */
export function intervalAndCount(args: string[]): { interval?: number; count?: number } {
  return { interval: args[0] !== undefined ? Number(args[0]) : undefined, count: args[1] !== undefined ? Number(args[1]) : undefined };
}

/** Which histograms -P, -L (and --pidnss where the tool has it) ask for; at most one of them. */
export function histKey(options: { pids?: boolean; tids?: boolean; pidnss?: boolean }, flags = '-P, -L'): HistKey {
  const picked = (['pids', 'tids', 'pidnss'] as const).filter((o) => options[o]);
  if (picked.length > 1) throw new ToolUsageError(`choose one of ${flags}`);
  return picked[0] === 'pids' ? 'pid' : picked[0] === 'tids' ? 'tid' : picked[0] === 'pidnss' ? 'pidns' : 'all';
}
