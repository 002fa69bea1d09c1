// One classic tool as `bpfkit` lists it: its module loads only when the tool runs, so listing stays fast.
import type { Tool } from '../framework/tool.js';

export interface ToolEntry {
  name: string;
  /** One line for the `bpfkit` listing. */
  summary: string;
  load(): Promise<Tool>;
}
