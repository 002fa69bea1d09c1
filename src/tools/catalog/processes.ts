// The processes tools.
import type { ToolEntry } from './entry.js';

export const processesTools: ToolEntry[] = [
  { name: 'execsnoop', summary: 'trace exec() syscalls: new processes with their arguments', load: async () => (await import('../execsnoop.js')).default },
  { name: 'exitsnoop', summary: 'trace process termination: age and exit code or killing signal', load: async () => (await import('../exitsnoop.js')).default },
  { name: 'killsnoop', summary: 'trace signals sent with kill(), tkill() and tgkill()', load: async () => (await import('../killsnoop.js')).default },
];
