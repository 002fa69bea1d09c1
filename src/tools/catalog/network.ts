// The network tools.
import type { ToolEntry } from './entry.js';

export const networkTools: ToolEntry[] = [
];
