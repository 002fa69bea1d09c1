// The network tools.
import type { ToolEntry } from './entry.js';

export const networkTools: ToolEntry[] = [
  { name: 'tcpconnect', summary: 'trace active TCP connections (connect())', load: async () => (await import('../tcpconnect.js')).default },
  { name: 'tcpaccept', summary: 'trace passive TCP connections (accept())', load: async () => (await import('../tcpaccept.js')).default },
  { name: 'tcptracer', summary: 'trace TCP connections: connect (C), accept (A), close (X)', load: async () => (await import('../tcptracer.js')).default },
];
