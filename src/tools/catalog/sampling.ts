// The sampling profiler.
import type { ToolEntry } from './entry.js';

export const samplingTools: ToolEntry[] = [
];
