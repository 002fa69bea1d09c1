// The sampling profiler.
import type { ToolEntry } from './entry.js';

export const samplingTools: ToolEntry[] = [
  { name: 'profile', summary: 'profile CPU usage by sampling stack traces (folded stacks, SVG flame graphs)', load: async () => (await import('../profile.js')).default },
];
