// The cpu tools.
import type { ToolEntry } from './entry.js';

export const cpuTools: ToolEntry[] = [
];
