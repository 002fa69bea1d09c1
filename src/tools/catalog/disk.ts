// The disk tools.
import type { ToolEntry } from './entry.js';

export const diskTools: ToolEntry[] = [
  { name: 'biolatency', summary: 'summarize block device I/O latency as a histogram', load: async () => (await import('../biolatency.js')).default },
  { name: 'biosnoop', summary: 'trace block I/O: one line per request with process, disk, size and latency', load: async () => (await import('../biosnoop.js')).default },
  { name: 'bitesize', summary: 'summarize block device I/O size as a histogram per process', load: async () => (await import('../bitesize.js')).default },
  { name: 'cachestat', summary: 'count page cache hits, misses and dirtied pages per interval', load: async () => (await import('../cachestat.js')).default },
  { name: 'ext4slower', summary: 'trace slow ext4 operations (needs kprobes or fentry: exits 1 here)', load: async () => (await import('../ext4slower.js')).default },
];
