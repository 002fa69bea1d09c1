// The TCP session tools driven by socket state changes and retransmits.
import type { ToolEntry } from './entry.js';

export const tcpstateTools: ToolEntry[] = [
];
