// The registry of `bpfkit` subcommands: each entry loads its module only when it runs, so start-up stays small.

export interface CommandEntry {
  name: string;
  summary: string;
  /** Which list `bpfkit` shows it in. */
  group?: 'command' | 'tool';
  /** Runs the command with its own arguments; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

export const commands: CommandEntry[] = [];

export function register(entry: CommandEntry): void {
  commands.push(entry);
}
