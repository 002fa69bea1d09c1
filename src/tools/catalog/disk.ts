// The disk tools.
import type { ToolEntry } from './entry.js';

export const diskTools: ToolEntry[] = [
];
