// The flags the scheduler histogram tools share ([interval] [count] are in framework/tool.ts).
import { ToolUsageError } from '../framework/tool.js';
import type { HistKey } from './task-hist.js';

/** Which histograms -P, -L (and --pidnss where the tool has it) ask for; at most one of them. */
export function histKey(options: { pids?: boolean; tids?: boolean; pidnss?: boolean }, flags = '-P, -L'): HistKey {
  const picked = (['pids', 'tids', 'pidnss'] as const).filter((o) => options[o]);
  if (picked.length > 1) throw new ToolUsageError(`choose one of ${flags}`);
  return picked[0] === 'pids' ? 'pid' : picked[0] === 'tids' ? 'tid' : picked[0] === 'pidnss' ? 'pidns' : 'all';
}
