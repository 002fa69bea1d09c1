// The file tools.
import type { ToolEntry } from './entry.js';

export const filesTools: ToolEntry[] = [
  { name: 'syncsnoop', summary: 'trace sync(), fsync(), fdatasync(), msync(), syncfs() and sync_file_range()', load: async () => (await import('../syncsnoop.js')).default },
];
