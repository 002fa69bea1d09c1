// The file tools.
import type { ToolEntry } from './entry.js';

export const filesTools: ToolEntry[] = [
  { name: 'syncsnoop', summary: 'trace sync(), fsync(), fdatasync(), msync(), syncfs() and sync_file_range()', load: async () => (await import('../syncsnoop.js')).default },
  { name: 'opensnoop', summary: 'trace open(), openat() and openat2(): process, fd or error, path', load: async () => (await import('../opensnoop.js')).default },
  { name: 'statsnoop', summary: 'trace stat syscalls: process, result, path', load: async () => (await import('../statsnoop.js')).default },
  { name: 'filetop', summary: 'file reads and writes by thread and file, refreshed every interval', load: async () => (await import('../filetop.js')).default },
];
