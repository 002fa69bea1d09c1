// Every classic tool, in the order `bpfkit` lists them.
import { cpuTools } from './cpu.js';
import { diskTools } from './disk.js';
import { filesTools } from './files.js';
import { networkTools } from './network.js';
import { processesTools } from './processes.js';
import { samplingTools } from './sampling.js';
import { tcpstateTools } from './tcpstate.js';
import type { ToolEntry } from './entry.js';

export type { ToolEntry } from './entry.js';

export const tools: readonly ToolEntry[] = [
  ...processesTools, ...filesTools, ...cpuTools, ...samplingTools, ...diskTools, ...networkTools, ...tcpstateTools,
];
