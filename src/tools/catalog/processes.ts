// The processes tools.
import type { ToolEntry } from './entry.js';

export const processesTools: ToolEntry[] = [
];
