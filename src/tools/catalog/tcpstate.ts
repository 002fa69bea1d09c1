// The TCP session tools driven by socket state changes and retransmits.
import type { ToolEntry } from './entry.js';

export const tcpstateTools: ToolEntry[] = [
  { name: 'tcplife', summary: 'trace the lifespan of TCP sessions and summarize', load: async () => (await import('../tcplife.js')).default },
  { name: 'tcpstates', summary: 'trace TCP session state changes and durations', load: async () => (await import('../tcpstates.js')).default },
  { name: 'tcpretrans', summary: 'trace TCP retransmits and tail loss probes, or count them per flow', load: async () => (await import('../tcpretrans.js')).default },
];
