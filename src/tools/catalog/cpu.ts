// The cpu tools.
import type { ToolEntry } from './entry.js';

export const cpuTools: ToolEntry[] = [
  { name: 'runqlat', summary: 'summarize run queue (scheduler) latency as a histogram', load: async () => (await import('../runqlat.js')).default },
  { name: 'cpudist', summary: 'summarize on-CPU (or off-CPU) time per task as a histogram', load: async () => (await import('../cpudist.js')).default },
  { name: 'runqlen', summary: 'summarize scheduler run queue length as a histogram', load: async () => (await import('../runqlen.js')).default },
  { name: 'syscount', summary: 'summarize syscall counts and latencies', load: async () => (await import('../syscount.js')).default },
];
